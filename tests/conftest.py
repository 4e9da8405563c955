import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.models import Session
from accounts.services import start_session
from accounts.tokens import token_pair

from .data import SHARED_DATA, needs, shared  # noqa: F401  (the one way tests reach the shared data)
from .factories import PASSWORD, UserFactory


def pytest_configure(config):
    config.addinivalue_line("markers", "shared_data(*paths): the test reads these files of the shared test data "
                                       "(tests/data.py); skipped when absent, failed under CI=true")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    for mark in item.iter_markers("shared_data"):
        for path in mark.args:
            shared(path)


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    """Each test gets its own media folder and empty throttle counters."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MAIL_DIR = tmp_path / "mail"
    settings.ITEM_WORK_ROOT = tmp_path / "work"
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
