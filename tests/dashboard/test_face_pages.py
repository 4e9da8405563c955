"""The Face ID pages: projects (and the API key made with one), a project's settings, people and log, a person's
faces enrolled from real photos, the private photos, and the kiosk's check-in JSON.

A project is the owner's and its group members'; for anyone else every page, photo and JSON answer is 404.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.models import ApiKey
from faces import services
from faces.models import Face, FaceProject, Recognition, Subject
from roles.models import Group
from tests.data import needs, shared
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def upload(name, content_type="image/jpeg"):
    return SimpleUploadedFile(name, shared(f"faces/{name}").read_bytes(), content_type=content_type)


@pytest.fixture
def project(owner, group):
    return services.create_project(owner, name="Front desk", group=group, save_recognition_images=True)


@pytest.fixture
def ada(project):
    return services.add_subject(project, status="APPROVED", group_id=7, properties={"name": "Ada"})


def urls(project, subject=None, face=None):
    base = f"/faces/{project.pk}/"
    pages = {"project": base, "kiosk": f"{base}kiosk/", "delete": f"{base}delete/"}
    if subject is not None:
        pages.update(person=f"{base}people/{subject.pk}/", person_delete=f"{base}people/{subject.pk}/delete/")
    if face is not None:
        pages["photo"] = f"{base}people/{subject.pk}/faces/{face.pk}/photo"
    return pages


# --- who reaches what ------------------------------------------------------------------------------

def test_projects_page_lists_owned_and_shared_projects_with_counts(owner, member, project, ada):
    mine = services.create_project(member, name="Member's own")
    response = signed_in(member).get("/faces/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "Front desk" in text and "Member&#x27;s own" in text and "Shared with you" in text
    assert response.context["projects"].get(pk=project.pk).people == 1
    assert "Front desk" not in signed_in(UserFactory()).get("/faces/").content.decode()
    assert mine.pk in [p.pk for p in response.context["projects"]]
    assert 'href="/faces/"' in text, "the nav links to Face ID"


def test_project_pages_render_for_owner_and_member_and_are_404_for_others(owner, member, project, ada):
    pages = urls(project, ada)
    for person in (owner, member):
        client = signed_in(person)
        for name in ("project", "kiosk", "person", "person_delete"):
            response = client.get(pages[name])
            assert response.status_code == 200, (person, name)
    project_page = signed_in(owner).get(pages["project"]).content.decode()
    assert "Ada" in project_page and "APPROVED" in project_page and "Save settings" in project_page
    member_page = signed_in(member).get(pages["project"]).content.decode()
    assert "Save settings" not in member_page and "can change or delete this project" in member_page

    stranger = signed_in(UserFactory())
    for url in pages.values():
        assert stranger.get(url).status_code == 404, url
    assert stranger.post(f"/faces/{project.pk}/people/", {"name": "Mallory"}).status_code == 404
    assert stranger.post(f"/faces/{project.pk}/kiosk/check-in.json").status_code == 404
    assert signed_in(owner).get("/faces/999999/").status_code == 404
    assert Client().get(pages["project"]).status_code == 302, "signed out: to the sign-in page"


def test_only_the_owner_changes_or_deletes_the_project(owner, member, project):
    settings_url = f"/faces/{project.pk}/settings/"
    change = {"name": "Renamed", "match_threshold": "70", "group": "", "save_recognition_images": ""}
    assert signed_in(member).post(settings_url, change).status_code == 403
    assert signed_in(member).post(f"/faces/{project.pk}/delete/").status_code == 403
    project.refresh_from_db()
    assert project.name == "Front desk"

    client = signed_in(owner)
    response = client.post(settings_url, {**change, "match_threshold": "101"})
    assert response.status_code == 400 and "100" in response.content.decode()
    assert client.post(settings_url, change).status_code == 302
    project.refresh_from_db()
    assert (project.name, project.match_threshold, project.group, project.save_recognition_images) == (
        "Renamed", 70.0, None, False)

    assert "Delete project" in client.get(f"/faces/{project.pk}/delete/").content.decode()
    assert client.post(f"/faces/{project.pk}/delete/").status_code == 302
    assert not FaceProject.objects.filter(pk=project.pk).exists()


def test_group_choice_offers_only_the_owners_groups(owner, project):
    other = Group.objects.create(name="Not mine")
    response = signed_in(owner).post(f"/faces/{project.pk}/settings/", {
        "name": "Front desk", "match_threshold": "60", "group": str(other.pk)})
    assert response.status_code == 400
    project.refresh_from_db()
    assert project.group.name == "Reception"


# --- making a project --------------------------------------------------------------------------------

def test_new_project_shows_its_api_key_once(owner, group):
    from faces import recognition

    client = signed_in(owner)
    form = client.get("/faces/").context["form"]
    assert form["match_threshold"].initial == recognition.DEFAULT_THRESHOLD
    response = client.post("/faces/", {"name": "Lobby", "match_threshold": str(recognition.DEFAULT_THRESHOLD),
                                       "group": str(group.pk), "save_recognition_images": "on", "issue_key": "on"})
    assert response.status_code == 201
    project = FaceProject.objects.get(name="Lobby")
    assert (project.owner, project.group, project.save_recognition_images) == (owner, group, True)
    api_key = ApiKey.objects.get(user=owner)
    assert api_key.name == "Face ID: Lobby"
    text = response.content.decode()
    secret = response.context["created"]["secret"]
    assert str(api_key.key) in text and secret in text
    assert "/api/v1/auth/token" in text and f"/api/v1/projects/{project.pk}/check-in" in text
    assert secret not in client.get(f"/faces/{project.pk}/").content.decode()
    assert secret not in client.get("/faces/").content.decode()


def test_new_project_without_a_key_opens_the_project(owner):
    response = signed_in(owner).post("/faces/", {"name": "Quiet", "match_threshold": "55"})
    project = FaceProject.objects.get(name="Quiet")
    assert response.status_code == 302 and response.url == f"/faces/{project.pk}/"
    assert project.group is None and project.match_threshold == 55.0
    assert not ApiKey.objects.filter(user=owner).exists()
    response = signed_in(owner).post("/faces/", {"name": "", "match_threshold": "55"})
    assert response.status_code == 400 and not FaceProject.objects.filter(name="").exists()


# --- people and faces --------------------------------------------------------------------------------

def test_add_edit_and_delete_a_person(owner, project):
    client = signed_in(owner)
    response = client.post(f"/faces/{project.pk}/people/", {"name": "Grace", "status": "APPROVED", "group_id": "3"})
    subject = Subject.objects.get(project=project)
    assert response.status_code == 302 and response.url == f"/faces/{project.pk}/people/{subject.pk}/"
    assert (subject.properties, subject.status, subject.group_id) == ({"name": "Grace"}, "APPROVED", 3)
    assert subject.registrant == owner.nickname

    response = client.post(f"/faces/{project.pk}/people/{subject.pk}/edit/", {"name": "Grace H.", "status": ""})
    subject.refresh_from_db()
    assert response.status_code == 302 and subject.properties["name"] == "Grace H." and subject.group_id is None

    assert client.post(f"/faces/{project.pk}/people/", {"name": ""}).status_code == 400
    assert client.post(f"/faces/{project.pk}/people/{subject.pk}/delete/").status_code == 302
    assert not Subject.objects.filter(pk=subject.pk).exists()


@needs("faces/train_obama_obama.jpg", "faces/train_obama_obama2.jpg", "faces/fer_no_face.jpg")
def test_enrol_from_several_files_lists_each_result(member, project, ada):
    client = signed_in(member)
    response = client.post(f"/faces/{project.pk}/people/{ada.pk}/faces/", {
        "photos": [upload("train_obama_obama.jpg"), upload("fer_no_face.jpg"), upload("train_obama_obama2.jpg")],
        "save_image": "on",
    })
    assert response.status_code == 302
    page = client.get(response.url)
    results = page.context["results"]
    assert [(r["name"], r["ok"]) for r in results] == [
        ("train_obama_obama.jpg", True), ("fer_no_face.jpg", False), ("train_obama_obama2.jpg", True)]
    text = page.content.decode()
    assert "No face was found" in text and results[0]["message"].startswith("Quality ")
    assert ada.faces.count() == 2 and all(face.image for face in ada.faces.all())
    assert client.get(page.request["PATH_INFO"]).context["results"] is None, "the results are shown once"

    project_page = client.get(f"/faces/{project.pk}/").content.decode()
    face = ada.faces.first()
    assert urls(project, ada, face)["photo"] in project_page, "the people list shows a face thumbnail"


@needs("faces/fer_no_face.jpg")
def test_webcam_snapshot_enrolment_answers_json(owner, project, ada):
    response = signed_in(owner).post(f"/faces/{project.pk}/people/{ada.pk}/faces/",
                                     {"photos": [upload("fer_no_face.jpg")]}, headers={"Accept": "application/json"})
    assert response.status_code == 200
    body = response.json()
    assert body["url"] == f"/faces/{project.pk}/people/{ada.pk}/"
    assert body["results"][0]["ok"] is False and body["results"][0]["message"].startswith("No face was found")
    response = signed_in(owner).post(f"/faces/{project.pk}/people/{ada.pk}/faces/", {},
                                     headers={"Accept": "application/json"})
    assert response.status_code == 400 and "Choose one or more photos" in response.json()["message"]


def test_a_file_that_is_no_photo_is_refused_with_its_reason(owner, project, ada):
    client = signed_in(owner)
    response = client.post(f"/faces/{project.pk}/people/{ada.pk}/faces/", {
        "photos": [SimpleUploadedFile("notes.txt", b"not a picture", content_type="text/plain")]})
    assert response.status_code == 302
    [result] = client.get(response.url).context["results"]
    assert result["name"] == "notes.txt" and result["ok"] is False and result["message"]
    assert not result["message"].startswith("image:")
    assert not ada.faces.exists()


@needs("faces/train_obama_obama.jpg")
def test_stored_photos_are_private_and_faces_can_be_deleted(owner, member, project, ada):
    face = services.enrol_face(ada, shared("faces/train_obama_obama.jpg").read_bytes(), save_image=True)
    photo = urls(project, ada, face)["photo"]
    for person in (owner, member):
        response = signed_in(person).get(photo)
        assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
        assert "private" in response["Cache-Control"]
    full = signed_in(owner).get(f"{photo}?full=1")
    assert b"".join(full.streaming_content) == shared("faces/train_obama_obama.jpg").read_bytes()
    assert signed_in(UserFactory()).get(photo).status_code == 404
    assert signed_in(UserFactory()).get(f"{photo}?full=1").status_code == 404
    assert Client().get(photo).status_code == 302
    assert "/media/" not in signed_in(owner).get(urls(project, ada)["person"]).content.decode()

    assert signed_in(UserFactory()).post(f"/faces/{project.pk}/people/{ada.pk}/faces/{face.pk}/delete/").status_code \
        == 404
    assert signed_in(member).post(f"/faces/{project.pk}/people/{ada.pk}/faces/{face.pk}/delete/").status_code == 302
    assert not Face.objects.filter(pk=face.pk).exists()


# --- the kiosk ---------------------------------------------------------------------------------------

@needs("faces/train_obama_obama.jpg", "faces/unittest_obama3.jpg", "faces/fer_no_face.jpg")
def test_kiosk_check_in_json_and_the_log(owner, member, project, ada):
    services.enrol_face(ada, shared("faces/train_obama_obama.jpg").read_bytes())
    check_in = f"/faces/{project.pk}/kiosk/check-in.json"
    response = signed_in(member).post(check_in, {"image": upload("unittest_obama3.jpg")})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["matched"] is True and body["name"] == "Ada" and body["status"] == "APPROVED"
    assert body["similarity"] >= body["threshold"]

    response = signed_in(owner).post(check_in, {"image": upload("fer_no_face.jpg")})
    assert response.status_code == 409 and response.json()["message"].startswith("No face was found")
    response = signed_in(owner).post(check_in, {"image": SimpleUploadedFile("x.jpg", b"junk")})
    assert response.status_code == 400 and "message" in response.json()
    assert signed_in(owner).post(check_in).status_code == 400
    assert Client().post(check_in).status_code in (401, 403)  # no session: 401, or CSRF refuses first

    log = list(Recognition.objects.filter(project=project))
    assert [line.outcome for line in log] == ["refused", "matched"]
    assert all(line.image for line in log), "the project keeps check-in photos"
    page = signed_in(member).get(f"/faces/{project.pk}/")
    text = page.content.decode()
    assert "Recognised" in text and "Photo refused" in text and "No face was found" in text
    photo = f"/faces/{project.pk}/log/{log[0].pk}/photo"
    assert photo in text
    response = signed_in(member).get(photo)
    assert response.status_code == 200 and b"".join(response.streaming_content) == log[0].image.open("rb").read()
    log[0].image.close()
    assert signed_in(UserFactory()).get(photo).status_code == 404


@needs("faces/unittest_obama3.jpg")
def test_kiosk_with_nobody_enrolled_says_so(owner, project):
    response = signed_in(owner).post(f"/faces/{project.pk}/kiosk/check-in.json",
                                     {"image": upload("unittest_obama3.jpg")})
    assert response.status_code == 404 and "Nobody is enrolled" in response.json()["message"]
