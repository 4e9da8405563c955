"""Seed 002, the Face ID door's /api/v1/auth: an API key and secret, exchanged for an expiring X-API-Token.

Errors come in the Face ID shape {"code": <HTTP code>, "message": "..."}.
"""

import re
import uuid
from datetime import datetime, timedelta

import pytest
from django.conf import settings as django_settings
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken

from accounts import services
from accounts.models import ApiKey, Session
from roles.models import Role
from tests.conftest import bearer
from tests.factories import UserFactory

KEY = "/api/v1/auth/key"
TOKEN = "/api/v1/auth/token"
ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?[+-]\d{2}:\d{2}$")

pytestmark = pytest.mark.django_db


def assert_error(response, code):
    assert response.status_code == code, response.content
    body = response.json()
    assert set(body) == {"code", "message"}
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]


def api_token(token):
    return {"HTTP_X_API_TOKEN": token}


def issue_key(api, username, password):
    return api.post(KEY, {"username": username, "password": password}, format="json")


def assert_token_body(body):
    assert set(body) == {"code", "expire", "token"}
    assert body["code"] == 200
    assert ISO_WITH_OFFSET.match(body["expire"]), body["expire"]
    expire = datetime.fromisoformat(body["expire"])
    expected = timezone.now() + django_settings.API_TOKEN_LIFETIME
    assert abs(expire - expected) < timedelta(minutes=1)
    assert body["token"].count(".") == 2
    return body["token"]


@pytest.fixture
def key_and_secret(api, user, password):
    body = issue_key(api, user.email, password).json()
    return body["key"], body["secret"]


@pytest.fixture
def token(api, key_and_secret):
    key, secret = key_and_secret
    return api.post(TOKEN, {"key": key, "secret": secret}, format="json").json()["token"]


# --- the seed's flow, end to end -------------------------------------------------------------

def test_seed_auth_flow(api, user, password):
    response = issue_key(api, user.email, password)
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"key", "secret"}
    assert str(uuid.UUID(body["key"])) == body["key"]
    assert body["secret"]

    response = api.post(TOKEN, {"key": body["key"], "secret": body["secret"]}, format="json")
    assert response.status_code == 201
    first = assert_token_body(response.json())
    session = Session.objects.get(user=user)
    assert (session.kind, session.door) == (Session.Kind.API_KEY, "faceid")
    assert str(session.api_key.key) == body["key"]
    assert api.get("/atlas/me", **api_token(first)).status_code == 200

    response = api.patch(TOKEN, **api_token(first))
    assert response.status_code == 200
    renewed = assert_token_body(response.json())
    assert api.get("/atlas/me", **api_token(renewed)).status_code == 200

    response = api.delete(TOKEN, **api_token(renewed))
    assert response.status_code == 200
    assert response.json() == {"code": 200}
    session.refresh_from_db()
    assert session.ended_at is not None
    # Ending the session refuses every token it issued.
    assert_error(api.patch(TOKEN, **api_token(renewed)), 401)
    assert_error(api.patch(TOKEN, **api_token(first)), 401)
    assert_error(api.delete(TOKEN, **api_token(first)), 401)


def test_secret_is_stored_only_as_a_hash(api, user, password):
    body = issue_key(api, user.email, password).json()
    api_key = ApiKey.objects.get(key=body["key"])
    assert api_key.user == user
    assert api_key.secret_hash != body["secret"]
    assert body["secret"] not in api_key.secret_hash
    assert api_key.check_secret(body["secret"])
    assert not api_key.check_secret(body["secret"] + "0")


def test_each_key_request_issues_a_new_key(api, user, password):
    first = issue_key(api, user.email, password).json()
    second = issue_key(api, user.email, password).json()
    assert first["key"] != second["key"] and first["secret"] != second["secret"]
    assert ApiKey.objects.filter(user=user).count() == 2


# --- POST /api/v1/auth/key -----------------------------------------------------------------

def test_key_accepts_a_username(api):
    person = services.register_with_username(username="kim", password="Face-Id-Pass-7!")
    response = issue_key(api, "kim", "Face-Id-Pass-7!")
    assert response.status_code == 201
    assert ApiKey.objects.get(key=response.json()["key"]).user == person


def test_key_accepts_a_username_that_contains_an_at_sign(api):
    person = services.register_with_username(username="kim@lab", password="Face-Id-Pass-7!")
    response = issue_key(api, "kim@lab", "Face-Id-Pass-7!")
    assert response.status_code == 201
    assert ApiKey.objects.get(key=response.json()["key"]).user == person


def test_key_accepts_the_email_in_any_case(api, user, password):
    assert issue_key(api, user.email.upper(), password).status_code == 201


@pytest.mark.parametrize("login, secret", [("owner", "Wrong-Pass-1!"), ("nobody@example.com", "Any-Pass-1!"),
                                           ("nobody", "Any-Pass-1!")])
def test_key_wrong_credentials_is_401(api, user, password, login, secret):
    assert_error(issue_key(api, user.email if login == "owner" else login, secret), 401)
    assert not ApiKey.objects.exists()


def test_key_for_a_role_that_may_not_issue_keys_is_403(api, user, password):
    user.role = Role.objects.get(name="GUEST")
    user.save()
    assert_error(issue_key(api, user.email, password), 403)
    assert not ApiKey.objects.exists()


def test_key_for_an_unconfirmed_email_account_is_403(api, password):
    person = UserFactory(email_verified=False)
    assert_error(issue_key(api, person.email, password), 403)
    assert not ApiKey.objects.exists()


@pytest.mark.parametrize("body", [
    {},
    {"username": "kim"},
    {"password": "Face-Id-Pass-7!"},
    {"username": "", "password": "Face-Id-Pass-7!"},
    {"username": 7, "password": "Face-Id-Pass-7!"},
    {"username": "kim", "password": 12345678},
    {"username": ["kim"], "password": "Face-Id-Pass-7!"},
    {"username": "kim", "password": None},
])
def test_key_invalid_input_is_400(api, body):
    assert_error(api.post(KEY, body, format="json"), 400)


@pytest.mark.parametrize("body", [[], ["kim", "Face-Id-Pass-7!"], "kim"])
def test_key_body_that_is_not_an_object_is_400(api, body):
    assert_error(api.post(KEY, body, format="json"), 400)


def test_key_is_throttled_per_login(api, user, password, settings):
    settings.THROTTLE_RATES = {"address": "3/min", "ip": "100/min"}
    for _ in range(3):
        assert_error(issue_key(api, user.email, "Wrong-Pass-1!"), 401)
    response = issue_key(api, user.email, password)
    assert_error(response, 429)
    assert int(response["Retry-After"]) > 0
    assert not ApiKey.objects.exists()


# --- POST /api/v1/auth/token ---------------------------------------------------------------

def test_token_with_an_unknown_key_is_401(api, key_and_secret):
    _, secret = key_and_secret
    assert_error(api.post(TOKEN, {"key": str(uuid.uuid4()), "secret": secret}, format="json"), 401)
    assert not Session.objects.exists()


def test_token_with_a_wrong_secret_is_401(api, key_and_secret):
    key, secret = key_and_secret
    assert_error(api.post(TOKEN, {"key": key, "secret": secret + "0"}, format="json"), 401)
    assert not Session.objects.exists()


def test_token_with_a_revoked_key_is_401(api, key_and_secret):
    key, secret = key_and_secret
    ApiKey.objects.filter(key=key).update(revoked_at=timezone.now())
    assert_error(api.post(TOKEN, {"key": key, "secret": secret}, format="json"), 401)


def test_token_of_a_deactivated_account_is_401(api, user, key_and_secret):
    key, secret = key_and_secret
    user.is_active = False
    user.save()
    assert_error(api.post(TOKEN, {"key": key, "secret": secret}, format="json"), 401)


@pytest.mark.parametrize("body", [
    {},
    {"key": "not-a-uuid", "secret": "ABC"},
    {"secret": "ABC"},
    {"key": "00000000-0000-0000-0000-000000000000"},
    {"key": "00000000-0000-0000-0000-000000000000", "secret": 1234},
    {"key": 12, "secret": "ABC"},
])
def test_token_invalid_input_is_400(api, body):
    assert_error(api.post(TOKEN, body, format="json"), 400)


def test_token_body_that_is_not_an_object_is_400(api):
    assert_error(api.post(TOKEN, ["00000000-0000-0000-0000-000000000000", "ABC"], format="json"), 400)


def test_token_exchange_ignores_a_stale_token_sent_along(api, key_and_secret):
    key, secret = key_and_secret
    response = api.post(TOKEN, {"key": key, "secret": secret}, format="json", **api_token("stale.token.value"))
    assert response.status_code == 201
    assert_token_body(response.json())


# --- PATCH and DELETE /api/v1/auth/token ----------------------------------------------------

@pytest.mark.parametrize("method", ["patch", "delete"])
def test_without_a_token_is_401(api, method):
    response = getattr(api, method)(TOKEN)
    assert_error(response, 401)
    assert "X-API-Token" in response.json()["message"]


@pytest.mark.parametrize("method", ["patch", "delete"])
def test_with_an_invalid_token_is_401(api, method):
    assert_error(getattr(api, method)(TOKEN, **api_token("not.a.token")), 401)


@pytest.mark.parametrize("method", ["patch", "delete"])
def test_with_an_expired_session_is_401(api, user, token, method):
    Session.objects.filter(user=user).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_error(getattr(api, method)(TOKEN, **api_token(token)), 401)


def test_renew_extends_the_session(api, user, token):
    session = Session.objects.get(user=user)
    Session.objects.filter(pk=session.pk).update(expires_at=timezone.now() + timedelta(minutes=5))
    response = api.patch(TOKEN, **api_token(token))
    assert response.status_code == 200
    assert_token_body(response.json())
    session.refresh_from_db()
    assert session.expires_at > timezone.now() + django_settings.API_TOKEN_LIFETIME - timedelta(minutes=1)


def test_delete_ends_only_its_own_session(api, user, key_and_secret):
    key, secret = key_and_secret
    one = api.post(TOKEN, {"key": key, "secret": secret}, format="json").json()["token"]
    two = api.post(TOKEN, {"key": key, "secret": secret}, format="json").json()["token"]
    assert api.delete(TOKEN, **api_token(one)).status_code == 200
    assert_error(api.patch(TOKEN, **api_token(one)), 401)
    assert api.patch(TOKEN, **api_token(two)).status_code == 200


# --- one account, every door ------------------------------------------------------------------

def test_faceid_token_works_as_a_bearer_token_at_the_atlas_door(api, user, token):
    response = api.get("/atlas/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert response.json()["email"] == user.email


def test_atlas_token_works_as_an_api_token(api, user):
    atlas_token = bearer(user)["HTTP_AUTHORIZATION"].removeprefix("Bearer ")
    response = api.get("/atlas/me", **api_token(atlas_token))
    assert response.status_code == 200
    assert response.json()["email"] == user.email
    assert api.delete(TOKEN, **api_token(atlas_token)).json() == {"code": 200}
    response = api.get("/atlas/me", HTTP_AUTHORIZATION=f"Bearer {atlas_token}")
    assert response.status_code == 401
    assert set(response.json()) == {"message"}


# --- renewal: only Face ID tokens, never past the session's life -----------------------------------------

def test_renew_refuses_a_token_from_another_door(api, user):
    atlas_token = bearer(user)["HTTP_AUTHORIZATION"].removeprefix("Bearer ")
    session = Session.objects.get(user=user)
    expires_at = session.expires_at
    response = api.patch(TOKEN, **api_token(atlas_token))
    assert_error(response, 401)
    assert response.json()["message"] == ("Only an API token from POST /api/v1/auth/token can be renewed. "
                                          "Exchange your API key and secret for one.")
    session.refresh_from_db()
    assert session.expires_at == expires_at


def test_renew_refuses_an_oauth2_token(api, user, key_and_secret):
    key, secret = key_and_secret
    body = {"grant_type": "client_credentials", "client_id": key, "client_secret": secret}
    response = api.post("/oauth2/token", body, format="json")
    assert_error(api.patch(TOKEN, **api_token(response.json()["access_token"])), 401)
    assert Session.objects.get(user=user).expires_at < timezone.now() + timedelta(hours=1, minutes=1)


def test_renew_never_outlives_the_session(api, user, token):
    # A session that began 13 days 23 hours ago: renewing gives one more hour, not 24.
    began = timezone.now() - django_settings.REFRESH_TOKEN_LIFETIME + timedelta(hours=1)
    Session.objects.filter(user=user).update(created_at=began)
    response = api.patch(TOKEN, **api_token(token))
    assert response.status_code == 200
    session = Session.objects.get(user=user)
    latest_end = began + django_settings.REFRESH_TOKEN_LIFETIME
    assert session.expires_at == latest_end
    assert datetime.fromisoformat(response.json()["expire"]) == latest_end.replace(microsecond=0)
    renewed = response.json()["token"]
    assert AccessToken(renewed)["exp"] == int(latest_end.timestamp())
    # Renewing again changes nothing; once the session ends, its tokens are refused.
    assert api.patch(TOKEN, **api_token(renewed)).status_code == 200
    session.refresh_from_db()
    assert session.expires_at == latest_end
    Session.objects.filter(pk=session.pk).update(created_at=began - timedelta(hours=2),
                                                 expires_at=timezone.now() - timedelta(seconds=1))
    assert_error(api.patch(TOKEN, **api_token(renewed)), 401)


# --- key pairs: one mechanism with the dashboard and OAuth2 ------------------------------------------------

def test_revoking_a_key_ends_the_sessions_it_started(api, user, key_and_secret, token):
    key, _ = key_and_secret
    services.revoke_api_key(user, key)
    assert Session.objects.get(user=user).ended_at is not None
    assert api.get("/atlas/me", **api_token(token)).status_code == 401
    assert_error(api.patch(TOKEN, **api_token(token)), 401)


def test_keys_made_here_are_named_for_the_owner_list(api, user, password):
    body = issue_key(api, user.email, password).json()
    assert ApiKey.objects.get(key=body["key"]).name == "Face ID API"


def test_token_exchange_is_throttled_per_key(api, key_and_secret, settings):
    settings.THROTTLE_RATES = {"address": "3/min", "ip": "100/min"}
    key, secret = key_and_secret
    for _ in range(3):
        assert_error(api.post(TOKEN, {"key": key, "secret": "WRONG"}, format="json"), 401)
    response = api.post(TOKEN, {"key": key, "secret": secret}, format="json")
    assert_error(response, 429)
    assert int(response["Retry-After"]) > 0
