"""One sign-in counter per account, per key pair and per client, whichever door the attempts come through.

Five guesses a minute for an account (settings.THROTTLE_RATES["address"]): a sixth is refused with 429 at every
door, so changing door buys no extra attempts.
"""

import pytest

from accounts import services
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

WRONG = "Wrong-Horse-1!"


@pytest.fixture(autouse=True)
def five_a_minute(settings):
    settings.THROTTLE_RATES = {"address": "5/min", "ip": "100/min"}


@pytest.fixture
def person(db):
    """An e-mail account that scenes clients also sign in to with a username."""
    return UserFactory(username="ada")


# Each door's sign-in with a password (right or wrong), as its clients send it.
def atlas(api, person, password):
    return api.post("/atlas/auth/sign-In", {"id": person.email, "password": password}, format="json")


def scenes(api, person, password):
    return api.post("/user/account/login", {"username": person.username, "password": password}, format="json")


def studio(api, person, password):
    return api.post("/login", {"email": person.email, "password": password}, format="json")


def faceid_key(api, person, password):
    return api.post("/api/v1/auth/key", {"username": person.email, "password": password}, format="json")


def faceid_key_by_username(api, person, password):
    return api.post("/api/v1/auth/key", {"username": person.username, "password": password}, format="json")


DOORS = [atlas, scenes, studio, faceid_key, faceid_key_by_username]


@pytest.mark.parametrize("guess_at", DOORS, ids=lambda door: door.__name__)
@pytest.mark.parametrize("then_at", DOORS, ids=lambda door: door.__name__)
def test_five_wrong_passwords_at_one_door_close_every_door(api, person, guess_at, then_at):
    for _ in range(5):
        assert guess_at(api, person, WRONG).status_code == 401
    response = then_at(api, person, PASSWORD)
    assert response.status_code == 429, response.content
    assert int(response["Retry-After"]) > 0


def test_studio_code_requests_count_too(api, person):
    for _ in range(5):
        assert api.post("/login", {"email": person.email}, format="json").status_code == 202
    assert atlas(api, person, PASSWORD).status_code == 429


def test_another_account_keeps_its_own_counter(api, person):
    for _ in range(5):
        assert atlas(api, person, WRONG).status_code == 401
    assert studio(api, UserFactory(), PASSWORD).status_code == 200


def test_the_client_counter_is_shared_across_doors(api, settings):
    settings.THROTTLE_RATES = {"address": "100/min", "ip": "4/min"}
    people = [UserFactory(username=f"person-{n}") for n in range(5)]
    for door, person in zip(DOORS[:4], people, strict=False):
        assert door(api, person, WRONG).status_code == 401
    assert studio(api, people[4], PASSWORD).status_code == 429


def test_key_pairs_have_their_own_counter(api, person):
    """Guessing a key's secret does not lock its owner out of signing in, nor the other way round."""
    api_key, secret = services.issue_api_key(person)
    for _ in range(5):
        assert atlas(api, person, WRONG).status_code == 401
    response = api.post("/api/v1/auth/token", {"key": str(api_key.key), "secret": secret}, format="json")
    assert response.status_code == 201
