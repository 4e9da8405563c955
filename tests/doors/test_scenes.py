"""Seed 001, the scenes door's accounts: /user/account/... at its exact paths, bodies and status codes.

Errors come in the scenes shape {"status": <HTTP code>, "error": 1, "message": "..."}.
"""

import pytest
from django.conf import settings as django_settings
from rest_framework_simplejwt.tokens import AccessToken

from accounts import services
from accounts.models import Session, User
from tests.conftest import bearer

REGISTER = "/user/account/register"
LOGIN = "/user/account/login"
UPDATE_USERNAME = "/user/account/update/username"
UPDATE_PASSWORD = "/user/account/update/password"
DELETE = "/user/account/delete"

PASSWORD = "Scenes-Pass-42!"
NEW_PASSWORD = "Other-Scenes-Pass-43!"

pytestmark = pytest.mark.django_db


def assert_error(response, status):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"status", "error", "message"}
    assert body["status"] == status
    assert body["error"] == 1
    assert isinstance(body["message"], str) and body["message"]


def jwt(token):
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def login(api, username, password):
    return api.post(LOGIN, {"username": username, "password": password}, format="json")


@pytest.fixture
def scenes_user(db):
    return services.register_with_username(username="alice", password=PASSWORD)


@pytest.fixture
def token(api, scenes_user):
    response = login(api, "alice", PASSWORD)
    assert response.status_code == 200
    return response.json()["jwtToken"]


# --- the seed's flow, end to end -------------------------------------------------------------

def test_seed_account_flow(api):
    response = api.post(REGISTER, {"username": "alice", "password": PASSWORD}, format="json")
    assert response.status_code == 201
    assert response.json() == {"success": True}

    response = login(api, "alice", PASSWORD)
    assert response.status_code == 200
    assert set(response.json()) == {"jwtToken"}
    laptop = response.json()["jwtToken"]
    phone = login(api, "alice", PASSWORD).json()["jwtToken"]
    assert laptop != phone

    response = api.patch(UPDATE_USERNAME, {"password": PASSWORD, "new_username": "alice2"}, format="json",
                         **jwt(laptop))
    assert response.status_code == 200
    assert response.json() == {"message": "Username updated"}
    assert_error(login(api, "alice", PASSWORD), 401)
    assert login(api, "alice2", PASSWORD).status_code == 200

    response = api.patch(UPDATE_PASSWORD, {"old_password": PASSWORD, "new_password": NEW_PASSWORD}, format="json",
                         **jwt(laptop))
    assert response.status_code == 200
    assert response.json() == {"message": "Password updated"}
    # The phone's session ended with the password change; the laptop's token keeps working.
    assert_error(api.patch(UPDATE_USERNAME, {"password": NEW_PASSWORD, "new_username": "x"}, format="json",
                           **jwt(phone)), 401)
    assert_error(login(api, "alice2", PASSWORD), 401)
    assert login(api, "alice2", NEW_PASSWORD).status_code == 200

    response = api.delete(DELETE, {"password": NEW_PASSWORD}, format="json", **jwt(laptop))
    assert response.status_code == 200
    assert response.json() == {"message": "User deleted"}
    assert not User.objects.filter(username="alice2").exists()
    assert_error(api.delete(DELETE, {"password": NEW_PASSWORD}, format="json", **jwt(laptop)), 401)
    assert_error(login(api, "alice2", NEW_PASSWORD), 401)


def test_login_starts_a_scenes_session_and_a_door_token(api, scenes_user):
    token = login(api, "alice", PASSWORD).json()["jwtToken"]
    session = Session.objects.get(user=scenes_user)
    assert (session.kind, session.door) == (Session.Kind.PASSWORD, "scenes")
    claims = AccessToken(token)
    assert claims["sid"] == str(session.pk)
    assert claims["exp"] - claims["iat"] == int(django_settings.DOOR_TOKEN_LIFETIME.total_seconds())


# --- register ------------------------------------------------------------------------------

def test_register_taken_username_is_409(api, scenes_user):
    response = api.post(REGISTER, {"username": "alice", "password": PASSWORD}, format="json")
    assert_error(response, 409)
    assert User.objects.filter(username="alice").count() == 1


@pytest.mark.parametrize("body", [
    {"password": PASSWORD},
    {"username": "bob"},
    {"username": "", "password": PASSWORD},
    {"username": "bob", "password": ""},
    {"username": 123, "password": PASSWORD},
    {"username": "bob", "password": 12345678},
    {"username": ["bob"], "password": PASSWORD},
    {"username": None, "password": PASSWORD},
    {"username": "bob smith", "password": PASSWORD},
    {"username": "b" * 151, "password": PASSWORD},
    {"username": "bob", "password": "123"},
])
def test_register_invalid_input_is_400(api, body):
    assert_error(api.post(REGISTER, body, format="json"), 400)
    assert not User.objects.exists()


@pytest.mark.parametrize("body", [[], ["bob", PASSWORD], "bob", 7])
def test_register_body_that_is_not_an_object_is_400(api, body):
    assert_error(api.post(REGISTER, body, format="json"), 400)


def test_register_malformed_json_is_400(api):
    assert_error(api.post(REGISTER, "{not json", content_type="application/json"), 400)


# --- login ---------------------------------------------------------------------------------

@pytest.mark.parametrize("username, password", [("alice", "Wrong-Pass-1!"), ("nobody", PASSWORD)])
def test_login_wrong_credentials_is_401(api, scenes_user, username, password):
    assert_error(login(api, username, password), 401)
    assert not Session.objects.exists()


@pytest.mark.parametrize("body", [{}, {"username": "alice"}, {"password": PASSWORD},
                                  {"username": "alice", "password": None}, {"username": 1, "password": PASSWORD}])
def test_login_invalid_input_is_400(api, scenes_user, body):
    assert_error(api.post(LOGIN, body, format="json"), 400)


def test_login_body_that_is_not_an_object_is_400(api, scenes_user):
    assert_error(api.post(LOGIN, ["alice", PASSWORD], format="json"), 400)


def test_login_is_throttled_per_username(api, scenes_user, settings):
    settings.THROTTLE_RATES = {"address": "3/min", "ip": "100/min"}
    for _ in range(3):
        assert_error(login(api, "alice", "Wrong-Pass-1!"), 401)
    response = login(api, "alice", PASSWORD)
    assert_error(response, 429)
    assert int(response["Retry-After"]) > 0
    # Another username is counted on its own.
    assert_error(login(api, "bob", "Wrong-Pass-1!"), 401)


def test_login_is_throttled_per_client_address(api, scenes_user, settings):
    settings.THROTTLE_RATES = {"address": "100/min", "ip": "3/min"}
    for name in ("a", "b", "c"):
        assert_error(login(api, name, PASSWORD), 401)
    assert_error(login(api, "alice", PASSWORD), 429)


# --- update username -----------------------------------------------------------------------

def test_update_username_wrong_password_is_401(api, scenes_user, token):
    response = api.patch(UPDATE_USERNAME, {"password": "Wrong-Pass-1!", "new_username": "alice2"}, format="json",
                         **jwt(token))
    assert_error(response, 401)
    scenes_user.refresh_from_db()
    assert scenes_user.username == "alice"


def test_update_username_taken_is_409(api, scenes_user, token):
    services.register_with_username(username="bob", password=PASSWORD)
    response = api.patch(UPDATE_USERNAME, {"password": PASSWORD, "new_username": "bob"}, format="json", **jwt(token))
    assert_error(response, 409)
    scenes_user.refresh_from_db()
    assert scenes_user.username == "alice"


@pytest.mark.parametrize("body", [
    {"password": PASSWORD},
    {"new_username": "alice2"},
    {"password": PASSWORD, "new_username": ""},
    {"password": PASSWORD, "new_username": "has space"},
    {"password": PASSWORD, "new_username": 42},
    {"password": ["x"], "new_username": "alice2"},
])
def test_update_username_invalid_input_is_400(api, scenes_user, token, body):
    assert_error(api.patch(UPDATE_USERNAME, body, format="json", **jwt(token)), 400)
    scenes_user.refresh_from_db()
    assert scenes_user.username == "alice"


def test_update_username_body_that_is_not_an_object_is_400(api, token):
    assert_error(api.patch(UPDATE_USERNAME, "alice2", format="json", **jwt(token)), 400)


# --- update password -----------------------------------------------------------------------

def test_update_password_wrong_old_password_is_401(api, scenes_user, token):
    response = api.patch(UPDATE_PASSWORD, {"old_password": "Wrong-Pass-1!", "new_password": NEW_PASSWORD},
                         format="json", **jwt(token))
    assert_error(response, 401)
    scenes_user.refresh_from_db()
    assert scenes_user.check_password(PASSWORD)


@pytest.mark.parametrize("body", [
    {"old_password": PASSWORD},
    {"new_password": NEW_PASSWORD},
    {"old_password": PASSWORD, "new_password": "123"},
    {"old_password": PASSWORD, "new_password": 12345678},
])
def test_update_password_invalid_input_is_400(api, scenes_user, token, body):
    assert_error(api.patch(UPDATE_PASSWORD, body, format="json", **jwt(token)), 400)
    scenes_user.refresh_from_db()
    assert scenes_user.check_password(PASSWORD)


def test_update_password_body_that_is_not_an_object_is_400(api, token):
    assert_error(api.patch(UPDATE_PASSWORD, [PASSWORD, NEW_PASSWORD], format="json", **jwt(token)), 400)


# --- delete --------------------------------------------------------------------------------

def test_delete_wrong_password_is_401_and_keeps_the_account(api, scenes_user, token):
    assert_error(api.delete(DELETE, {"password": "Wrong-Pass-1!"}, format="json", **jwt(token)), 401)
    assert User.objects.filter(pk=scenes_user.pk).exists()


@pytest.mark.parametrize("body", [{}, {"password": None}, {"password": 1234}])
def test_delete_invalid_input_is_400(api, scenes_user, token, body):
    assert_error(api.delete(DELETE, body, format="json", **jwt(token)), 400)
    assert User.objects.filter(pk=scenes_user.pk).exists()


def test_delete_body_that_is_not_an_object_is_400(api, scenes_user, token):
    assert_error(api.delete(DELETE, [PASSWORD], format="json", **jwt(token)), 400)
    assert User.objects.filter(pk=scenes_user.pk).exists()


# --- tokens --------------------------------------------------------------------------------

ROUTES = [
    ("patch", UPDATE_USERNAME, {"password": PASSWORD, "new_username": "alice2"}),
    ("patch", UPDATE_PASSWORD, {"old_password": PASSWORD, "new_password": NEW_PASSWORD}),
    ("delete", DELETE, {"password": PASSWORD}),
]


@pytest.mark.parametrize("method, path, body", ROUTES)
def test_signed_in_routes_without_a_token_are_401(api, scenes_user, method, path, body):
    response = getattr(api, method)(path, body, format="json")
    assert_error(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("method, path, body", ROUTES)
def test_signed_in_routes_with_an_invalid_token_are_401(api, scenes_user, method, path, body):
    assert_error(getattr(api, method)(path, body, format="json", **jwt("not.a.token")), 401)


@pytest.mark.parametrize("method, path, body", ROUTES)
def test_signed_in_routes_with_an_ended_session_are_401(api, scenes_user, token, method, path, body):
    Session.objects.get(user=scenes_user).end()
    assert_error(getattr(api, method)(path, body, format="json", **jwt(token)), 401)
    scenes_user.refresh_from_db()
    assert scenes_user.username == "alice" and scenes_user.check_password(PASSWORD)


def test_scenes_token_works_at_the_atlas_door(api, user, password):
    services.change_username(user, password=password, new_username="atlas-person")
    token = login(api, "atlas-person", password).json()["jwtToken"]
    response = api.get("/atlas/me", **jwt(token))
    assert response.status_code == 200
    assert response.json()["email"] == user.email


def test_atlas_token_works_at_the_scenes_door(api, user, password):
    response = api.patch(UPDATE_USERNAME, {"password": password, "new_username": "from-atlas"}, format="json",
                         **bearer(user))
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.username == "from-atlas"
