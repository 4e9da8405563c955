"""Seed 000 §2.10: Google sign-in, verified against a locally made key set injected through settings."""

import json
import time

import jwt
import pytest
from allauth.socialaccount.models import SocialAccount
from cryptography.hazmat.primitives.asymmetric import rsa

from accounts.models import User

pytestmark = pytest.mark.django_db

CLIENT_ID = "atlas-test-client.apps.googleusercontent.com"


def make_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


GOOGLE_KEY = make_key()
STRANGER_KEY = make_key()


def jwks(*pairs):
    keys = []
    for kid, key in pairs:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
        keys.append({**jwk, "kid": kid, "alg": "RS256", "use": "sig"})
    return {"keys": keys}


def id_token(key=GOOGLE_KEY, kid="google-1", **overrides):
    now = int(time.time())
    claims = {
        "iss": "https://accounts.google.com", "aud": CLIENT_ID, "sub": "1098765", "email": "Pat@Gmail.com",
        "email_verified": True, "name": "Pat Doe", "iat": now, "exp": now + 3600,
    }
    claims.update(overrides)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


@pytest.fixture(autouse=True)
def google_keys(settings):
    settings.GOOGLE_CLIENT_IDS = [CLIENT_ID]
    settings.GOOGLE_JWKS = jwks(("google-1", GOOGLE_KEY))


def google(api, token):
    return api.post("/atlas/auth/google", {"idToken": token}, format="json")


def test_first_sign_in_makes_a_confirmed_account_linked_to_google(api):
    response = google(api, id_token())
    assert response.status_code == 201
    assert set(response.json()) == {"accessToken", "refreshToken"}
    user = User.objects.get(email="pat@gmail.com")
    assert user.email_verified and not user.has_usable_password() and user.nickname == "Pat Doe"
    assert SocialAccount.objects.get(user=user).uid == "1098765"
    me = api.get("/atlas/me", HTTP_AUTHORIZATION=f"Bearer {response.json()['accessToken']}")
    assert me.json() == {"nickname": "Pat Doe", "email": "pat@gmail.com"}


def test_later_sign_ins_reach_the_same_account(api):
    google(api, id_token())
    assert google(api, id_token()).status_code == 201
    assert User.objects.count() == 1


def test_an_address_that_signed_up_with_a_password_is_409(api, user):
    response = google(api, id_token(email=user.email))
    assert response.status_code == 409
    assert set(response.json()) == {"message"}
    assert not SocialAccount.objects.exists()


@pytest.mark.parametrize("token", [
    id_token(aud="someone-elses-client"),
    id_token(iss="https://evil.example.com"),
    id_token(exp=int(time.time()) - 120, iat=int(time.time()) - 3720),
    id_token(key=STRANGER_KEY),
    id_token(kid="unknown-kid"),
    id_token(email_verified=False),
    id_token(sub=None),
    "not-a-jwt",
], ids=["audience", "issuer", "expired", "forged-signature", "unknown-key", "unverified-email", "no-subject",
        "garbage"])
def test_invalid_id_tokens_are_401(api, token):
    response = google(api, token)
    assert response.status_code == 401
    assert set(response.json()) == {"message"}
    assert not User.objects.exists()


def test_unconfigured_google_sign_in_says_so(api, settings):
    settings.GOOGLE_CLIENT_IDS = []
    response = google(api, id_token())
    assert response.status_code == 401
    assert "GOOGLE_CLIENT_ID" in response.json()["message"]


def test_missing_id_token_is_400(api):
    assert api.post("/atlas/auth/google", {}, format="json").status_code == 400
