"""Every sign-in does the same hashing work for a login, key or code that does not exist as for a wrong secret,
so the time of the answer does not tell which logins exist. Checked without timing: the password hasher is
spied on, and must run as often for an unknown login as for a known one with a wrong secret.
"""

import uuid

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core import mail

from accounts import services
from core.errors import ServiceError
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

WRONG = "Wrong-Horse-1!"


@pytest.fixture
def hashes(monkeypatch, settings):
    """Counts every run of the password hasher (the suite's fast MD5 hasher, tests/settings.py)."""
    assert settings.PASSWORD_HASHERS == ["django.contrib.auth.hashers.MD5PasswordHasher"]
    runs = []
    encode = MD5PasswordHasher.encode

    def counting_encode(self, password, salt):
        runs.append(password)
        return encode(self, password, salt)

    monkeypatch.setattr(MD5PasswordHasher, "encode", counting_encode)
    return runs


def hashing_runs(hashes, attempt):
    """How often the hasher ran during `attempt`, which may be refused."""
    hashes.clear()
    try:
        attempt()
    except ServiceError:
        pass
    return len(hashes)


@pytest.fixture
def person(db):
    return UserFactory(username="ada")


def test_password_sign_in_by_email(hashes, person):
    known = hashing_runs(hashes, lambda: services.authenticate_with_password(email=person.email, password=WRONG))
    unknown = hashing_runs(hashes, lambda: services.authenticate_with_password(email="no@example.com", password=WRONG))
    assert known == unknown == 1


def test_password_sign_in_by_username(hashes, person):
    known = hashing_runs(hashes, lambda: services.authenticate_with_password(username="ada", password=WRONG))
    unknown = hashing_runs(hashes, lambda: services.authenticate_with_password(username="nobody", password=WRONG))
    assert known == unknown == 1


def test_password_sign_in_of_a_deactivated_account(hashes, person):
    person.is_active = False
    person.save()
    assert hashing_runs(hashes, lambda: services.authenticate_with_password(email=person.email, password=WRONG)) == 1


def test_sign_in_code_request(hashes, person):
    known = hashing_runs(hashes, lambda: services.send_sign_in_code(None, person.email))
    unknown = hashing_runs(hashes, lambda: services.send_sign_in_code(None, "no@example.com"))
    assert known == unknown == 1
    assert [message.to for message in mail.outbox] == [[person.email]]


def test_sign_in_with_a_code(hashes, person):
    services.send_sign_in_code(None, person.email)
    no_code_asked = UserFactory()
    known = hashing_runs(hashes, lambda: services.authenticate_with_code(email=person.email, code="000000x"))
    unknown = hashing_runs(hashes, lambda: services.authenticate_with_code(email="no@example.com", code="000000x"))
    without_a_code = hashing_runs(hashes, lambda: services.authenticate_with_code(email=no_code_asked.email,
                                                                                  code="000000x"))
    assert known == unknown == without_a_code == 1


def test_api_key_exchange(hashes, person):
    api_key, secret = services.issue_api_key(person)
    known = hashing_runs(hashes, lambda: services.authenticate_api_key(key=api_key.key, secret=WRONG))
    unknown = hashing_runs(hashes, lambda: services.authenticate_api_key(key=uuid.uuid4(), secret=WRONG))
    malformed = hashing_runs(hashes, lambda: services.authenticate_api_key(key="not-a-key", secret=WRONG))
    services.revoke_api_key(person, api_key.key)
    revoked = hashing_runs(hashes, lambda: services.authenticate_api_key(key=api_key.key, secret=secret))
    assert known == unknown == malformed == revoked == 1


@pytest.mark.parametrize("path, body", [
    ("/atlas/auth/sign-In", {"id": "{login}", "password": WRONG}),
    ("/user/account/login", {"username": "{login}", "password": WRONG}),
    ("/login", {"email": "{login}", "password": WRONG}),
    ("/login", {"email": "{login}"}),
    ("/api/v1/auth/key", {"username": "{login}", "password": WRONG}),
])
def test_every_door_hashes_as_much_for_an_unknown_login(api, hashes, person, path, body):
    def attempt(login):
        filled = {name: value.format(login=login) for name, value in body.items()}
        return lambda: api.post(path, filled, format="json")

    known_login = person.username if path == "/user/account/login" else person.email
    known = hashing_runs(hashes, attempt(known_login))
    unknown = hashing_runs(hashes, attempt("nobody@example.com"))
    assert known == unknown >= 1
