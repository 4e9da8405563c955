"""Face ID page fixtures: a project's owner, the group it is shared with, and a member of that group."""

import pytest

from roles.models import Group, Membership
from tests.factories import UserFactory


@pytest.fixture
def owner(user):
    return user


@pytest.fixture
def group(owner):
    group = Group.objects.create(name="Reception")
    Membership.objects.create(user=owner, group=group)
    return group


@pytest.fixture
def member(group):
    person = UserFactory()
    Membership.objects.create(user=person, group=group)
    return person
