"""The worker task: claims an item, runs its pipeline with progress, stores outputs, records the outcome."""

import multiprocessing
import os
import signal
import socket
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from gallery import pipelines, services
from gallery.models import Item, ItemFile
from gallery.tasks import Cancelled, Progress, run_item
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


# Machinery tests run small pipelines of their own, registered only here.
STAND_IN = {"label": "Test stand-in", "method": "A stand-in for tests."}


@pipelines.register("test-echo", timeout=60, **STAND_IN, stages=("write", "finish"),
                    parameters=[pipelines.Parameter("lines", default=lambda: ["hello"], many=True)])
def echo(item, job):
    """Writes the item's parameters to a text file, reporting progress per line."""
    lines = item.parameters["lines"]
    path = job.work_dir / "echo.txt"
    with open(path, "w") as out:
        for index, line in enumerate(lines, start=1):
            out.write(line + "\n")
            job.report("write", index, len(lines))
    job.report("finish", 1, 1)
    return [pipelines.Output("text", path, content_type="text/plain"),
            pipelines.Output("text", path, iteration=7, content_type="text/plain")]


@pipelines.register("test-refuse", timeout=60, **STAND_IN, stages=("check",))
def refuse(item, job):
    job.report("check", 0, 1)
    raise pipelines.PipelineFailed("fewer than 20 frames could be registered: film more slowly")


@pipelines.register("test-crash", timeout=60, **STAND_IN, stages=("boom",))
def crash(item, job):
    job.report("boom", 0, 1)
    return 1 / 0


@pipelines.register("test-slow", timeout=60, **STAND_IN, stages=("wait",))
def slow(item, job):
    (job.work_dir / "partial.bin").write_bytes(b"half-made output")
    for step in range(600):
        job.report("wait", step, 600)
        time.sleep(0.05)
    return []


def new_item(pipeline="test-echo", **parameters):
    return services.create_item(owner=UserFactory(), name="thing", pipeline=pipeline, parameters=parameters)


def test_a_run_stores_outputs_and_marks_the_item_done():
    item = new_item(lines=["a", "b", "c"])
    assert run_item(str(item.pk)) == "done"
    item.refresh_from_db()
    assert item.status == Item.Status.DONE and item.finished_at and item.started_at
    assert item.stage == "done" and item.overall_position == item.overall_size == 2
    text = item.file("text", iteration=None)
    assert text.file.read() == b"a\nb\nc\n" and text.size == 6 and text.content_type == "text/plain"
    assert item.file("text", iteration=7).iteration == 7
    assert item.file("text").iteration is None  # the final file when no iteration is named


def test_a_refusal_fails_the_item_with_its_reason():
    item = new_item("test-refuse")
    assert run_item(str(item.pk)) == "failed"
    item.refresh_from_db()
    assert item.status == Item.Status.FAILED
    assert item.failure_reason == "fewer than 20 frames could be registered: film more slowly"


def test_a_crash_fails_the_item_with_a_readable_reason_and_the_log():
    item = new_item("test-crash")
    assert run_item(str(item.pk)) == "failed"
    item.refresh_from_db()
    assert item.status == Item.Status.FAILED
    assert item.failure_reason == ("The test-crash pipeline stopped on an unexpected error (ZeroDivisionError: "
                                   "division by zero). The log has the details.")
    assert "Traceback" in item.log and "return 1 / 0" in item.log


def test_a_second_delivery_of_the_same_job_does_nothing():
    item = new_item()
    assert run_item(str(item.pk)) == "done"
    assert run_item(str(item.pk)) == "not queued"
    assert ItemFile.objects.filter(item=item).count() == 2


def test_progress_writes_at_most_once_a_second_but_always_on_a_new_stage():
    item = new_item()
    services.claim(item.pk)
    progress = Progress(item)
    progress.report("write", 1, 100)
    progress.report("write", 2, 100)
    item.refresh_from_db()
    assert (item.stage, item.current_position, item.overall_position) == ("write", 1, 1)
    progress.report("finish", 0, 1)
    item.refresh_from_db()
    assert (item.stage, item.overall_position) == ("finish", 2)


def test_queue_position_counts_queued_items_ahead_in_the_same_queue():
    first, second, third = new_item(), new_item(), new_item()
    assert [i.queue_position for i in (first, second, third)] == [0, 1, 2]
    services.claim(first.pk)
    first.refresh_from_db()
    assert [first.queue_position, second.queue_position, third.queue_position] == [0, 0, 1]
    run_item(str(second.pk))
    second.refresh_from_db()
    assert second.queue_position == -1 and third.queue_position == 0


RESULTS = ["done", "failed", "cancelled", "not queued"]  # what run_item answers


def _run_in_child(item_id):
    # A forked worker: its own database connection, as django-q2's workers have. Its exit code says what
    # run_item answered: 10 + the answer's index in RESULTS.
    connection.close()
    sys.exit(10 + RESULTS.index(run_item(item_id)))


def _start_in_child_and_wait_for_stage(item, stage):
    connection.close()
    child = multiprocessing.get_context("fork").Process(target=_run_in_child, args=(str(item.pk),), daemon=True)
    child.start()
    deadline = time.monotonic() + 20
    while Item.objects.get(pk=item.pk).stage != stage and time.monotonic() < deadline:
        time.sleep(0.1)
    assert Item.objects.get(pk=item.pk).stage == stage, f"the job never reached {stage!r}"
    return child


def _work_folders(item):
    """The job's work folders (gallery.tasks.run_item names them after the item, under this machine's root)."""
    return list(services.work_root().glob(f"{item.pk}.*"))


def test_a_worker_killed_mid_job_is_recovered_and_the_job_runs_again(settings):
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith("file:memorydb"):
        pytest.skip("needs a database file shared with the child process")
    item = new_item("test-slow")
    child = _start_in_child_and_wait_for_stage(item, "wait")
    [work] = _work_folders(item)
    os.kill(child.pid, signal.SIGKILL)
    child.join()
    item.refresh_from_db()
    assert item.status == Item.Status.PROCESSING  # left hanging by the dead worker, its heartbeat still fresh ...
    assert timezone.now() - item.heartbeat_at < timedelta(seconds=settings.ITEM_STALE_AFTER_SECONDS)

    # ... but its process is gone from this machine: recovered at once, with the reason, and its folder removed.
    assert [i.pk for i in services.recover_stale_items()] == [item.pk]
    item.refresh_from_db()
    assert item.status == Item.Status.QUEUED and item.attempts == 1
    assert f"the worker {socket.gethostname()}:{child.pid} stopped (its process is gone) during wait; " \
           "queued again (attempt 2 of 2)." in item.log
    assert not work.exists() and _work_folders(item) == []

    services.claim(item.pk)
    Item.objects.filter(pk=item.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=10))
    services.recover_stale_items()
    item.refresh_from_db()
    assert item.status == Item.Status.FAILED and "stopped unexpectedly" in item.failure_reason


def test_an_item_past_its_pipeline_timeout_fails_instead_of_running_again():
    item = new_item("test-slow")
    services.claim(item.pk)
    Item.objects.filter(pk=item.pk).update(started_at=timezone.now() - timedelta(minutes=5),
                                           heartbeat_at=timezone.now() - timedelta(minutes=4))
    services.recover_stale_items()
    item.refresh_from_db()
    assert item.status == Item.Status.FAILED
    assert item.failure_reason == ("Processing took longer than the 1-minute limit of the test-slow pipeline and was "
                                   "stopped. Try a shorter or smaller input.")


def test_work_folders_of_finished_or_dead_jobs_are_removed_and_a_live_jobs_kept():
    root = services.work_root()
    assert root.parent == Path(settings.ITEM_WORK_ROOT) and root.name == socket.gethostname()
    live, finished, requeued = new_item(), new_item(), new_item()
    services.claim(live.pk)
    services.claim(requeued.pk)
    Item.objects.filter(pk=finished.pk).update(status=Item.Status.FAILED)
    Item.objects.filter(pk=requeued.pk).update(worker=services.worker_name(pid=2**22 + 7))  # a pid no process has
    folders = {name: root / f"{item.pk}.{os.getpid()}.abc" for name, item in
               (("live", live), ("finished", finished), ("requeued", requeued))}
    folders["deleted"] = root / f"{uuid.uuid4()}.{os.getpid()}.abc"
    folders["not ours"] = root / "something-else"
    for folder in folders.values():
        folder.mkdir(parents=True)
        (folder / "frame.png").write_bytes(b"x" * 1000)

    removed = set(services.clean_work_folders())
    assert removed == {folders["finished"], folders["requeued"], folders["deleted"]}
    assert folders["live"].exists() and folders["not ours"].exists()


def test_deleting_a_processing_item_cancels_its_job_and_removes_its_files():
    item = new_item("test-slow")
    child = _start_in_child_and_wait_for_stage(item, "wait")
    [work] = _work_folders(item)
    assert (work / "partial.bin").read_bytes() == b"half-made output"  # the job is midway

    services.delete_item(Item.objects.get(pk=item.pk))
    child.join(timeout=10)
    assert not child.is_alive() and RESULTS[child.exitcode - 10] == "cancelled"
    assert not Item.objects.filter(pk=item.pk).exists()
    assert not work.exists() and _work_folders(item) == []


def test_cancelling_a_processing_item_stops_its_job_and_keeps_the_item():
    item = new_item("test-slow")
    child = _start_in_child_and_wait_for_stage(item, "wait")
    assert services.cancel_item(Item.objects.get(pk=item.pk))
    child.join(timeout=10)
    assert not child.is_alive() and RESULTS[child.exitcode - 10] == "cancelled"
    item.refresh_from_db()
    assert item.status == Item.Status.CANCELLED and not item.files.exists() and _work_folders(item) == []


def test_a_cancelled_run_retried_before_its_worker_noticed_is_left_to_the_new_claim():
    item = new_item(lines=["a"])
    first = services.claim(item.pk)
    assert services.cancel_item(first) and services.retry_item(Item.objects.get(pk=item.pk))
    services.claim(item.pk)
    Item.objects.filter(pk=item.pk).update(worker="another-machine:1")  # the retry runs on another worker
    with pytest.raises(Cancelled):
        Progress(first).report("write", 1, 1)
    assert services.finish(first, []) is False and services.fail(first, "stale") is False
    item.refresh_from_db()
    assert item.status == Item.Status.PROCESSING and item.worker == "another-machine:1" and item.stage == "starting"


def test_deleting_an_item_removes_its_files_from_storage():
    item = new_item()
    run_item(str(item.pk))
    paths = [Path(f.file.path) for f in item.files.all()]
    assert all(p.exists() for p in paths)
    services.delete_item(item)
    assert not any(p.exists() for p in paths)
