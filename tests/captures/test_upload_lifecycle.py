"""Multi-part uploads that are never completed are cleaned up; recurring jobs are scheduled."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from django_q.models import Schedule

from captures import services
from captures.models import Capture
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


class Stream:
    def __init__(self, data):
        self.data, self.at = data, 0

    def read(self, n=-1):
        chunk = self.data[self.at:self.at + n] if n >= 0 else self.data[self.at:]
        self.at += len(chunk)
        return chunk


def test_parts_are_planned_so_no_upload_needs_more_than_ten_thousand(settings):
    settings.UPLOAD_CHUNK_SIZE = 64 * 1024 * 1024
    assert services.plan_parts(100) == (64 * 1024 * 1024, 1)
    chunk, parts = services.plan_parts(2 * 1024**4)  # 2 TiB
    assert parts <= 10_000 and chunk * parts >= 2 * 1024**4


def test_abandoned_uploads_are_deleted_with_their_parts_after_the_configured_time(
        settings, django_capture_on_commit_callbacks):
    settings.UPLOAD_CHUNK_SIZE = 4
    settings.UPLOAD_ABANDON_AFTER = timedelta(days=2)
    owner = UserFactory()
    old = services.start_multipart(owner=owner, name="old", bytesize=10, input_data_format="video")
    services.receive_part(old, 1, Stream(b"abcd"), 4)
    part_path = Path(old.parts.get().file.path)
    fresh = services.start_multipart(owner=owner, name="fresh", bytesize=10, input_data_format="video")
    Capture.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=3))

    assert part_path.exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.cleanup_abandoned_uploads() == 1
    assert list(Capture.objects.values_list("name", flat=True)) == [fresh.name]
    assert not part_path.exists()


def test_the_cluster_recovers_stale_items_every_minute_and_cleans_uploads_hourly():
    schedules = {s.func: s.minutes for s in Schedule.objects.all()}
    assert schedules["gallery.tasks.recover_stale_items"] == 1
    assert schedules["captures.tasks.cleanup_abandoned_uploads"] == 60
