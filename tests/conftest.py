import os
from pathlib import Path

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.models import Session
from accounts.services import start_session
from accounts.tokens import token_pair

from .factories import PASSWORD, UserFactory

# Real test data lives beside the project (../shared/data); tests that need it skip when it is absent.
SHARED_DATA = Path(os.environ.get("ATLAS_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


def shared(relative):
    """The path of a file in ../shared/data, or a skip naming what is missing."""
    path = SHARED_DATA / relative
    if not path.exists():
        pytest.skip(f"shared test data {path} is absent (see ../shared/data/README.md)")
    return path


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    """Each test gets its own media folder and empty throttle counters."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MAIL_DIR = tmp_path / "mail"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def other_user(db):
    return UserFactory()


def bearer(user, door="atlas"):
    """Headers with a fresh access token for `user`, as if they had signed in through `door`."""
    session = start_session(None, user, kind=Session.Kind.PASSWORD, door=door)
    return {"HTTP_AUTHORIZATION": f"Bearer {token_pair(session)['accessToken']}"}


@pytest.fixture
def auth(user):
    return bearer(user)
