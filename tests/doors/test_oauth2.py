"""POST /oauth2/token: OAuth2 client credentials for seed 004's Teleport clients (an addition to seed 004).

A Teleport client (3DStreet's scripts/varjo/upload-capture.mjs) posts its client id and secret form-encoded with
`scope=openid profile email`, reads `access_token` and `expires_in`, then calls /api/v1/captures with
`Authorization: Bearer <access_token>`. The client id and secret are an account's API key pair. Errors come in
RFC 6749 §5.2's shape `{"error", "error_description"}`.
"""

import base64
import re
import uuid
from datetime import timedelta
from html import unescape
from urllib.parse import urlencode

import pytest
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken

from accounts import services
from accounts.models import ApiKey, Session
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

TOKEN = "/oauth2/token"
TELEPORT_SCOPE = "openid profile email"


@pytest.fixture
def key_pair(user):
    api_key, secret = services.issue_api_key(user, name="upload script")
    return str(api_key.key), secret


def form_post(api, body, **headers):
    """A form-encoded POST, as upload-capture.mjs sends it (`body: new URLSearchParams({...})`)."""
    return api.post(TOKEN, urlencode(body), content_type="application/x-www-form-urlencoded", **headers)


def token_request(api, client_id=None, client_secret=None, **params):
    body = {"grant_type": "client_credentials", **params}
    if client_id is not None:
        body["client_id"] = client_id
    if client_secret is not None:
        body["client_secret"] = client_secret
    return form_post(api, body)


def basic(client_id, client_secret):
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()}


def bearer_of(response):
    return {"HTTP_AUTHORIZATION": f"Bearer {response.json()['access_token']}"}


def assert_error(response, status, error):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error", "error_description"}, body
    assert body["error"] == error
    assert isinstance(body["error_description"], str) and body["error_description"]
    assert response["Cache-Control"] == "no-store"
    if status == 401:
        assert response["WWW-Authenticate"] == 'Basic realm="atlas"'
    return body["error_description"]


# --- the Teleport client's flow ----------------------------------------------------------------------

def test_teleport_client_flow_from_the_dashboard_key_to_the_captures(api, client, user):
    # The person makes a key pair on the dashboard and copies the client id and secret from the page.
    client.force_login(user)
    page = client.post("/profile/keys/", {"name": "3DStreet upload"}).content.decode()
    client_id = unescape(re.search(r'id="new-client-id" value="([^"]+)"', page).group(1))
    client_secret = unescape(re.search(r'id="new-client-secret" value="([^"]+)"', page).group(1))

    # upload-capture.mjs: authenticate, then create a capture and list the captures with the token.
    response = token_request(api, client_id, client_secret, scope=TELEPORT_SCOPE)
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
    assert (body["token_type"], body["expires_in"], body["scope"]) == ("Bearer", 3600, TELEPORT_SCOPE)
    assert response["Cache-Control"] == "no-store" and response["Pragma"] == "no-cache"

    created = api.post("/api/v1/captures", {"name": "street.mp4", "bytesize": 1000, "input_data_format": "video"},
                       format="json", **bearer_of(response))
    assert created.status_code == 200, created.content
    listed = api.get("/api/v1/captures", **bearer_of(response))
    assert listed.status_code == 200
    assert [capture["eid"] for capture in listed.json()] == [created.json()["eid"]]

    # Revoked on the dashboard: the token stops working at once, and the pair gives no new one.
    assert client.post(f"/profile/keys/{client_id}/revoke/").status_code == 302
    assert api.get("/api/v1/captures", **bearer_of(response)).json() == {
        "detail": "The token is not valid: This session has ended. Sign in again."}
    message = assert_error(token_request(api, client_id, client_secret, scope=TELEPORT_SCOPE), 401, "invalid_client")
    assert message == "The client id or secret is incorrect, or the key was revoked."


def test_token_carries_a_session_of_the_key_that_lasts_an_hour(api, user, key_pair):
    client_id, secret = key_pair
    response = token_request(api, client_id, secret)
    assert response.status_code == 200
    assert "scope" not in response.json()
    session = Session.objects.get(user=user)
    assert (session.kind, session.door, str(session.api_key.key)) == (Session.Kind.API_KEY, "oauth2", client_id)
    assert abs(session.expires_at - (timezone.now() + timedelta(hours=1))) < timedelta(minutes=1)
    token = AccessToken(response.json()["access_token"])
    assert token["sid"] == str(session.pk) and token["exp"] == int(session.expires_at.timestamp())
    assert ApiKey.objects.get(key=client_id).last_used_at is not None


def test_token_works_at_every_door(api, user, key_pair):
    response = token_request(api, *key_pair)
    token = response.json()["access_token"]
    assert api.get("/atlas/me", **bearer_of(response)).json()["email"] == user.email
    assert api.get("/get_user_info", **bearer_of(response)).status_code == 200
    assert api.delete("/api/v1/auth/token", HTTP_X_API_TOKEN=token).json() == {"code": 200}
    assert api.get("/atlas/me", **bearer_of(response)).status_code == 401


def test_a_json_body_is_accepted_too(api, key_pair):
    client_id, secret = key_pair
    # As the Teleport API demo (netlify/functions/_teleportAuth.js) sends it.
    response = api.post(TOKEN, {"grant_type": "client_credentials", "client_id": client_id,
                                "client_secret": secret, "scope": TELEPORT_SCOPE}, format="json")
    assert response.status_code == 200, response.content
    assert api.get("/api/v1/captures", **bearer_of(response)).status_code == 200


def test_http_basic_client_authentication(api, key_pair):
    client_id, secret = key_pair
    response = form_post(api, {"grant_type": "client_credentials"}, **basic(client_id, secret))
    assert response.status_code == 200, response.content
    assert api.get("/api/v1/captures", **bearer_of(response)).status_code == 200
    # The body may name the same client as well (RFC 6749 §3.2.1).
    response = form_post(api, {"grant_type": "client_credentials", "client_id": client_id},
                         **basic(client_id, secret))
    assert response.status_code == 200


def test_scopes_are_granted_once_each_in_the_order_asked(api, key_pair):
    response = token_request(api, *key_pair, scope="email  openid email")
    assert response.json()["scope"] == "email openid"


# --- refusals -------------------------------------------------------------------------------------

def test_wrong_secret_is_invalid_client(api, key_pair):
    client_id, secret = key_pair
    assert_error(token_request(api, client_id, secret + "0"), 401, "invalid_client")
    assert_error(form_post(api, {"grant_type": "client_credentials"}, **basic(client_id, "WRONG")),
                 401, "invalid_client")
    assert not Session.objects.exists()


@pytest.mark.parametrize("client_id", [str(uuid.uuid4()), "not-a-key", "a" * 500])
def test_unknown_client_is_invalid_client(api, key_pair, client_id):
    assert_error(token_request(api, client_id, key_pair[1]), 401, "invalid_client")


@pytest.mark.parametrize("credentials", [{}, {"client_id": "KEY"}, {"client_secret": "SECRET"}])
def test_missing_client_authentication_is_invalid_client(api, key_pair, credentials):
    body = {key: key_pair[0] if value == "KEY" else key_pair[1] for key, value in credentials.items()}
    message = assert_error(token_request(api, **body), 401, "invalid_client")
    assert message == ("Authenticate the client: send client_id and client_secret (an API key and its secret), "
                       "in the body or as HTTP Basic.")


def test_revoked_key_is_invalid_client(api, user, key_pair):
    client_id, secret = key_pair
    earlier = token_request(api, client_id, secret)
    services.revoke_api_key(user, client_id)
    assert_error(token_request(api, client_id, secret), 401, "invalid_client")
    assert api.get("/api/v1/captures", **bearer_of(earlier)).status_code == 401


def test_key_of_a_deactivated_account_is_invalid_client(api, user, key_pair):
    user.is_active = False
    user.save()
    assert_error(token_request(api, *key_pair), 401, "invalid_client")


@pytest.mark.parametrize("header", ["Basic !!!", "Basic " + base64.b64encode(b"no-colon").decode()])
def test_unreadable_basic_header_is_invalid_client(api, header):
    message = assert_error(form_post(api, {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=header),
                           401, "invalid_client")
    assert message == "The Authorization header is not valid HTTP Basic: base64 of client_id:client_secret."


def test_missing_grant_type_is_invalid_request(api, key_pair):
    client_id, secret = key_pair
    response = form_post(api, {"client_id": client_id, "client_secret": secret})
    assert assert_error(response, 400, "invalid_request") == "Send grant_type=client_credentials."


@pytest.mark.parametrize("grant_type", ["password", "authorization_code", "refresh_token"])
def test_other_grant_types_are_unsupported(api, key_pair, grant_type):
    response = token_request(api, *key_pair, grant_type=grant_type)
    message = assert_error(response, 400, "unsupported_grant_type")
    assert message == "Only grant_type=client_credentials is supported here."
    assert not Session.objects.exists()


def test_unknown_scope_is_invalid_scope(api, key_pair):
    message = assert_error(token_request(api, *key_pair, scope="openid admin"), 400, "invalid_scope")
    assert message == "Unknown scope admin: ask for any of openid profile email, or for none."


def test_a_parameter_sent_twice_is_invalid_request(api, key_pair):
    client_id, secret = key_pair
    body = f"grant_type=client_credentials&client_id={client_id}&client_secret={secret}&client_secret=x"
    response = api.post(TOKEN, body, content_type="application/x-www-form-urlencoded")
    assert assert_error(response, 400, "invalid_request") == "client_secret was sent more than once."


def test_both_client_authentication_methods_is_invalid_request(api, key_pair):
    client_id, secret = key_pair
    response = form_post(api, {"grant_type": "client_credentials", "client_secret": secret},
                        **basic(client_id, secret))
    assert_error(response, 400, "invalid_request")
    response = form_post(api, {"grant_type": "client_credentials", "client_id": str(uuid.uuid4())},
                        **basic(client_id, secret))
    assert assert_error(response, 400, "invalid_request") == "The client_id in the body is not the one in HTTP Basic."


@pytest.mark.parametrize("body, content_type, status", [
    ("{not json", "application/json", 400),
    ('["client_credentials"]', "application/json", 400),
    ('{"grant_type": 1}', "application/json", 400),
    ("grant_type=client_credentials", "text/plain", 415),
])
def test_malformed_bodies_are_invalid_request(api, body, content_type, status):
    assert_error(api.post(TOKEN, body, content_type=content_type), status, "invalid_request")


def test_only_post_is_served(api):
    response = api.get(TOKEN)
    assert_error(response, 405, "invalid_request")
    assert response["Allow"] == "POST, OPTIONS"


# --- throttling: the same counters as every other sign-in ----------------------------------------------

def test_guesses_are_throttled_per_client_id(api, key_pair, settings):
    settings.THROTTLE_RATES = {"address": "3/min", "ip": "100/min"}
    client_id, secret = key_pair
    for _ in range(3):
        assert_error(token_request(api, client_id, "WRONG"), 401, "invalid_client")
    response = form_post(api, {"grant_type": "client_credentials"}, **basic(client_id, secret))
    assert assert_error(response, 429, "temporarily_unavailable").startswith("Too many attempts. Try again in ")
    assert int(response["Retry-After"]) > 0
    # Another key is still let through from the same client.
    other_key, other_secret = services.issue_api_key(UserFactory())
    assert token_request(api, str(other_key.key), other_secret).status_code == 200


def test_the_key_counter_is_shared_with_the_face_id_token_exchange(api, key_pair, settings):
    settings.THROTTLE_RATES = {"address": "3/min", "ip": "100/min"}
    client_id, secret = key_pair
    for _ in range(3):
        response = api.post("/api/v1/auth/token", {"key": client_id, "secret": "WRONG"}, format="json")
        assert response.status_code == 401
    assert_error(token_request(api, client_id, secret), 429, "temporarily_unavailable")


def test_guesses_are_throttled_per_client_address(api, db, settings):
    settings.THROTTLE_RATES = {"address": "100/min", "ip": "3/min"}
    for _ in range(3):
        assert_error(token_request(api, str(uuid.uuid4()), "WRONG"), 401, "invalid_client")
    # The same client's password sign-ins share the counter.
    response = api.post("/atlas/auth/sign-In", {"id": "someone@example.com", "password": PASSWORD}, format="json")
    assert response.status_code == 429


# --- documentation ----------------------------------------------------------------------------------

def test_the_schema_documents_the_token_endpoint(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operation = schema["paths"]["/oauth2/token"]["post"]
    assert operation["tags"] == ["captures: oauth2"]
    assert set(operation["requestBody"]["content"]) == {"application/x-www-form-urlencoded", "application/json"}
    assert set(operation["responses"]) == {"200", "400", "401", "415", "429"}
    assert operation["security"] == [{}]  # no token needed: the client authenticates in the request
