"""Items through their life: queued, claimed by a worker, finished, failed, cancelled, recovered."""

import logging
import mimetypes
import os
import shutil
import socket
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat
from django.utils import timezone

from core.errors import Invalid
from core.ids import parse_uuid

from . import pipelines, signals
from .models import Item, ItemFile

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 2


def enqueue(item):
    """Hands the item to the worker cluster once the transaction that made it has committed."""
    from django_q.tasks import async_task

    pipeline = pipelines.get(item.pipeline)
    transaction.on_commit(lambda: async_task(
        "gallery.tasks.run_item", str(item.pk), task_name=f"{item.pipeline}:{item.pk}",
        timeout=pipeline.timeout, group=pipeline.queue,
    ))


@transaction.atomic
def create_item(*, owner, name, pipeline, parameters=None, source=None):
    """Queues one run of `pipeline` made from `source` (any model instance, or None).

    `parameters` are checked against the pipeline's declared ones and completed with their defaults; a request
    that breaks them raises Invalid with the pipeline's message.
    """
    definition = pipelines.get(pipeline)
    try:
        cleaned = definition.clean_parameters(parameters)
    except pipelines.InvalidParameters as exc:
        raise Invalid(str(exc)) from None
    item = Item(owner=owner, name=name, pipeline=pipeline, parameters=cleaned, source=source,
                queue=definition.queue, overall_size=len(definition.stages))
    item.save()
    enqueue(item)
    return item


def delete_item(item):
    """Deletes the item and its files; a running job notices and stops without saving anything."""
    if item.status in (Item.Status.QUEUED, Item.Status.PROCESSING):
        Item.objects.filter(pk=item.pk).update(status=Item.Status.CANCELLED, finished_at=timezone.now())
    item.delete()


def cancel_item(item):
    updated = Item.objects.filter(pk=item.pk, status__in=[Item.Status.QUEUED, Item.Status.PROCESSING]).update(
        status=Item.Status.CANCELLED, finished_at=timezone.now(), failure_reason="Cancelled.",
    )
    return bool(updated)


def retry_item(item):
    """Queues a failed or cancelled item again, from the start."""
    if not item.is_finished or item.status == Item.Status.DONE:
        return False
    item.files.all().delete()
    Item.objects.filter(pk=item.pk).update(
        status=Item.Status.QUEUED, failure_reason="", log="", attempts=0, stage="", overall_position=0,
        current_position=0, current_size=0, stage_started_at=None, timings={}, queued_at=timezone.now(),
        started_at=None, finished_at=None, heartbeat_at=None, worker="", notified_at=None,
    )
    item.refresh_from_db()
    enqueue(item)
    return True


# --- what the worker does ---------------------------------------------------------------------

def worker_name(pid=None):
    return f"{socket.gethostname()}:{pid or os.getpid()}"


def worker_is_gone(worker):
    """True when `worker` ("host:pid") ran on this machine and its process no longer exists. Workers on other
    machines cannot be seen from here: their heartbeats tell."""
    host, _, pid = worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # it exists, as another user
        return False
    return False


# --- work folders -----------------------------------------------------------------------------

def work_root():
    """This machine's folder of job work folders: ITEM_WORK_ROOT/<host>, so that machines sharing the root never
    take each other's running jobs for abandoned ones."""
    return Path(settings.ITEM_WORK_ROOT) / socket.gethostname()


def work_folder_prefix(item):
    """A job's work folder is named "<item id>.<pid>.<random>" under work_root(), so this machine can tell the
    folder of a live job from one a killed worker left."""
    return f"{item.pk}.{os.getpid()}."


def clean_work_folders():
    """Removes this machine's work folders whose job is over: the item is gone or not processing, or it is
    processing in another process than the one that made the folder (requeued after its worker died).
    Returns the folders removed."""
    root = work_root()
    if not root.is_dir():
        return []
    folders = {}
    for folder in root.iterdir():
        item_id, _, rest = folder.name.partition(".")
        pid = rest.partition(".")[0]
        if folder.is_dir() and parse_uuid(item_id) and pid.isdigit():
            folders[folder] = (parse_uuid(item_id), pid)
    running = dict(Item.objects.filter(pk__in={item_id for item_id, _ in folders.values()},
                                       status=Item.Status.PROCESSING).values_list("pk", "worker"))
    removed = []
    for folder, (item_id, pid) in folders.items():
        if running.get(item_id) == worker_name(pid) and not worker_is_gone(worker_name(pid)):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    if removed:
        log.info("Removed %d work folder(s) left by finished or stopped jobs", len(removed))
    return removed


def claim(item_id):
    """Moves a queued item to processing for this worker; None if it is not queued any more
    (cancelled, deleted, or a second delivery of a job already taken)."""
    now = timezone.now()
    claimed = Item.objects.filter(pk=item_id, status=Item.Status.QUEUED).update(
        status=Item.Status.PROCESSING, started_at=now, heartbeat_at=now, worker=worker_name(),
        attempts=F("attempts") + 1, stage="starting", overall_position=0, current_position=0, current_size=0,
        stage_started_at=None, timings={},
    )
    return Item.objects.select_related("owner").get(pk=item_id) if claimed else None


def store_outputs(item, outputs):
    """Saves the pipeline's files through storage; drops them if the item was deleted meanwhile."""
    saved = []
    try:
        for output in outputs:
            content_type = (output.content_type or mimetypes.guess_type(output.path.name)[0]
                            or "application/octet-stream")
            name = output.path.name
            if output.iteration is not None and str(output.iteration) not in name:
                name = f"{output.path.stem}_{output.iteration}{output.path.suffix}"
            ItemFile.objects.filter(item=item, kind=output.kind, iteration=output.iteration).delete()
            item_file = ItemFile(item=item, kind=output.kind, iteration=output.iteration,
                                 content_type=content_type, size=output.path.stat().st_size)
            with open(output.path, "rb") as handle:
                item_file.file.save(name, File(handle), save=True)
            saved.append(item_file)
    except Exception:
        for item_file in saved:
            item_file.file.delete(save=False)
        raise
    return saved


def _still_mine(item):
    """The item while it is processing in the run `item` was claimed for (an item cancelled and queued again by
    Retry before its first worker noticed belongs to the next claim)."""
    return Item.objects.filter(pk=item.pk, status=Item.Status.PROCESSING,
                               **({"worker": item.worker} if item.worker else {}))


def finish(item, outputs, log_text=""):
    if not _still_mine(item).exists():
        return False
    store_outputs(item, outputs)
    done = _still_mine(item).update(
        status=Item.Status.DONE, finished_at=timezone.now(), stage="done", overall_position=F("overall_size"),
        current_position=F("current_size"), log=log_text,
    )
    if not done:  # cancelled while the files were being saved
        ItemFile.objects.filter(item_id=item.pk).delete()
    else:
        announce_finished(item.pk)
    return bool(done)


def fail(item, reason, log_text=""):
    failed = _still_mine(item).update(
        status=Item.Status.FAILED, failure_reason=reason, log=log_text, finished_at=timezone.now(),
    )
    if failed:
        announce_finished(item.pk)
    return bool(failed)


def announce_finished(item_id):
    """Sends signals.item_finished for the item once its end is committed (at once outside a transaction)."""
    def send():
        item = Item.objects.select_related("owner").filter(pk=item_id).first()
        if item is None or item.status not in (Item.Status.DONE, Item.Status.FAILED):
            return
        for receiver, result in signals.item_finished.send_robust(sender=Item, item=item):
            if isinstance(result, Exception):
                log.error("%r failed on the end of item %s", receiver, item_id, exc_info=result)

    transaction.on_commit(send)


def claim_notification(item):
    """True for the one caller that may tell the item's owner that this run ended; False for a second delivery
    of the same end (an atomic UPDATE, so on any database only one wins). retry_item clears the claim."""
    return bool(Item.objects.filter(pk=item.pk, notified_at__isnull=True).update(notified_at=timezone.now()))


def release_notification(item):
    """Gives the claim back when telling failed (the mail server refused), so a later delivery may try again."""
    Item.objects.filter(pk=item.pk).update(notified_at=None)


def recover_stale_items():
    """Processing items whose worker stopped beating: queued again once, or failed with the reason.

    Runs when the cluster starts and every minute after (a django-q2 schedule).
    """
    recovered = []
    gone = [item.pk for item in Item.objects.processing().exclude(worker="") if worker_is_gone(item.worker)]
    for item in Item.objects.stale() | Item.objects.filter(pk__in=gone):
        definition = pipelines.get(item.pipeline) if pipelines.is_registered(item.pipeline) else None
        started = item.started_at or item.heartbeat_at
        if definition and started + timedelta(seconds=definition.timeout) <= timezone.now():
            reason = (f"Processing took longer than the {definition.timeout // 60}-minute limit of the "
                      f"{item.pipeline} pipeline and was stopped. Try a shorter or smaller input.")
        elif definition and item.attempts < MAX_ATTEMPTS:
            note = (f"{timezone.now():%Y-%m-%d %H:%M:%S %Z}: the worker {item.worker} stopped "
                    f"({'its process is gone' if item.pk in gone else 'no heartbeat'}) during "
                    f"{item.stage or 'the start'}; queued again (attempt {item.attempts + 1} of {MAX_ATTEMPTS}).\n")
            requeued = Item.objects.filter(pk=item.pk, status=Item.Status.PROCESSING).update(
                status=Item.Status.QUEUED, worker="", stage="", heartbeat_at=None, log=Concat(F("log"), Value(note)),
            )
            if requeued:
                item.refresh_from_db()
                enqueue(item)
                recovered.append(item)
            continue
        else:
            reason = "The worker processing this item stopped unexpectedly, twice. Try again later."
        if Item.objects.filter(pk=item.pk, status=Item.Status.PROCESSING).update(
                status=Item.Status.FAILED, failure_reason=reason, finished_at=timezone.now()):
            announce_finished(item.pk)
        recovered.append(item)
    if recovered:
        log.warning("Recovered %d item(s) left processing by a stopped worker", len(recovered))
    clean_work_folders()
    return recovered
