"""Importing many people from a .zip on a worker: a folder (or a file name) per person, a report of every photo."""

import csv
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from faces import services
from faces.models import Subject
from faces.pipelines.people_import import group_by_person
from gallery.models import Item
from gallery.tasks import run_item
from tests.data import needs, shared

# The runner commits its progress as a worker does: these tests need real transactions.
pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("names, people", [
    (["Ada Lovelace/1.jpg", "Ada Lovelace/2.jpg", "Alan Turing/a.png"],
     {"Ada Lovelace": ["Ada Lovelace/1.jpg", "Ada Lovelace/2.jpg"], "Alan Turing": ["Alan Turing/a.png"]}),
    (["staff/Ada Lovelace/1.jpg", "staff/Alan Turing/a.png"],  # zipping a folder adds a top folder
     {"Ada Lovelace": ["staff/Ada Lovelace/1.jpg"], "Alan Turing": ["staff/Alan Turing/a.png"]}),
    (["ada_lovelace.jpg", "ada_lovelace_2.jpg", "alan turing (3).png"],
     {"ada lovelace": ["ada_lovelace.jpg", "ada_lovelace_2.jpg"], "alan turing": ["alan turing (3).png"]}),
    (["photos/ada.jpg", "photos/ada2.jpg"], {"ada": ["photos/ada.jpg", "photos/ada2.jpg"]}),
])
def test_photos_are_grouped_by_folder_or_by_file_name(names, people):
    assert group_by_person(names) == people


def zip_of(entries):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, path in entries.items():
            archive.write(path, name)
    return SimpleUploadedFile("staff.zip", buffer.getvalue(), content_type="application/zip")


@needs("faces")
def test_a_zip_of_people_is_enrolled_on_a_worker_with_a_report(user):
    project = services.create_project(user, name="Office")
    existing = services.add_subject(project, status="APPROVED", properties={"name": "Barack Obama"})
    archive = zip_of({
        "Barack Obama/1.jpg": shared("faces/train_obama_obama.jpg"),
        "Barack Obama/2.jpg": shared("faces/train_obama_obama2.jpg"),
        "Joe Biden/1.jpg": shared("faces/train_biden_biden.jpg"),
        "Skyline/city.jpg": shared("faces/fer_no_face.jpg"),
    })
    people_import, item = services.import_people(project, archive, user=user, status="UNAPPROVED")
    assert run_item(str(item.pk)) == "done"
    item.refresh_from_db()
    assert item.status == Item.Status.DONE

    # Obama's photos join the person already there; Biden is new, with the status asked for.
    assert existing.faces.count() == 2
    biden = Subject.objects.get(project=project, properties__name="Joe Biden")
    assert biden.status == "UNAPPROVED" and biden.faces.count() == 1
    report = list(csv.DictReader(io.StringIO(item.files.get(kind="report").file.read().decode())))
    assert [(row["file"], row["result"]) for row in report] == [
        ("Barack Obama/1.jpg", "enrolled"), ("Barack Obama/2.jpg", "enrolled"), ("Joe Biden/1.jpg", "enrolled"),
        ("Skyline/city.jpg", "refused")]
    assert "No face" in report[3]["message"]
    # Someone new whose photos were all refused is not added; the uploaded photos are not kept.
    assert report[3]["user_id"] == "" and not Subject.objects.filter(properties__name="Skyline").exists()
    people_import.refresh_from_db()
    assert not people_import.archive
    # The faces are searchable at once.
    outcome = services.recognise(project, shared("faces/train_biden_biden2.jpg").read_bytes(), kind="search")
    assert outcome.subject == biden and outcome.matched


def test_a_file_that_is_not_a_zip_fails_the_job_saying_so(user):
    project = services.create_project(user, name="Office")
    archive = SimpleUploadedFile("staff.zip", b"not a zip", content_type="application/zip")
    _, item = services.import_people(project, archive, user=user)
    run_item(str(item.pk))
    item.refresh_from_db()
    assert item.status == Item.Status.FAILED
    assert "not a ZIP archive" in item.failure_reason
