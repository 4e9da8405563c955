"""The one worker task: run an item's registered pipeline, with progress, and record the outcome.

Runs inside a forked django-q2 worker. Nothing here touches CUDA at import time; a pipeline may, inside
its own run. A pipeline's exception fails the item with a reason and the log; it never reaches the worker.
"""

import logging
import tempfile
import threading
import time
import traceback
from pathlib import Path

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone

from . import pipelines, services
from .models import Item

log = logging.getLogger(__name__)


class Cancelled(Exception):
    """The item was cancelled or deleted while its pipeline ran."""


class Progress:
    """The `report(stage, done, total)` and `expect(stage, seconds)` a pipeline is handed.

    Writes to the database at most once a second (and on every change of stage), beats a heartbeat
    from a thread so long silent steps are not taken for a dead worker, and raises Cancelled in the
    pipeline as soon as the item is no longer processing.

    It also keeps the item's timings (Item.timings, read by Item.progress): when a stage ends, how long it took;
    while it runs, how long it is expected to take in all, from its own rate since its first step (so a slow
    start, such as loading data onto a GPU, is not taken for the pace of every step).
    """

    def __init__(self, item, min_interval=1.0, clock=time.monotonic):
        self.item_id = item.pk
        # This run's own claim: an item cancelled and queued again (Retry) before this worker noticed is another
        # worker's run, which this one must neither write to nor keep alive.
        self.mine = {"worker": item.worker} if item.worker else {}
        self.stages = list(pipelines.get(item.pipeline).stage_names)
        self.min_interval = min_interval
        self.clock = clock
        self.last_write = 0.0
        self.stage = None
        self.stage_began = 0.0
        self.first_step = None  # (time, done, total): the stage's first report with some of it done
        self.timings = {}
        self.cancelled = threading.Event()
        self.stopped = threading.Event()
        self.heartbeat = threading.Thread(target=self._beat, daemon=True, name=f"heartbeat-{item.pk}")

    def __enter__(self):
        self.heartbeat.start()
        return self

    def __exit__(self, *exc):
        self.stopped.set()
        self.heartbeat.join(timeout=5)

    def _beat(self):
        try:
            while not self.stopped.wait(settings.ITEM_HEARTBEAT_SECONDS):
                if not Item.objects.filter(pk=self.item_id, status=Item.Status.PROCESSING, **self.mine).update(
                        heartbeat_at=timezone.now()):
                    self.cancelled.set()
        finally:
            connection.close()

    def report(self, stage, done=0, total=0):
        if self.cancelled.is_set():
            raise Cancelled()
        now = self.clock()
        new_stage = stage != self.stage
        if new_stage:
            self._begin(stage, now)
        self._measure(now, done, total)
        if not new_stage and now - self.last_write < self.min_interval and done < total:
            return
        self.stage, self.last_write = stage, now
        position = self.stages.index(stage) + 1 if stage in self.stages else 0
        fields = {"stage": stage, "current_position": max(0, int(done)), "current_size": max(0, int(total)),
                  "heartbeat_at": timezone.now(), "timings": self.timings}
        if new_stage:
            fields["stage_started_at"] = fields["heartbeat_at"]
        if position:
            fields["overall_position"] = position
        self._write(fields)

    def expect(self, stage, seconds):
        """`stage` should take `seconds` in all: stands until the stage's own rate is measured."""
        if self.cancelled.is_set():
            raise Cancelled()
        self.timings.setdefault(stage, {})["expected"] = round(max(float(seconds), 0.0), 1)
        self._write({"timings": self.timings})

    def _begin(self, stage, now):
        if self.stage is not None:
            self.timings.setdefault(self.stage, {})["took"] = round(now - self.stage_began, 1)
        self.stage, self.stage_began, self.first_step = stage, now, None

    def _measure(self, now, done, total):
        if done <= 0 or total <= 0:
            return
        if self.first_step is None or self.first_step[2] != total or done < self.first_step[1]:
            self.first_step = (now, done, total)
            return
        since, done_then, _ = self.first_step
        if done > done_then and now > since:
            per_step = (now - since) / (done - done_then)
            expected = (now - self.stage_began) + per_step * (total - done)
            self.timings.setdefault(self.stage, {})["expected"] = round(expected, 1)

    def _write(self, fields):
        if not Item.objects.filter(pk=self.item_id, status=Item.Status.PROCESSING, **self.mine).update(**fields):
            self.cancelled.set()
            raise Cancelled()


def run_item(item_id):
    close_old_connections()
    item = services.claim(item_id)
    if item is None:
        return "not queued"
    pipeline = pipelines.get(item.pipeline)
    log.info("Running %s for item %s", item.pipeline, item.pk)
    services.clean_work_folders()
    root = services.work_root()
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=services.work_folder_prefix(item), dir=root) as work, \
            Progress(item) as progress:
        job = pipelines.Job(work_dir=Path(work), report=progress.report, stages=pipeline.stage_names,
                            expect=progress.expect)
        try:
            outputs = pipeline.run(item, job)
            services.finish(item, outputs)
            return "done"
        except Cancelled:
            log.info("Item %s was cancelled while processing", item.pk)
            return "cancelled"
        except pipelines.PipelineFailed as exc:
            services.fail(item, str(exc), traceback.format_exc())
            return "failed"
        except Exception as exc:
            log.exception("Pipeline %s crashed on item %s", item.pipeline, item.pk)
            reason = (f"The {item.pipeline} pipeline stopped on an unexpected error "
                      f"({type(exc).__name__}: {exc}). The log has the details.")
            services.fail(item, reason[:2000], traceback.format_exc())
            return "failed"


def recover_stale_items():
    return len(services.recover_stale_items())
