import pytest
from django.contrib.auth.hashers import identify_hasher
from django.test import override_settings

from config import settings as real_settings
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_production_settings_hash_passwords_with_argon2():
    assert real_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


@override_settings(PASSWORD_HASHERS=real_settings.PASSWORD_HASHERS)
def test_a_password_is_stored_as_an_argon2_hash():
    user = UserFactory()
    assert identify_hasher(user.password).algorithm == "argon2"
    assert "Correct-Horse-7!" not in user.password
    assert user.check_password("Correct-Horse-7!")
