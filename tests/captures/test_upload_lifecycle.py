"""Multi-part uploads that are never completed are cleaned up; recurring jobs are scheduled."""

import threading
import time
from datetime import timedelta
from pathlib import Path
from unittest import mock

import pytest
from django.db import connection
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


def uploaded_in_parts(settings, data, part_size=1000):
    settings.UPLOAD_CHUNK_SIZE = part_size
    capture = services.start_multipart(owner=UserFactory(), name="Parts", bytesize=len(data),
                                       input_data_format=Capture.Format.VIDEO)
    for number in range(1, capture.num_parts + 1):
        part = data[(number - 1) * part_size:number * part_size]
        services.receive_part(capture, number, Stream(part), len(part))
    return capture


@pytest.mark.django_db(transaction=True)
def test_a_capture_assembled_by_two_jobs_at_once_is_joined_once_and_whole(settings):
    # A capture's preview and reconstruction start together on two workers; both must get the whole file.
    data = bytes(range(256)) * 20
    capture = uploaded_in_parts(settings, data)
    results, errors = [], []

    def job():
        try:
            source = services.assemble(Capture.objects.get(pk=capture.pk), poll_seconds=0.05)
            with source.open("rb") as handle:
                results.append((source.name, handle.read()))
        except Exception as exc:  # reported below, not swallowed
            errors.append(exc)
        finally:
            connection.close()

    join_parts, joins = services._join_parts, []

    def slow_join(*args):
        joins.append(1)
        time.sleep(0.5)  # long enough that the second job starts while the first is still joining
        join_parts(*args)

    workers = [threading.Thread(target=job) for _ in range(2)]
    with mock.patch.object(services, "_join_parts", slow_join):
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(30)
    assert len(joins) == 1
    assert errors == []
    assert [content for _, content in results] == [data, data]
    assert results[0][0] == results[1][0]  # one source file, not two
    capture.refresh_from_db()
    assert capture.parts.count() == 0 and capture.assembly_started_at is None


def test_a_job_waits_for_the_assembly_another_worker_is_doing_and_takes_over_a_dead_one(settings):
    data = b"x" * 2500
    capture = uploaded_in_parts(settings, data)
    Capture.objects.filter(pk=capture.pk).update(assembly_started_at=timezone.now())  # another worker's claim
    waits = []

    def sleep(seconds):
        waits.append(seconds)
        if len(waits) == 3:  # that worker has since stopped refreshing its claim
            Capture.objects.filter(pk=capture.pk).update(
                assembly_started_at=timezone.now() - services.ASSEMBLY_STALE_AFTER - timedelta(seconds=1))

    with mock.patch.object(services.time, "sleep", sleep):
        source = services.assemble(capture, poll_seconds=0.5)
    assert waits == [0.5, 0.5, 0.5]
    with source.open("rb") as handle:
        assert handle.read() == data


def test_completion_refuses_a_part_listed_twice_whatever_door_calls_it(settings):
    settings.UPLOAD_CHUNK_SIZE = 4
    capture = services.start_multipart(owner=UserFactory(), name="x", bytesize=8, input_data_format="video")
    etags = [services.receive_part(capture, number, Stream(b"abcd"), 4) for number in (1, 2)]
    parts = [{"number": 1, "etag": etags[0]}, {"number": 2, "etag": etags[1]}]
    with pytest.raises(services.Invalid, match="List every part from 1 to 2 exactly once with its ETag."):
        services.complete_multipart(capture, [*parts, parts[0]])
    assert not capture.items.exists()
    services.complete_multipart(capture, parts)
    assert capture.items.count() == 2


# Photos are extracted before use, so the extraction's 20 GB is their limit; an undeclared upload may be either.
@pytest.mark.parametrize("input_data_format, limit_gb", [("video", 50), ("bulk-images", 20),
                                                         ("commonformat-ios", 20), ("", 80)])
def test_a_replanned_size_meets_the_limit_of_a_new_upload(settings, input_data_format, limit_gb):
    settings.UPLOAD_MAX_BYTES = 80 * 1024**3  # above the video limit of captures.limits.ANY_VIDEO
    capture = services.start_multipart(owner=UserFactory(), name="x", bytesize=10, input_data_format=input_data_format)
    too_big = limit_gb * 1024**3 + 1
    message = f"The file is {too_big / 1024**3:,.1f} GB; the limit is {limit_gb} GB."
    with pytest.raises(services.Invalid, match=message.replace(".", r"\.")):
        services.start_multipart(owner=capture.owner, name="y", bytesize=too_big, input_data_format=input_data_format)
    with pytest.raises(services.Invalid, match=message.replace(".", r"\.")):
        services.replan(capture, too_big)
    assert services.replan(capture, too_big - 1).bytesize == too_big - 1
