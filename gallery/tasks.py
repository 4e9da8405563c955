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
    """The `report(stage, done, total)` a pipeline is handed.

    Writes to the database at most once a second (and on every change of stage), beats a heartbeat
    from a thread so long silent steps are not taken for a dead worker, and raises Cancelled in the
    pipeline as soon as the item is no longer processing.
    """

    def __init__(self, item, min_interval=1.0):
        self.item_id = item.pk
        self.stages = list(pipelines.get(item.pipeline).stage_names)
        self.min_interval = min_interval
        self.last_write = 0.0
        self.stage = None
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
                if not Item.objects.filter(pk=self.item_id, status=Item.Status.PROCESSING).update(
                        heartbeat_at=timezone.now()):
                    self.cancelled.set()
        finally:
            connection.close()

    def report(self, stage, done=0, total=0):
        if self.cancelled.is_set():
            raise Cancelled()
        now = time.monotonic()
        new_stage = stage != self.stage
        if not new_stage and now - self.last_write < self.min_interval and done < total:
            return
        self.stage, self.last_write = stage, now
        position = self.stages.index(stage) + 1 if stage in self.stages else 0
        fields = {"stage": stage, "current_position": max(0, int(done)), "current_size": max(0, int(total)),
                  "heartbeat_at": timezone.now()}
        if position:
            fields["overall_position"] = position
        if not Item.objects.filter(pk=self.item_id, status=Item.Status.PROCESSING).update(**fields):
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
        job = pipelines.Job(work_dir=Path(work), report=progress.report, stages=pipeline.stage_names)
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
