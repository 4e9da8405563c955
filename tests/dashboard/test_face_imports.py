"""Importing people from a .zip on the dashboard: the project page's form queues the job, the import's page
follows it (status.json) and then lists each photo's result with a link to the person, and the CSV report is
served to the project's users only. Another account gets 404 for every one of them.
"""

import csv
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from faces import services
from faces.models import PeopleImport, Subject
from faces.pipelines import people_import
from gallery.models import Item
from gallery.tasks import run_item
from tests.data import needs, shared
from tests.factories import UserFactory

# The job runs here as a worker runs it, committing its progress: these tests need real transactions.
pytestmark = [pytest.mark.django_db(transaction=True)]

PHOTOS = {
    "Barack Obama/1.jpg": "faces/train_obama_obama.jpg",
    "Barack Obama/2.jpg": "faces/train_obama_obama2.jpg",
    "Joe Biden/1.jpg": "faces/train_biden_biden.jpg",
    "Skyline/city.jpg": "faces/fer_no_face.jpg",
}


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def zip_of(entries, name="staff.zip"):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for entry, path in entries.items():
            archive.write(shared(path), entry)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/zip")


@pytest.fixture
def project(owner, group):
    return services.create_project(owner, name="Front desk", group=group)


def post_zip(client, project, archive, **fields):
    return client.post(f"/faces/{project.pk}/imports/",
                       {"archive": archive, "status": "UNAPPROVED", "save_images": "on", **fields})


@needs(*PHOTOS.values())
def test_a_zip_uploaded_on_the_project_page_is_imported_and_reported(owner, member, project):
    obama = services.add_subject(project, status="APPROVED", properties={"name": "Barack Obama"})
    client = signed_in(member)  # a member of the project's group may import, as they may enrol
    page = client.get(f"/faces/{project.pk}/").content.decode()
    assert 'id="import-form"' in page and 'accept=".zip,application/zip"' in page and "Ada Lovelace/1.jpg" in page

    response = post_zip(client, project, zip_of(PHOTOS))
    people_import = PeopleImport.objects.get(project=project)
    base = f"/faces/{project.pk}/imports/{people_import.pk}/"
    assert response.status_code == 302 and response["Location"] == base
    item = Item.objects.get(pipeline="faces-import")
    assert item.source == people_import and item.parameters == {"status": "UNAPPROVED", "save_images": True}

    # Queued: the page and status.json say it is waiting; nothing is reported yet.
    status = client.get(f"{base}status.json").json()
    assert status["state"] == "queued" and status["finished"] is False and status["queue_position"] >= 0
    page = client.get(base).content.decode()
    assert 'id="import-status"' in page and "js/face-import.js" in page and 'id="import-rows"' not in page
    assert client.get(f"{base}report.csv").status_code == 404

    assert run_item(str(item.pk)) == "done"

    status = client.get(f"{base}status.json").json()
    assert status["finished"] is True and status["state"] == "done"
    assert (status["position"], status["size"], status["percent"]) == (4, 4, 100)
    assert status["position_text"] == "4 photos" and status["failure_reason"] == ""

    response = client.get(base)
    page = response.content.decode()
    assert response.status_code == 200 and 'data-finished="true"' in page
    assert (response.context["enrolled"], response.context["refused"], response.context["total"]) == (3, 1, 4)
    rows = [(row["file"], row["result"]) for row in response.context["rows"]]
    assert rows == [("Barack Obama/1.jpg", "enrolled"), ("Barack Obama/2.jpg", "enrolled"),
                    ("Joe Biden/1.jpg", "enrolled"), ("Skyline/city.jpg", "refused")]
    biden = Subject.objects.get(project=project, properties__name="Joe Biden")
    assert biden.status == "UNAPPROVED" and obama.faces.count() == 2
    assert f'href="/faces/{project.pk}/people/{obama.pk}/"' in page
    assert f'href="/faces/{project.pk}/people/{biden.pk}/"' in page
    assert "No face" in page and f'href="{base}report.csv"' in page
    refused = client.get(base, {"result": "refused"}).context["rows"]
    assert [row["file"] for row in refused] == ["Skyline/city.jpg"]

    # The project page lists the import with its state.
    page = client.get(f"/faces/{project.pk}/").content.decode()
    assert f'id="import-{people_import.pk}"' in page and "staff.zip" in page and "Done" in page

    for user in (owner, member):
        response = signed_in(user).get(f"{base}report.csv")
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
        assert "attachment" in response["Content-Disposition"] and "private" in response["Cache-Control"]
        report = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
        assert [row["result"] for row in report] == ["enrolled", "enrolled", "enrolled", "refused"]
        assert report[2]["user_id"] == str(biden.pk)


@needs("faces/train_biden_biden.jpg")
def test_another_account_gets_404_for_the_import_its_status_and_its_report(owner, project):
    people_import, item = services.import_people(project, zip_of({"Joe Biden/1.jpg": "faces/train_biden_biden.jpg"}),
                                                 user=owner)
    assert run_item(str(item.pk)) == "done"
    base = f"/faces/{project.pk}/imports/{people_import.pk}/"
    stranger = signed_in(UserFactory())
    for url in (base, f"{base}status.json", f"{base}report.csv"):
        assert signed_in(owner).get(url).status_code == 200, url
        assert stranger.get(url).status_code == 404, url
    assert stranger.post(f"/faces/{project.pk}/imports/", {"archive": zip_of({})}).status_code == 404
    # An import of another project is not reached through this one.
    elsewhere = services.create_project(owner, name="Elsewhere")
    assert signed_in(owner).get(f"/faces/{elsewhere.pk}/imports/{people_import.pk}/").status_code == 404
    assert Client().get(base).status_code == 302  # signed out: to the sign-in page


def test_a_file_that_is_not_a_zip_is_refused_with_a_form_error(owner, project):
    client = signed_in(owner)
    photo = SimpleUploadedFile("ada.jpg", b"\xff\xd8\xff\xe0 not really", content_type="image/jpeg")
    response = post_zip(client, project, photo)
    assert response.status_code == 400
    page = response.content.decode()
    assert "“ada.jpg” is not a .zip file" in page
    assert 'name="archive" accept=".zip,application/zip" autofocus' in page  # brought into view
    renamed = SimpleUploadedFile("staff.zip", b"these are not the bytes of a zip", content_type="application/zip")
    response = post_zip(client, project, renamed)
    assert response.status_code == 400 and "is not a ZIP archive" in response.content.decode()
    response = client.post(f"/faces/{project.pk}/imports/", {"status": "APPROVED"})
    assert response.status_code == 400 and "Choose a .zip file" in response.content.decode()
    assert not PeopleImport.objects.exists() and not Item.objects.exists()


@needs("faces/train_biden_biden.jpg")
def test_a_zip_over_the_limit_is_refused_with_a_form_error(owner, project, monkeypatch):
    monkeypatch.setattr(people_import, "MAX_ARCHIVE_BYTES", 1024 * 1024)
    archive = zip_of({f"Joe Biden/{n}.jpg": "faces/train_biden_biden.jpg" for n in range(20)})
    assert archive.size > 1024 * 1024
    response = post_zip(signed_in(owner), project, archive)
    assert response.status_code == 400
    page = response.content.decode()
    assert "an import takes at most 1 MB" in page and 'aria-invalid="true"' in page
    assert not PeopleImport.objects.exists()


def test_the_status_reports_the_stage_and_the_position_while_the_job_runs(owner, project):
    people_import, item = services.import_people(project, SimpleUploadedFile("staff.zip", b"PK\x05\x06" + bytes(18)),
                                                 user=owner)
    Item.objects.filter(pk=item.pk).update(status=Item.Status.PROCESSING, stage="enrol", overall_position=2,
                                           current_position=12, current_size=40)
    base = f"/faces/{project.pk}/imports/{people_import.pk}/"
    client = signed_in(owner)
    status = client.get(f"{base}status.json").json()
    assert status["stage"] == "enrol" and status["stage_label"] == "Enrolling faces"
    # The bar is the job's time: opening the archive (5%) done, and 12 of 40 photos of enrolling (95%): 33%.
    assert (status["position"], status["size"], status["percent"]) == (12, 40, 33)
    assert status["position_text"] == "12 of 40 photos" and status["finished"] is False
    assert status["time_left"] == ""  # nothing measured yet
    page = client.get(base).content.decode()
    assert "12 of 40 photos" in page and "33%" in page and "Enrolling faces" in page
    assert 'data-finished="false"' in page

    Item.objects.filter(pk=item.pk).update(status=Item.Status.FAILED, failure_reason="The archive is damaged.")
    status = client.get(f"{base}status.json").json()
    assert status["finished"] is True and status["failure_reason"] == "The archive is damaged."
    page = client.get(base).content.decode()
    assert "The import failed:" in page and "The archive is damaged." in page and 'id="import-rows"' not in page
    assert client.get(f"{base}report.csv").status_code == 404
