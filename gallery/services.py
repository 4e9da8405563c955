"""Items through their life: queued, claimed by a worker, finished, failed, cancelled, recovered."""

import logging
import mimetypes
import os
import socket
from datetime import timedelta

from django.core.files import File
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core.errors import Invalid

from . import pipelines
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
        current_position=0, current_size=0, queued_at=timezone.now(), started_at=None, finished_at=None,
        heartbeat_at=None, worker="",
    )
    item.refresh_from_db()
    enqueue(item)
    return True


# --- what the worker does ---------------------------------------------------------------------

def worker_name():
    return f"{socket.gethostname()}:{os.getpid()}"


def claim(item_id):
    """Moves a queued item to processing for this worker; None if it is not queued any more
    (cancelled, deleted, or a second delivery of a job already taken)."""
    now = timezone.now()
    claimed = Item.objects.filter(pk=item_id, status=Item.Status.QUEUED).update(
        status=Item.Status.PROCESSING, started_at=now, heartbeat_at=now, worker=worker_name(),
        attempts=F("attempts") + 1, stage="starting", overall_position=0, current_position=0, current_size=0,
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


def finish(item, outputs, log_text=""):
    if not Item.objects.filter(pk=item.pk, status=Item.Status.PROCESSING).exists():
        return False
    store_outputs(item, outputs)
    done = Item.objects.filter(pk=item.pk, status=Item.Status.PROCESSING).update(
        status=Item.Status.DONE, finished_at=timezone.now(), stage="done", overall_position=F("overall_size"),
        current_position=F("current_size"), log=log_text,
    )
    if not done:  # cancelled while the files were being saved
        ItemFile.objects.filter(item_id=item.pk).delete()
    return bool(done)


def fail(item, reason, log_text=""):
    return bool(Item.objects.filter(pk=item.pk, status=Item.Status.PROCESSING).update(
        status=Item.Status.FAILED, failure_reason=reason, log=log_text, finished_at=timezone.now(),
    ))


def recover_stale_items():
    """Processing items whose worker stopped beating: queued again once, or failed with the reason.

    Runs when the cluster starts and every minute after (a django-q2 schedule).
    """
    recovered = []
    for item in Item.objects.stale():
        definition = pipelines.get(item.pipeline) if pipelines.is_registered(item.pipeline) else None
        started = item.started_at or item.heartbeat_at
        if definition and started + timedelta(seconds=definition.timeout) <= timezone.now():
            reason = (f"Processing took longer than the {definition.timeout // 60}-minute limit of the "
                      f"{item.pipeline} pipeline and was stopped. Try a shorter or smaller input.")
        elif definition and item.attempts < MAX_ATTEMPTS:
            requeued = Item.objects.filter(pk=item.pk, status=Item.Status.PROCESSING).update(
                status=Item.Status.QUEUED, worker="", stage="", heartbeat_at=None,
            )
            if requeued:
                item.refresh_from_db()
                enqueue(item)
                recovered.append(item)
            continue
        else:
            reason = "The worker processing this item stopped unexpectedly, twice. Try again later."
        Item.objects.filter(pk=item.pk, status=Item.Status.PROCESSING).update(
            status=Item.Status.FAILED, failure_reason=reason, finished_at=timezone.now(),
        )
        recovered.append(item)
    if recovered:
        log.warning("Recovered %d item(s) left processing by a stopped worker", len(recovered))
    return recovered
