"""Queue position: the queued items ahead in the same queue only, the same from Item.queue_position and from
gallery.selectors.with_queue_position (which lists compute in one query)."""

from datetime import UTC, datetime, timedelta

import pytest

from gallery.models import Item
from gallery.selectors import with_queue_position
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

START = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def test_queue_position_counts_only_the_items_ahead_in_the_same_queue():
    owner = UserFactory()

    def item(name, queue, minute, status=Item.Status.QUEUED):
        return Item.objects.create(owner=owner, name=name, pipeline="preview", queue=queue, status=status,
                                   queued_at=START + timedelta(minutes=minute))

    # Two queues, interleaved in time; a running and a finished item in the first, which are not waiting.
    item("gpu running", "gpu", -5, Item.Status.PROCESSING)
    item("gpu finished", "gpu", -4, Item.Status.DONE)
    item("gpu 1st", "gpu", 0)
    item("cpu 1st", "cpu", 1)
    item("gpu 2nd", "gpu", 2)
    item("cpu 2nd", "cpu", 3)
    item("cpu 3rd", "cpu", 4)
    item("gpu 3rd", "gpu", 5)
    expected = {"gpu running": 0, "gpu finished": -1, "gpu 1st": 0, "gpu 2nd": 1, "gpu 3rd": 2,
                "cpu 1st": 0, "cpu 2nd": 1, "cpu 3rd": 2}

    assert {i.name: i.queue_position for i in Item.objects.all()} == expected
    assert {i.name: i.queue_ahead for i in with_queue_position(Item.objects.all())} == expected
