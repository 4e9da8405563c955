"""Seed 002, the Face ID door's projects: people, their faces from real photos, check-in and search.

The seed's flow is walked end to end (key → token → project → user → faces → check-in → search → deletes),
then every error code the seed lists, then another account's token on every route (403, nothing changed).
Errors come in the Face ID shape {"code": <HTTP code>, "message": "..."}.
"""

import base64
import io
import re

import numpy as np
import pytest
from PIL import Image, ImageFilter

from faces import index
from faces.models import Face, FaceProject, Recognition, SearchMatrix, Subject
from tests.data import needs, shared
from tests.doors.test_faceid_auth import api_token, assert_error
from tests.factories import UserFactory

PROJECTS = "/api/v1/projects"
SEED_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}[+-]\d{2}:\d{2}$")

pytestmark = [pytest.mark.django_db, needs("faces")]


def photo(name):
    return base64.b64encode(shared(f"faces/{name}").read_bytes()).decode("ascii")


def blurred(name, radius=8):
    image = Image.open(shared(f"faces/{name}")).convert("RGB")
    buffer = io.BytesIO()
    image.filter(ImageFilter.GaussianBlur(radius)).save(buffer, "JPEG", quality=90)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def users(project_id):
    return f"{PROJECTS}/{project_id}/users"


def faces(project_id, user_id):
    return f"{PROJECTS}/{project_id}/users/{user_id}/faces"


def sign_in(api, username, password):
    """The seed's own way in: an API key for the account, exchanged for an API token."""
    key = api.post("/api/v1/auth/key", {"username": username, "password": password}, format="json").json()
    response = api.post("/api/v1/auth/token", key, format="json")
    assert response.status_code == 201
    return api_token(response.json()["token"])


@pytest.fixture
def headers(api, user, password):
    return sign_in(api, user.email, password)


@pytest.fixture
def project(api, headers):
    response = api.post(PROJECTS, {"name": "Front desk"}, format="json", **headers)
    assert response.status_code == 201
    return response.json()["id"]


def enrol(api, headers, project_id, *photos, status="APPROVED", name=None, save_image=False):
    response = api.post(users(project_id), {"status": status, "properties": {"name": name or "-".join(photos)}},
                        format="json", **headers)
    assert response.status_code == 201, response.content
    user_id = response.json()["id"]
    for name in photos:
        response = api.post(faces(project_id, user_id), {"image": photo(name), "save_image": save_image},
                            format="json", **headers)
        assert response.status_code == 201, response.content
    return user_id


# --- the seed's flow, end to end -----------------------------------------------------------------

def test_seed_flow_end_to_end(api, user, password, settings):
    settings.TIME_ZONE = "Asia/Seoul"
    headers = sign_in(api, user.email, password)

    response = api.post(PROJECTS, {"name": "Front desk"}, format="json", **headers)
    assert response.status_code == 201
    project_id = response.json()["id"]
    assert SEED_TIME.match(response.json()["created_at"]) and response.json()["created_at"].endswith("+09:00")

    response = api.get(PROJECTS, **headers)
    assert response.status_code == 200
    [listed] = response.json()
    assert listed["id"] == project_id and listed["name"] == "Front desk"
    assert listed["users"] == 0 and listed["faces"] == 0 and 0 < listed["threshold"] < 100

    body = {"group_id": 1, "registrant": "USER", "status": "UNAPPROVED", "properties": {"name": "Barack Obama"}}
    response = api.post(users(project_id), body, format="json", **headers)
    assert response.status_code == 201
    assert set(response.json()) == {"id", "created_at"}
    obama = response.json()["id"]
    assert SEED_TIME.match(response.json()["created_at"])
    subject = Subject.objects.get(pk=obama)
    assert (subject.group_id, subject.registrant, subject.status, subject.properties) == (
        1, "USER", "UNAPPROVED", {"name": "Barack Obama"})

    response = api.patch(f"{users(project_id)}/{obama}", {"registrant": "ADMIN", "status": "APPROVED"},
                         format="json", **headers)
    assert response.status_code == 200
    assert set(response.json()) == {"id", "updated_at"} and response.json()["id"] == obama
    assert SEED_TIME.match(response.json()["updated_at"])

    response = api.post(faces(project_id, obama), {"save_image": True, "image": photo("train_obama_obama.jpg")},
                        format="json", **headers)
    assert response.status_code == 201, response.content
    assert set(response.json()) == {"id", "created_at"}
    first_face = response.json()["id"]
    response = api.post(faces(project_id, obama), {"save_image": False, "image": photo("train_obama_obama2.jpg")},
                        format="json", **headers)
    assert response.status_code == 201
    second_face = response.json()["id"]
    biden = enrol(api, headers, project_id, "train_biden_biden.jpg", name="Joe Biden")

    response = api.get(faces(project_id, obama), **headers)
    assert response.status_code == 200
    listed = response.json()
    assert [face["id"] for face in listed] == [first_face, second_face]
    assert [face["has_image"] for face in listed] == [True, False]
    box = listed[0]["box"]
    assert box["right"] > box["left"] and box["bottom"] > box["top"]

    response = api.get(f"{faces(project_id, obama)}/{first_face}", **headers)
    assert response.status_code == 200
    assert set(response.json()) == {"id", "image", "created_at"}
    assert base64.b64decode(response.json()["image"]) == shared("faces/train_obama_obama.jpg").read_bytes()
    assert api.get(f"{faces(project_id, obama)}/{second_face}", **headers).json()["image"] is None

    response = api.post(f"{PROJECTS}/{project_id}/check-in",
                        {"condition": {}, "option": 3, "image": photo("unittest_obama3.jpg")}, format="json", **headers)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["user_id"] == obama and body["status"] == "APPROVED"
    assert body["similarity"] >= listed_threshold(api, headers)
    assert SEED_TIME.match(body["checkin_at"]) and body["checkin_at"].endswith("+09:00")
    assert [c["user_id"] for c in body["candidates"]] == [obama, biden]  # only two people enrolled
    assert body["candidates"][0]["similarity"] == body["similarity"] > body["candidates"][1]["similarity"]

    response = api.post(f"{PROJECTS}/{project_id}/_search", {"image": photo("train_biden_biden2.jpg")},
                        format="json", **headers)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"user_id", "matched", "similarity", "searched_at"}
    assert body["user_id"] == biden and body["matched"] is True and SEED_TIME.match(body["searched_at"])

    # A stranger (nobody enrolled her): search says who is closest and that it is no match; check-in says
    # nobody matches.
    stranger = {"image": photo("train_rose_leslie_img2.jpg")}
    response = api.post(f"{PROJECTS}/{project_id}/_search", stranger, format="json", **headers)
    assert response.status_code == 200 and response.json()["matched"] is False
    response = api.post(f"{PROJECTS}/{project_id}/check-in", stranger, format="json", **headers)
    assert_error(response, 404)
    assert "similar" in response.json()["message"]
    assert list(Recognition.objects.values_list("kind", "outcome")) == [
        ("check-in", "no-match"), ("search", "no-match"), ("search", "matched"), ("check-in", "matched")]

    response = api.patch(f"{faces(project_id, obama)}/{first_face}", {"save_image": False}, format="json", **headers)
    assert response.status_code == 200 and set(response.json()) == {"id", "updated_at"}
    assert api.get(f"{faces(project_id, obama)}/{first_face}", **headers).json()["image"] is None

    response = api.delete(f"{faces(project_id, obama)}/{second_face}", **headers)
    assert response.status_code == 200
    assert response.json()["id"] == second_face and SEED_TIME.match(response.json()["deleted_at"])
    response = api.delete(faces(project_id, obama), **headers)
    assert response.status_code == 200
    assert response.json()["user_id"] == obama and SEED_TIME.match(response.json()["deleted_at"])
    assert not Face.objects.filter(subject_id=obama).exists()
    # With obama's faces gone, his photo no longer checks in as him.
    response = api.post(f"{PROJECTS}/{project_id}/check-in", {"image": photo("unittest_obama3.jpg")},
                        format="json", **headers)
    assert_error(response, 404)

    response = api.delete(f"{users(project_id)}/{biden}", **headers)
    assert response.status_code == 200 and response.json()["id"] == biden
    assert not Subject.objects.filter(pk=biden).exists()
    assert Recognition.objects.filter(kind="search", outcome="matched", subject=None).exists()  # the log stays
    response = api.post(f"{PROJECTS}/{project_id}/_search", {"image": photo("train_biden_biden2.jpg")},
                        format="json", **headers)
    assert_error(response, 404)
    assert "Nobody is enrolled" in response.json()["message"]


def listed_threshold(api, headers):
    return api.get(PROJECTS, **headers).json()[0]["threshold"]


# --- recognising -----------------------------------------------------------------------------------

def test_check_in_finds_the_largest_face_or_refuses_several_when_asked(api, headers, project):
    obama = enrol(api, headers, project, "train_obama_obama.jpg")
    biden = enrol(api, headers, project, "train_biden_biden.jpg")
    check_in = f"{PROJECTS}/{project}/check-in"
    response = api.post(check_in, {"image": photo("two_people.jpg")}, format="json", **headers)
    assert response.status_code == 200
    assert response.json()["user_id"] in (obama, biden)  # their faces are the same size in this photo
    response = api.post(check_in, {"image": photo("two_people.jpg"), "condition": {"single_face": True}},
                        format="json", **headers)
    assert_error(response, 409)
    assert "2 faces" in response.json()["message"]
    assert Recognition.objects.filter(outcome="refused").count() == 1


def test_condition_restricts_the_candidates(api, headers, project):
    obama = enrol(api, headers, project, "train_obama_obama.jpg", status="UNAPPROVED")
    check_in = f"{PROJECTS}/{project}/check-in"
    response = api.post(check_in, {"image": photo("unittest_obama3.jpg"), "condition": {"status": "APPROVED"}},
                        format="json", **headers)
    assert_error(response, 404)
    assert "condition" in response.json()["message"]
    response = api.post(check_in, {"image": photo("unittest_obama3.jpg"),
                                   "condition": {"status": ["APPROVED", "UNAPPROVED"]}}, format="json", **headers)
    assert response.status_code == 200 and response.json()["user_id"] == obama
    response = api.post(check_in, {"image": photo("unittest_obama3.jpg"), "condition": {"min_similarity": 100}},
                        format="json", **headers)
    assert_error(response, 404)


def test_search_sees_every_enrol_and_delete_at_once(api, headers, project):
    """The matrix kept in memory and the one stored for other processes follow every change."""
    search = f"{PROJECTS}/{project}/_search"
    obama = enrol(api, headers, project, "train_obama_obama.jpg")
    assert api.post(search, {"image": photo("unittest_obama3.jpg")}, format="json", **headers).json()["matched"]
    stored = SearchMatrix.objects.get(project_id=project)
    assert stored.faces_version == FaceProject.objects.get(pk=project).faces_version
    # Another process deleted the face: this one's kept matrix is older than the version it reads.
    Face.objects.filter(subject_id=obama).delete()
    FaceProject.objects.get(pk=project).faces_changed()
    assert_error(api.post(search, {"image": photo("unittest_obama3.jpg")}, format="json", **headers), 404)
    # A process that starts fresh loads the stored matrix rather than every face row.
    biden = enrol(api, headers, project, "train_biden_biden.jpg")
    assert found(api, headers, search, "train_biden_biden2.jpg") == biden
    index.forget(project)
    assert found(api, headers, search, "train_biden_biden2.jpg") == biden


def found(api, headers, search, name):
    return api.post(search, {"image": photo(name)}, format="json", **headers).json()["user_id"]


def test_saved_recognition_photos_are_kept_when_the_project_asks(api, headers):
    project = api.post(PROJECTS, {"name": "Lobby", "save_images": True}, format="json", **headers).json()["id"]
    enrol(api, headers, project, "train_obama_obama.jpg")
    api.post(f"{PROJECTS}/{project}/check-in", {"image": photo("unittest_obama3.jpg")}, format="json", **headers)
    recognition = Recognition.objects.get()
    assert recognition.image.read() == shared("faces/unittest_obama3.jpg").read_bytes()


# --- every error code the seed lists -----------------------------------------------------------------

def test_without_a_token_every_route_is_401(api):
    for method, path in routes(1, 1, 1):
        response = getattr(api, method)(path, {}, format="json")
        assert_error(response, 401)
        assert "X-API-Token" in response.json()["message"]


@pytest.mark.parametrize("name, message", [
    ("fer_no_face.jpg", "No face"),
])
def test_a_photo_without_a_face_is_409(api, headers, project, name, message):
    user_id = enrol(api, headers, project)
    response = api.post(faces(project, user_id), {"image": photo(name)}, format="json", **headers)
    assert_error(response, 409)
    assert message in response.json()["message"]


def test_a_blurred_face_is_409(api, headers, project):
    user_id = enrol(api, headers, project)
    response = api.post(faces(project, user_id), {"image": blurred("train_obama_obama.jpg")}, format="json",
                        **headers)
    assert_error(response, 409)
    assert "blur" in response.json()["message"]


@pytest.mark.parametrize("image, words", [
    ("not base64 at all!", "base64"),
    (base64.b64encode(b"just some text, not a picture").decode(), "not a JPEG"),
    ("", "empty"),
    (12, "base64 string"),
])
def test_unreadable_images_are_400(api, headers, project, image, words):
    user_id = enrol(api, headers, project)
    for path in (faces(project, user_id), f"{PROJECTS}/{project}/check-in", f"{PROJECTS}/{project}/_search"):
        response = api.post(path, {"image": image}, format="json", **headers)
        assert_error(response, 400)
        assert words in response.json()["message"], response.json()


@pytest.mark.parametrize("body, words", [
    ({"condition": {"colour": "red"}}, "unknown key(s) colour; the valid keys are group_id, status, single_face"),
    ({"condition": {"group_id": "one"}}, "group_id must be an integer"),
    ({"condition": "APPROVED"}, "condition must be a JSON object"),
    ({"condition": {"min_similarity": 140}}, "min_similarity"),
    ({"option": 0}, "option must be an integer from 1 to 10"),
    ({"option": "3"}, "option must be an integer"),
])
def test_bad_conditions_and_options_are_400(api, headers, project, body, words):
    response = api.post(f"{PROJECTS}/{project}/check-in", {"image": photo("unittest_obama3.jpg"), **body},
                        format="json", **headers)
    assert_error(response, 400)
    assert words in response.json()["message"]


@pytest.mark.parametrize("body", [
    {"group_id": "1"}, {"properties": []}, {"status": 3}, {"registrant": "x" * 151},
])
def test_bad_user_fields_are_400(api, headers, project, body):
    assert_error(api.post(users(project), body, format="json", **headers), 400)


def test_unknown_users_and_faces_are_404(api, headers, project):
    user_id = enrol(api, headers, project)
    for method, path in [("patch", f"{users(project)}/999999"), ("delete", f"{users(project)}/999999"),
                         ("get", faces(project, 999999)), ("delete", faces(project, 999999)),
                         ("get", f"{faces(project, user_id)}/999999"), ("patch", f"{faces(project, user_id)}/999999"),
                         ("delete", f"{faces(project, user_id)}/999999")]:
        assert_error(getattr(api, method)(path, {}, format="json", **headers), 404)


def test_ids_that_are_not_numbers_are_400(api, headers, project):
    response = api.patch(f"{users(project)}/abc", {}, format="json", **headers)
    assert_error(response, 400)
    assert "user_id must be an integer" in response.json()["message"]


def test_a_photo_larger_than_the_limit_is_400(api, headers, project, settings):
    settings.FACE_BODY_MAX_BYTES = 1024 * 1024
    user_id = enrol(api, headers, project)
    response = api.post(faces(project, user_id), {"image": "A" * (2 * 1024 * 1024)}, format="json", **headers)
    assert_error(response, 400)
    assert "larger than 1 MB" in response.json()["message"]


# --- one account never sees or touches another's project ------------------------------------------------

def routes(project_id, user_id, face_id):
    user = f"{users(project_id)}/{user_id}"
    return [
        ("post", users(project_id)), ("patch", user), ("delete", user),
        ("get", f"{user}/faces"), ("post", f"{user}/faces"), ("delete", f"{user}/faces"),
        ("get", f"{user}/faces/{face_id}"), ("patch", f"{user}/faces/{face_id}"),
        ("delete", f"{user}/faces/{face_id}"),
        ("post", f"{PROJECTS}/{project_id}/check-in"), ("post", f"{PROJECTS}/{project_id}/_search"),
    ]


def test_another_accounts_token_gets_403_on_every_route_and_changes_nothing(api, headers, project, password):
    user_id = enrol(api, headers, project, "train_obama_obama.jpg", save_image=True)
    face_id = Face.objects.get().pk
    before = snapshot()
    stranger = UserFactory()
    other = sign_in(api, stranger.email, password)
    assert api.get(PROJECTS, **other).json() == []
    body = {"image": photo("train_obama_obama2.jpg"), "save_image": False, "status": "X", "properties": {}}
    for method, path in routes(project, user_id, face_id):
        response = getattr(api, method)(path, body, format="json", **other)
        assert_error(response, 403)
    # An unknown project id answers the same: no answer tells whether another account's project exists.
    assert api.post(users(999999), {}, format="json", **other).json()["message"].startswith("You have no project")
    assert snapshot() == before


def test_members_of_the_projects_group_may_use_it(api, headers, project, password):
    from roles.models import Group, Membership

    member = UserFactory()
    group = Group.objects.create(name="Reception")
    Membership.objects.create(user=member, group=group)
    FaceProject.objects.filter(pk=project).update(group=group)
    response = api.post(users(project), {"status": "APPROVED"}, format="json",
                        **sign_in(api, member.email, password))
    assert response.status_code == 201


def snapshot():
    return (list(FaceProject.objects.values()), list(Subject.objects.values()),
            list(Face.objects.values("pk", "subject_id", "embedding", "image", "updated_at")),
            list(Recognition.objects.values()))


def test_a_photo_larger_than_the_usual_json_limit_is_read(api, headers, project, settings):
    """Photos travel as base64 in JSON: a 3 MB photo is a 4 MB body, over the 2 MB other JSON bodies may have."""
    user_id = enrol(api, headers, project)
    noise = Image.fromarray(np.random.default_rng(0).integers(0, 256, (1000, 1000, 3), dtype=np.uint8))
    buffer = io.BytesIO()
    noise.save(buffer, "PNG")
    assert buffer.tell() > settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    response = api.post(faces(project, user_id), {"image": base64.b64encode(buffer.getvalue()).decode()},
                        format="json", **headers)
    assert_error(response, 409)  # read and searched: there is no face in noise
