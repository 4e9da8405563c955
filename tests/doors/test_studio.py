"""Seed 003, "Account" and "User Detail": the studio door at its exact paths.

Every success answers 200 (the studio's original service was FastAPI), except `/login` with the
e-mail address alone, which e-mails a one-time code and answers 202 instead of a token.
Every error answers `{"message": ...}`.
"""

import io
import json
import re

import numpy as np
import pytest
import trimesh
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts import services
from accounts.models import Session, SignInCode, User
from gallery.models import Item
from gallery.tasks import run_item
from generation.avatar.examples import SEED_IMAGE
from tests.conftest import bearer
from tests.data import SHARED_DATA, needs
from tests.factories import PASSWORD, UserFactory
from tests.pictures import black_png

pytestmark = pytest.mark.django_db

DATA = SHARED_DATA
REAL_PHOTOS = [
    pytest.param(DATA / "avatar" / "mimicmotion_demo1.jpg", (1080, 1920), id="rgb-jpeg",
                 marks=needs(DATA / "avatar" / "mimicmotion_demo1.jpg")),
    pytest.param(DATA / "faces" / "unittest_32bit.png", (626, 1200), id="rgba-png",
                 marks=needs(DATA / "faces" / "unittest_32bit.png")),
]

SEED_PROFILE = {
    "email": "ada@example.com",
    "full_name": "Ada Lovelace",
    "date_of_birth": 1731754271,
    "ethnicity": "string",
    "gender": "Female",
}
# 1731754271 is 2024-11-16 10:51:11 UTC; the date of birth comes back as that day's midnight UTC.
SEED_BIRTH_MIDNIGHT = 1731715200
SEED_DETAILS = {
    "face_shape": "long",
    "skin_tone": 2,
    "body_dimensions": [{"key": "b_{main}_muscular", "value": 0.5}, {"key": "b_{main}_overweight", "value": 1}],
    "real_world_measurements": "height 170 cm",
    "hair_style": "10",
    "hair_color": "6B4F30FF",
}
PROTECTED = [
    ("get", "/get_user_info"),
    ("post", "/update_user_info"),
    ("post", "/upload_avatar"),
    ("get", "/get_avatar"),
    ("get", "/get_avatar_thumbnail"),
    ("get", "/get_user_details"),
    ("post", "/update_user_details"),
]


# --- helpers --------------------------------------------------------------------------------

def post(api, path, body, **headers):
    return api.post(path, body, format="json", **headers)


def post_raw(api, path, text, **headers):
    return api.post(path, data=text, content_type="application/json", **headers)


def error(response, status):
    """The response is the door's error: exactly `{"message": <text>}` with `status`."""
    assert response.status_code == status, response.content
    body = response.json()
    assert list(body) == ["message"] and isinstance(body["message"], str) and body["message"]
    return body["message"]


def message(response):
    assert response.status_code == 200, response.content
    body = response.json()
    assert list(body) == ["message"] and body["message"]
    return body["message"]


def last_code(email):
    sent = [m for m in mail.outbox if m.to == [email]]
    assert sent, f"no mail was sent to {email}"
    return re.search(r"\b(\d{6})\b", sent[-1].body).group(1)


def log_in_with_code(api, email):
    assert post(api, "/login", {"email": email}).status_code == 202
    response = post(api, "/login", {"email": email, "code": last_code(email)})
    assert response.status_code == 200, response.content
    return response.json()["token"]


def auth(token):
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def image_bytes(size=(64, 48), colour=(200, 40, 40), fmt="JPEG", mode="RGB"):
    buffer = io.BytesIO()
    Image.new(mode, size, colour).save(buffer, fmt)
    return buffer.getvalue()


def upload(api, headers, content, name="photo.jpg", field="file", content_type="image/jpeg"):
    return api.post("/upload_avatar", {field: SimpleUploadedFile(name, content, content_type)},
                    format="multipart", **headers)


def downloaded_image(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    # Consuming the stream closes the response (the test client does it, without dropping the connection).
    content = b"".join(response.streaming_content)
    image = Image.open(io.BytesIO(content))
    assert image.format == "JPEG"
    return image


@pytest.fixture
def token(api, user):
    """A studio token for a confirmed account with a password."""
    response = post(api, "/login", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 200, response.content
    return response.json()["token"]


@pytest.fixture
def codes(monkeypatch):
    """Sign-in codes become predictable: 111111, then 222222, ..."""
    issued = []

    def next_code(upper):
        issued.append(str(111111 * (len(issued) + 1)))
        return int(issued[-1])

    monkeypatch.setattr(services.secrets, "randbelow", next_code)
    return issued


@pytest.fixture
def headers(token):
    return auth(token)


# --- the seed's example flow ----------------------------------------------------------------

# The worker's run (run_item) needs real commits, as a worker has.
@pytest.mark.django_db(transaction=True)
def test_the_seed_call_example_end_to_end(api):
    """Seed 003's "API Call Example", steps 1-10, with the seed's own bodies and the real avatar pipeline."""
    headers = seed_steps_1_to_4(api)

    response = post(api, "/generate", SEED_IMAGE, **headers)  # 5
    assert response.status_code == 200, response.content
    assert list(response.json()) == ["task_id"]
    task_id = response.json()["task_id"]
    assert task_id.isdigit() and len(task_id) == 13  # milliseconds, as the seed's ids

    assert api.get(f"/generate/{task_id}", **headers).json() == {"status": 0, "position": 0}  # 6: queued, next
    item = Item.objects.get(generation__task_id=task_id)
    assert run_item(str(item.pk)) == "done", Item.objects.get(pk=item.pk).failure_reason  # (the worker)
    assert api.get(f"/generate/{task_id}", **headers).json() == {"status": 2, "position": -1}  # 7

    gallery = api.get("/get_gallery", **headers).json()  # 8
    assert gallery == {"gallery_urls": [{"type": "image", "url": f"{task_id}-1"}]}
    url = next(entry["url"] for entry in gallery["gallery_urls"] if entry["url"].startswith(task_id))  # 9

    picture = downloaded_image(api.get(f"/get_gallery_image/{url}", **headers))  # 10
    assert picture.size == (512, 768)
    pixels = np.asarray(picture.convert("RGB"), dtype=np.int16)
    # The seed's background FFE4DB fills the corners; the avatar fills much of the middle.
    assert np.abs(pixels[2, 2] - (0xFF, 0xE4, 0xDB)).max() <= 3
    middle = pixels[200:600, 180:330]
    assert (np.abs(middle - (0xFF, 0xE4, 0xDB)).max(axis=2) > 30).mean() > 0.5
    thumbnail = downloaded_image(api.get(f"/get_thumbnail/{url}", **headers))
    assert thumbnail.width == 128  # image_options.thumbnail_width
    model = api.get(f"/get_gallery_model/{url}", **headers)
    scene = trimesh.load(io.BytesIO(b"".join(model.streaming_content)), file_type="glb")
    assert len(scene.geometry) >= 3  # body, hair, clothes
    height = scene.bounds[1][1] - scene.bounds[0][1]
    assert 1.3 < height < 2.1  # a person, in metres


def test_the_seed_example_flow_register_login_details_avatar(api):
    seed_steps_1_to_4(api)


def seed_steps_1_to_4(api):
    """/register, /login, /update_user_details, /upload_avatar as the seed's example; the token's headers."""
    assert "Log in" in message(post(api, "/register", SEED_PROFILE))

    # /login with the seed's body, the e-mail alone: a code by e-mail, never a token.
    response = post(api, "/login", {"email": SEED_PROFILE["email"]})
    assert response.status_code == 202
    assert list(response.json()) == ["message"]
    assert response.json()["message"].startswith("If an account exists for ada@example.com, we sent it a sign-in code")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ada@example.com"]

    response = post(api, "/login", {"email": SEED_PROFILE["email"], "code": last_code("ada@example.com")})
    assert response.status_code == 200
    assert list(response.json()) == ["token"]
    headers = auth(response.json()["token"])

    response = api.get("/get_user_info", **headers)
    assert response.status_code == 200
    assert response.json() == {
        "email": "ada@example.com",
        "full_name": "Ada Lovelace",
        "date_of_birth": SEED_BIRTH_MIDNIGHT,
        "ethnicity": "string",
        "gender": "Female",
    }

    message(post(api, "/update_user_details", SEED_DETAILS, **headers))
    response = api.get("/get_user_details", **headers)
    assert response.status_code == 200
    assert response.json() == SEED_DETAILS

    message(upload(api, headers, image_bytes((640, 480))))
    assert downloaded_image(api.get("/get_avatar", **headers)).size == (640, 480)
    assert downloaded_image(api.get("/get_avatar_thumbnail", **headers)).size == (256, 192)

    # Receiving the code proved the address.
    user = User.objects.get(email="ada@example.com")
    assert user.email_verified
    assert Session.objects.get(user=user).kind == Session.Kind.CODE
    assert Session.objects.get(user=user).door == "studio"
    return headers


@pytest.mark.parametrize("path, size", REAL_PHOTOS)
def test_a_real_photo_uploads_and_comes_back_as_jpeg_with_a_thumbnail_within_256(api, headers, path, size):
    with path.open("rb") as handle:
        message(upload(api, headers, handle.read(), path.name, content_type="application/octet-stream"))

    avatar = downloaded_image(api.get("/get_avatar", **headers))
    assert (avatar.mode, avatar.size) == ("RGB", size)
    thumbnail = downloaded_image(api.get("/get_avatar_thumbnail", **headers))
    assert max(thumbnail.size) == 256 and thumbnail.width <= 256 and thumbnail.height <= 256


def test_a_studio_token_works_at_the_atlas_door(api, user, headers):
    response = api.get("/atlas/me", **headers)
    assert response.status_code == 200
    assert response.json()["email"] == user.email


def test_an_atlas_token_works_at_the_studio_door(api, user):
    response = api.get("/get_user_info", **bearer(user, door="atlas"))
    assert response.status_code == 200
    assert response.json()["email"] == user.email


# --- /register --------------------------------------------------------------------------------

def test_register_without_password_stores_the_profile_and_sends_no_mail(api):
    message(post(api, "/register", SEED_PROFILE))

    user = User.objects.get(email="ada@example.com")
    assert (user.full_name, user.ethnicity, user.gender) == ("Ada Lovelace", "string", "Female")
    assert user.date_of_birth.isoformat() == "2024-11-16"
    assert not user.has_usable_password() and not user.email_verified
    assert mail.outbox == []


def test_register_with_password_needs_the_emailed_link_before_password_login(api):
    body = {**SEED_PROFILE, "password": "Another-Horse-9!"}
    assert "confirm" in message(post(api, "/register", body))
    assert len(mail.outbox) == 1

    refused = post(api, "/login", {"email": "ada@example.com", "password": "Another-Horse-9!"})
    assert "Confirm your e-mail address" in error(refused, 403)

    link = re.search(r"https?://\S+", mail.outbox[0].body).group(0)
    assert api.get(link).status_code == 200
    response = post(api, "/login", {"email": "ada@example.com", "password": "Another-Horse-9!"})
    assert response.status_code == 200 and list(response.json()) == ["token"]


def test_register_accepts_a_date_of_birth_before_1970(api):
    message(post(api, "/register", {**SEED_PROFILE, "date_of_birth": -14182940}))  # 1969-07-20 20:17:40
    assert User.objects.get().date_of_birth.isoformat() == "1969-07-20"


def test_register_twice_with_the_same_address_is_409(api):
    message(post(api, "/register", SEED_PROFILE))
    response = post(api, "/register", {**SEED_PROFILE, "email": "ADA@Example.com "})
    assert "already exists" in error(response, 409)
    assert User.objects.count() == 1


@pytest.mark.parametrize("field", ["email", "full_name", "date_of_birth", "ethnicity", "gender"])
def test_register_without_a_required_field_is_400(api, field):
    body = {k: v for k, v in SEED_PROFILE.items() if k != field}
    assert field in error(post(api, "/register", body), 400)
    assert not User.objects.exists()


@pytest.mark.parametrize("field, value", [
    ("email", "not-an-address"),
    ("email", None),
    ("full_name", ""),
    ("full_name", ["Ada"]),
    ("date_of_birth", "16 November 2024"),
    ("date_of_birth", 1731754271.5),
    ("date_of_birth", True),
    ("date_of_birth", 1731754271000),  # milliseconds
    ("date_of_birth", 4102444800),  # 2100: in the future
    ("date_of_birth", -5000000000),  # before 1900
    ("gender", None),
])
def test_register_with_a_wrong_value_is_400(api, field, value):
    assert field in error(post(api, "/register", {**SEED_PROFILE, field: value}), 400)
    assert not User.objects.exists()


def test_a_full_name_with_a_line_break_is_400_at_registration_and_update(api, user, headers):
    expected = ("full_name: The name contains a line break (U+000A) at character 4. "
                "Names must be one line of visible text: remove it and try again.")
    assert error(post(api, "/register", {**SEED_PROFILE, "full_name": "Ada\nLovelace"}), 400) == expected
    assert not User.objects.filter(email=SEED_PROFILE["email"]).exists()
    assert error(post(api, "/update_user_info", {"full_name": "Ada\nLovelace"}, **headers), 400) == expected
    user.refresh_from_db()
    assert user.full_name == ""


def test_register_with_a_weak_password_is_400(api):
    error(post(api, "/register", {**SEED_PROFILE, "password": "short"}), 400)
    assert not User.objects.exists()


@pytest.mark.parametrize("path", ["/register", "/login", "/update_user_info", "/update_user_details"])
@pytest.mark.parametrize("text", ['["ada@example.com"]', '"ada@example.com"', "42", "{not json"])
def test_a_body_that_is_not_a_json_object_is_400(api, headers, path, text):
    error(post_raw(api, path, text, **headers), 400)


# --- /login ---------------------------------------------------------------------------------

def test_login_with_an_unknown_address_answers_the_same_and_sends_nothing(api, user):
    known = post(api, "/login", {"email": user.email})
    unknown = post(api, "/login", {"email": "nobody@example.com"})

    assert known.status_code == unknown.status_code == 202
    assert unknown.json() == {"message": known.json()["message"].replace(user.email, "nobody@example.com")}
    assert [m.to for m in mail.outbox] == [[user.email]]


def test_login_with_password_answers_a_token_of_a_studio_password_session(api, user):
    response = post(api, "/login", {"email": user.email.upper(), "password": PASSWORD})
    assert response.status_code == 200
    assert list(response.json()) == ["token"]
    session = Session.objects.get(user=user)
    assert (session.kind, session.door) == (Session.Kind.PASSWORD, "studio")
    assert api.get("/get_user_info", **auth(response.json()["token"])).status_code == 200


def test_login_with_a_wrong_password_is_401(api, user):
    assert "incorrect" in error(post(api, "/login", {"email": user.email, "password": "Wrong-Horse-1!"}), 401)


def test_login_with_a_password_for_an_unknown_address_is_401(api, db):
    error(post(api, "/login", {"email": "nobody@example.com", "password": PASSWORD}), 401)


def test_login_with_password_before_confirming_the_address_is_403(api, db):
    user = UserFactory(email_verified=False)
    assert "Confirm your e-mail address" in error(post(api, "/login", {"email": user.email, "password": PASSWORD}), 403)
    assert not Session.objects.exists()


def test_login_with_a_wrong_code_is_401(api, user):
    assert post(api, "/login", {"email": user.email}).status_code == 202
    code = last_code(user.email)
    wrong = "000000" if code != "000000" else "111111"
    assert "wrong or has expired" in error(post(api, "/login", {"email": user.email, "code": wrong}), 401)
    assert not Session.objects.exists()


def test_login_with_a_code_but_never_asked_for_one_is_401(api, user):
    error(post(api, "/login", {"email": user.email, "code": "123456"}), 401)


def test_a_code_works_only_once(api, user):
    post(api, "/login", {"email": user.email})
    code = last_code(user.email)
    assert post(api, "/login", {"email": user.email, "code": code}).status_code == 200
    error(post(api, "/login", {"email": user.email, "code": code}), 401)
    assert Session.objects.count() == 1


def test_asking_for_a_new_code_cancels_the_previous_one(api, user, codes):
    post(api, "/login", {"email": user.email})
    post(api, "/login", {"email": user.email})
    assert codes == ["111111", "222222"] and last_code(user.email) == "222222"

    error(post(api, "/login", {"email": user.email, "code": "111111"}), 401)
    assert post(api, "/login", {"email": user.email, "code": "222222"}).status_code == 200


def test_a_code_for_one_account_does_not_open_another(api, user, other_user, codes):
    post(api, "/login", {"email": user.email})
    post(api, "/login", {"email": other_user.email})
    assert (last_code(user.email), last_code(other_user.email)) == ("111111", "222222")

    error(post(api, "/login", {"email": other_user.email, "code": "111111"}), 401)
    assert post(api, "/login", {"email": other_user.email, "code": "222222"}).status_code == 200


def test_a_code_stops_working_after_too_many_wrong_guesses(api, user, settings):
    settings.THROTTLE_RATES = {"address": "100/min", "ip": "100/min"}
    post(api, "/login", {"email": user.email})
    code = last_code(user.email)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(SignInCode.MAX_ATTEMPTS):
        error(post(api, "/login", {"email": user.email, "code": wrong}), 401)
    error(post(api, "/login", {"email": user.email, "code": code}), 401)


def test_login_with_both_password_and_code_is_400(api, user):
    assert "not both" in error(post(api, "/login", {"email": user.email, "password": PASSWORD, "code": "1"}), 400)


@pytest.mark.parametrize("body", [{}, {"email": "not-an-address"}, {"email": 42}, {"password": PASSWORD},
                                  {"email": "ada@example.com", "password": ""}])
def test_login_with_a_missing_or_wrong_field_is_400(api, db, body):
    error(post(api, "/login", body), 400)
    assert mail.outbox == []


def test_logins_for_one_address_are_throttled(api, user, settings):
    settings.THROTTLE_RATES = {"address": "3/min", "ip": "100/min"}
    for _ in range(3):
        error(post(api, "/login", {"email": user.email, "password": "Wrong-Horse-1!"}), 401)

    # The fourth attempt is refused even with the right password, from any spelling of the address.
    response = post(api, "/login", {"email": user.email.upper(), "password": PASSWORD})
    assert "Too many attempts" in error(response, 429)
    assert int(response["Retry-After"]) > 0
    # Another address is not affected.
    assert post(api, "/login", {"email": "someone-else@example.com"}).status_code == 202


def test_logins_from_one_client_are_throttled_across_addresses(api, db, settings):
    settings.THROTTLE_RATES = {"address": "100/min", "ip": "3/min"}
    for n in range(3):
        assert post(api, "/login", {"email": f"guess{n}@example.com"}).status_code == 202
    error(post(api, "/login", {"email": "guess9@example.com"}), 429)


def test_wrong_passwords_at_another_door_count_here(api, user, settings):
    """One counter per account across doors: five wrong at atlas, and the sixth try at studio is refused."""
    settings.THROTTLE_RATES = {"address": "5/min", "ip": "100/min"}
    for _ in range(5):
        response = api.post("/atlas/auth/sign-In", {"id": user.email, "password": "Wrong-Horse-1!"}, format="json")
        assert response.status_code == 401
    response = post(api, "/login", {"email": user.email, "password": PASSWORD})
    assert error(response, 429) == f"Too many attempts. Try again in {response['Retry-After']} seconds."
    assert Session.objects.count() == 0


def test_code_requests_are_throttled_too(api, user, settings):
    settings.THROTTLE_RATES = {"address": "3/min", "ip": "100/min"}
    for _ in range(3):
        assert post(api, "/login", {"email": user.email}).status_code == 202
    error(post(api, "/login", {"email": user.email}), 429)
    assert len(mail.outbox) == 3


# --- tokens -----------------------------------------------------------------------------------

@pytest.mark.parametrize("method, path", PROTECTED)
def test_every_account_route_needs_a_token(api, method, path):
    assert "Sign in first" in error(getattr(api, method)(path), 401)


@pytest.mark.parametrize("method, path", PROTECTED)
def test_an_invalid_token_is_401(api, db, method, path):
    assert "not valid" in error(getattr(api, method)(path, **auth("not-a-token")), 401)


def test_a_token_of_an_ended_session_is_401(api, user, headers):
    Session.objects.get(user=user).end()
    error(api.get("/get_user_info", **headers), 401)


# --- /get_user_info and /update_user_info -----------------------------------------------------

def test_get_user_info_answers_exactly_the_seed_keys_with_null_when_no_date_of_birth(api, user, headers):
    response = api.get("/get_user_info", **headers)
    assert response.status_code == 200
    assert response.json() == {"email": user.email, "full_name": "", "date_of_birth": None,
                               "ethnicity": "", "gender": ""}


def test_update_user_info_with_every_field(api, user, headers):
    body = {"full_name": "Grace Hopper", "date_of_birth": -1990137600, "ethnicity": "x", "gender": "Female"}
    message(post(api, "/update_user_info", body, **headers))

    assert api.get("/get_user_info", **headers).json() == {"email": user.email, **body}


def test_update_user_info_changes_only_the_fields_sent(api, user, headers):
    message(post(api, "/update_user_info", {"full_name": "Grace", "date_of_birth": 1731754271}, **headers))
    message(post(api, "/update_user_info", {"gender": "Female"}, **headers))

    info = api.get("/get_user_info", **headers).json()
    assert (info["full_name"], info["date_of_birth"], info["gender"]) == ("Grace", SEED_BIRTH_MIDNIGHT, "Female")


def test_update_user_info_can_clear_the_date_of_birth(api, user, headers):
    message(post(api, "/update_user_info", {"date_of_birth": 1731754271}, **headers))
    message(post(api, "/update_user_info", {"date_of_birth": None}, **headers))
    assert api.get("/get_user_info", **headers).json()["date_of_birth"] is None


def test_update_user_info_does_not_change_the_email(api, user, headers):
    message(post(api, "/update_user_info", {"email": "new@example.com", "gender": "Male"}, **headers))
    user.refresh_from_db()
    assert user.email != "new@example.com"


@pytest.mark.parametrize("body", [
    {},
    {"fullname": "typo in the key"},
    {"full_name": ""},
    {"date_of_birth": "yesterday"},
    {"date_of_birth": 4102444800},
    {"gender": ["Female"]},
])
def test_update_user_info_with_nothing_to_change_or_a_wrong_value_is_400(api, user, headers, body):
    error(post(api, "/update_user_info", body, **headers), 400)


# --- /upload_avatar, /get_avatar, /get_avatar_thumbnail ---------------------------------------

@pytest.mark.parametrize("path", ["/get_avatar", "/get_avatar_thumbnail"])
def test_avatar_before_any_upload_is_404(api, headers, path):
    assert "No avatar" in error(api.get(path, **headers), 404)


def test_get_avatar_streams_the_jpeg_even_to_a_client_that_accepts_only_images(api, headers):
    message(upload(api, headers, image_bytes((300, 600), fmt="PNG"), "me.png", content_type="image/png"))

    response = api.get("/get_avatar", HTTP_ACCEPT="image/jpeg", **headers)
    assert response["Cache-Control"] == "private, no-cache"
    assert downloaded_image(response).size == (300, 600)
    assert downloaded_image(api.get("/get_avatar_thumbnail", HTTP_ACCEPT="image/jpeg", **headers)).size == (128, 256)


def test_get_avatar_before_upload_is_a_json_404_even_when_asking_for_an_image(api, headers):
    response = api.get("/get_avatar", HTTP_ACCEPT="image/jpeg", **headers)
    assert response["Content-Type"] == "application/json"
    error(response, 404)


def test_the_file_is_taken_whatever_its_field_is_named(api, headers):
    message(upload(api, headers, image_bytes(), "x.jpg", field="image"))
    assert downloaded_image(api.get("/get_avatar", **headers)).size == (64, 48)


def test_a_large_upload_spooled_to_disk_is_read_from_there(api, headers, settings):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024
    content = image_bytes((400, 300), fmt="PNG")
    assert len(content) > 1024
    message(upload(api, headers, content, "big.png", content_type="image/png"))
    assert downloaded_image(api.get("/get_avatar", **headers)).size == (400, 300)


def test_a_second_upload_replaces_the_first(api, headers):
    message(upload(api, headers, image_bytes((64, 48))))
    message(upload(api, headers, image_bytes((30, 90), colour=(20, 20, 220))))
    avatar = downloaded_image(api.get("/get_avatar", **headers))
    assert avatar.size == (30, 90)
    assert avatar.getpixel((15, 45))[2] > 180


def test_upload_without_a_file_is_400(api, headers):
    assert "exactly one image file" in error(api.post("/upload_avatar", {"name": "x"}, format="multipart",
                                                      **headers), 400)
    error(post(api, "/upload_avatar", {"file": "data:image/jpeg;base64,/9j/"}, **headers), 400)


def test_upload_with_two_files_is_400(api, headers):
    files = {"a": SimpleUploadedFile("a.jpg", image_bytes()), "b": SimpleUploadedFile("b.jpg", image_bytes())}
    error(api.post("/upload_avatar", files, format="multipart", **headers), 400)
    error(api.get("/get_avatar", **headers), 404)


def test_upload_of_text_named_jpg_is_400(api, headers):
    response = upload(api, headers, b"Just some text, not a photo at all.\n" * 20, "photo.jpg")
    assert "not a JPEG or PNG image" in error(response, 400)
    error(api.get("/get_avatar", **headers), 404)


def test_upload_of_a_gif_is_400(api, headers):
    response = upload(api, headers, image_bytes(fmt="GIF", mode="P", colour=1), "photo.gif", content_type="image/gif")
    assert "not a JPEG or PNG image" in error(response, 400)


def test_upload_of_a_truncated_jpeg_is_400(api, headers):
    buffer = io.BytesIO()
    Image.effect_noise((200, 200), 60).convert("RGB").save(buffer, "JPEG")
    content = buffer.getvalue()
    assert "damaged or incomplete" in error(upload(api, headers, content[: len(content) // 2]), 400)


def test_upload_over_the_size_limit_is_400_naming_the_limit(api, headers, settings):
    settings.AVATAR_MAX_BYTES = 1024
    content = image_bytes((400, 300), fmt="PNG")
    assert 1024 < len(content) < 64 * 1024
    assert error(upload(api, headers, content), 400) == "The image is larger than 1 KB. Upload a smaller photo."


def test_upload_of_a_huge_png_in_a_small_file_is_400_naming_the_pixel_limit(api, headers, settings):
    settings.IMAGE_MAX_PIXELS = 40_000_000
    response = upload(api, headers, black_png(9400, 9400), "huge.png", content_type="image/png")
    assert error(response, 400) == ("The image is 9400×9400 (88 megapixels); the limit is 40 megapixels. "
                                    "Resize it and try again.")
    error(api.get("/get_avatar", **headers), 404)


def test_a_request_far_over_the_size_limit_is_refused_before_it_is_read(api, headers, settings):
    settings.AVATAR_MAX_BYTES = 1024
    # Two files would be refused once read; the size of the request is refused first.
    files = {"a": SimpleUploadedFile("a.jpg", bytes(100 * 1024)), "b": SimpleUploadedFile("b.jpg", bytes(100 * 1024))}
    response = api.post("/upload_avatar", files, format="multipart", **headers)
    assert error(response, 400) == "The image is larger than 1 KB. Upload a smaller photo."


# --- /get_user_details and /update_user_details -----------------------------------------------

def test_get_user_details_before_any_update_answers_the_seed_keys_empty(api, headers):
    response = api.get("/get_user_details", **headers)
    assert response.status_code == 200
    assert response.json() == {"face_shape": "", "skin_tone": 0, "body_dimensions": "",
                               "real_world_measurements": "", "hair_style": "", "hair_color": ""}


def test_update_user_details_with_the_seeds_strings(api, headers):
    body = {"face_shape": "string", "skin_tone": 0, "body_dimensions": "string",
            "real_world_measurements": "string", "hair_style": "string", "hair_color": "string"}
    message(post(api, "/update_user_details", body, **headers))
    assert api.get("/get_user_details", **headers).json() == body


def test_update_user_details_keeps_lists_and_objects_as_sent(api, headers):
    body = {"body_dimensions": [{"key": "b_{Torso}_Hips Size", "value": 0}],
            "real_world_measurements": {"height_cm": 170, "waist": [70, "cm"]}}
    message(post(api, "/update_user_details", body, **headers))
    details = api.get("/get_user_details", **headers).json()
    assert details["body_dimensions"] == body["body_dimensions"]
    assert details["real_world_measurements"] == body["real_world_measurements"]


def test_update_user_details_changes_only_the_fields_sent(api, headers):
    message(post(api, "/update_user_details", SEED_DETAILS, **headers))
    message(post(api, "/update_user_details", {"hair_color": "000000FF", "skin_tone": 5}, **headers))
    assert api.get("/get_user_details", **headers).json() == {**SEED_DETAILS, "hair_color": "000000FF",
                                                              "skin_tone": 5}


@pytest.mark.parametrize("body", [
    {},
    {"skintone": 2},
    {"skin_tone": "dark"},
    {"skin_tone": 2.5},
    {"skin_tone": True},
    {"skin_tone": -1},
    {"skin_tone": None},
    {"body_dimensions": 5},
    {"body_dimensions": None},
    {"real_world_measurements": True},
    {"face_shape": ["long"]},
    {"hair_color": "x" * 33},
])
def test_update_user_details_with_nothing_to_change_or_a_wrong_value_is_400(api, headers, body):
    error(post(api, "/update_user_details", body, **headers), 400)
    assert api.get("/get_user_details", **headers).json()["skin_tone"] == 0


def test_details_belong_to_their_owner(api, headers, other_user):
    message(post(api, "/update_user_details", SEED_DETAILS, **headers))
    assert services.details_of(other_user).face_shape == ""
    other = api.get("/get_user_details", **bearer(other_user, door="studio")).json()
    assert other["face_shape"] == ""


def test_the_error_body_of_an_unparseable_request_is_the_doors_message(api, headers):
    response = post_raw(api, "/update_user_details", "{not json", **headers)
    assert "JSON" in error(response, 400)
    assert json.loads(response.content) == response.json()


# --- generate: what is refused ------------------------------------------------------------------

def seed_body_with(section, **changes):
    body = json.loads(json.dumps(SEED_IMAGE))
    body[section].update(changes)
    return body


@pytest.mark.parametrize("body, named", [
    (seed_body_with("user_details", body_dimensions=[{"key": "b_{Torso}_Tail Length", "value": 1}]),
     "b_{Torso}_Belly Size"),
    (seed_body_with("user_details", body_dimensions=[{"key": "b_{Torso}_Belly Size", "value": 7}]), "-2"),
    (seed_body_with("user_details", body_dimension_lengths=[{"key": "tail", "value": {"x": 1, "y": 1, "z": 1}}]),
     "spine"),
    (seed_body_with("user_details", expression="Smirk"), "Kiss"),
    (seed_body_with("user_details", pose="Y-Pose"), "T-Pose"),
    (seed_body_with("user_details", camera_view="Above"), "Front"),
    (seed_body_with("user_details", hair_color="brownish"), "hair_color"),
    (seed_body_with("user_details", skin_tone=42), "skin_tone"),
    (seed_body_with("apparel_details", item_id="Kimono"), "LongSleeve"),
    (seed_body_with("image_options", quality=0), "quality"),
    ({"user_details": "tall"}, "user_details"),
    ([1, 2], "JSON object"),
])
def test_generate_refuses_what_the_avatar_cannot_be_naming_the_valid_choices(api, headers, body, named):
    response = post(api, "/generate", body, **headers)
    assert named in error(response, 400)
    assert not Item.objects.exists()


def test_generate_video_refuses_a_duration_out_of_range(api, headers):
    body = {"user_details": SEED_IMAGE["user_details"], "video_options": {"duration": 600}}
    assert "duration" in error(post(api, "/generate_video", body, **headers), 400)


def test_the_seeds_video_body_is_queued_and_says_the_video_is_made_here(api, headers):
    from generation.avatar.examples import SEED_VIDEO
    from generation.models import Generation

    response = post(api, "/generate_video", SEED_VIDEO, **headers)
    assert response.status_code == 200, response.content
    generation = Generation.objects.get(task_id=response.json()["task_id"])
    assert generation.kind == "video" and "PixVerse was asked for" in generation.renderer
    assert api.get(f"/generate/{generation.task_id}", **headers).json() == {"status": 0, "position": 0}


@pytest.mark.django_db(transaction=True)
def test_a_one_second_video_is_24_frames_of_h264_with_its_renderer_recorded(api, user, tmp_path):
    import imageio_ffmpeg

    from generation.avatar.examples import SEED_VIDEO
    from generation.models import Generation

    headers = auth(services.door_token(services.start_session(None, user, kind=Session.Kind.PASSWORD,
                                                              door="studio")))
    body = json.loads(json.dumps(SEED_VIDEO))
    body["video_options"].update(duration=1, prompt="wave hello", seed=3)
    task_id = post(api, "/generate_video", body, **headers).json()["task_id"]
    item = Item.objects.get(generation__task_id=task_id)
    assert run_item(str(item.pk)) == "done", Item.objects.get(pk=item.pk).failure_reason
    assert api.get("/get_gallery", **headers).json() == {"gallery_urls": [{"type": "video", "url": task_id}]}

    response = api.get(f"/get_gallery_video/{task_id}", **headers)
    assert response.status_code == 200 and response["Content-Type"] == "video/mp4"
    video = tmp_path / "avatar.mp4"
    video.write_bytes(b"".join(response.streaming_content))
    frames, seconds = imageio_ffmpeg.count_frames_and_secs(str(video))
    assert frames == 24 and seconds == pytest.approx(1.0, abs=0.05)
    reader = imageio_ffmpeg.read_frames(str(video))
    meta = next(reader)
    assert meta["codec"] == "h264" and tuple(meta["size"]) == (512, 768)
    reader.close()
    assert downloaded_image(api.get(f"/get_thumbnail/{task_id}", **headers)).width == 256
    renderer = Generation.objects.get(task_id=task_id).renderer
    assert "PixVerse was asked for" in renderer and "frames drawn by" in renderer
