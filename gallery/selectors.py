"""Reading items: one person's items, pages of them, and an item's inputs and outputs packed for download.

Doors call these for everything they show; nothing here changes an item.
"""

import base64
import binascii
import io
import json
import shutil
import tarfile
import tempfile
import time
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import PurePosixPath

from django.db.models import Case, Count, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils.dateparse import parse_datetime

from core.errors import Forbidden, Invalid, NotFound
from core.ids import parse_uuid
from core.ownership import owned

from .models import Item

CHUNK = 1024 * 1024
NOT_FOUND = "There is no item with this id."


def own_item(user, item_id, *, others=NotFound):
    """The user's own item (core.ownership: malformed, unknown and other people's ids are NotFound alike, unless
    the door's route answers others' items with `others=Forbidden`)."""
    return owned(Item.objects.select_related("owner"), user, pk=item_id, not_found=NOT_FOUND, others=others,
                 forbidden="This item belongs to another account.")


def item_to_change(user, item_id):
    """Seed 000's DELETE: NotFound for malformed or unknown ids, Forbidden for someone else's item."""
    return own_item(user, item_id, others=Forbidden)


# --- pages of items ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Page:
    items: list
    has_next: bool
    next_cursor: str | None


def encode_cursor(item):
    """Where a page ended: the last item's creation time and id (the id breaks ties in time)."""
    return base64.urlsafe_b64encode(f"{item.created_at.isoformat()}|{item.pk}".encode()).decode()


def decode_cursor(cursor):
    """Where the page before ended: `(created_at, item_id)`, from a cursor `encode_cursor` handed out, or
    `(created_at, None)` from a bare creation time as the items' `createdAt` shows it (ISO 8601, read as
    UTC without an offset)."""
    try:
        # A "+" left unencoded in a query string arrives as a space.
        created_at = parse_datetime(cursor.strip().replace(" ", "+"))
    except ValueError:
        created_at = None
    try:
        if created_at is not None:
            return in_utc(created_at if created_at.tzinfo else created_at.replace(tzinfo=UTC)), None
        created, _, item_id = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        created_at = datetime.fromisoformat(created)
        if created_at.tzinfo is None or parse_uuid(item_id) is None:
            raise ValueError(created)
        return in_utc(created_at), parse_uuid(item_id)
    except (ValueError, OverflowError, UnicodeError, binascii.Error):
        raise Invalid("cursor: give the nextCursor of the page before, or an item's createdAt "
                      "(such as 2025-01-31T09:30:00.123456Z); leave it out for the first page.")


def in_utc(moment):
    """`moment` in UTC, as the database compares it; OverflowError for one with no UTC time (year 1 at +14:00)."""
    return moment.astimezone(UTC)


def items_of(user, pipelines, *, newest_first=True, cursor=None, limit=10):
    """A page of `user`'s items of the given pipelines, ordered by creation time then id.

    `cursor` is the `next_cursor` of the page before: pages never skip or repeat an item, even when items
    share a creation time. It may also be a creation time: the page starts strictly beyond it.
    """
    items = Item.objects.owned_by(user).filter(pipeline__in=list(pipelines))
    if cursor:
        created_at, item_id = decode_cursor(cursor)
        beyond = "lt" if newest_first else "gt"
        after_cursor = Q(**{f"created_at__{beyond}": created_at})
        if item_id is not None:  # the id breaks ties in time
            after_cursor |= Q(created_at=created_at, **{f"pk__{beyond}": item_id})
        items = items.filter(after_cursor)
    order = ("-created_at", "-pk") if newest_first else ("created_at", "pk")
    rows = list(items.order_by(*order)[:limit + 1])
    page, has_next = rows[:limit], len(rows) > limit
    return Page(page, has_next, encode_cursor(page[-1]) if has_next else None)


def with_queue_position(items):
    """The items annotated with `queue_ahead`: what Item.queue_position answers, computed in the same query
    (queued items ahead in the same queue; 0 while processing; -1 when not queued)."""
    ahead = (Item.objects.queued().filter(queue=OuterRef("queue"))
             .filter(Q(queued_at__lt=OuterRef("queued_at")) | Q(queued_at=OuterRef("queued_at"), pk__lt=OuterRef("pk")))
             .order_by().values("queue").annotate(count=Count("pk")).values("count"))
    return items.annotate(queue_ahead=Case(
        When(status=Item.Status.PROCESSING, then=Value(0)),
        When(status=Item.Status.QUEUED, then=Coalesce(Subquery(ahead, output_field=IntegerField()), Value(0))),
        default=Value(-1), output_field=IntegerField(),
    ))


# --- an item packed for download -----------------------------------------------------------------

def _iso(moment):
    return moment.isoformat() if moment else None


def progress_of(item):
    """The item's progress (Item.progress) under the atlas door's camelCase names."""
    return {"stage": item.stage, **item.progress.positions()}


def _add_bytes(archive, name, data):
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), int(time.time()), 0o644
    archive.addfile(info, io.BytesIO(data))


def _add_stored(archive, name, storage, stored_name):
    """Copies a stored file into the tar in chunks; it is never read into memory whole."""
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = storage.size(stored_name), int(time.time()), 0o644
    with storage.open(stored_name, "rb") as source:
        archive.addfile(info, source)


def _json(value):
    return json.dumps(value, indent=2, ensure_ascii=False).encode()


def _spooled(write):
    """Runs `write(file)` on a temporary file with no name on disk (it is gone once closed, however the
    download ends) and returns the file, open and rewound; closes it if writing fails."""
    spool = tempfile.TemporaryFile(prefix="atlas-export-")
    try:
        write(spool)
        spool.flush()
        spool.seek(0)
    except BaseException:
        spool.close()
        raise
    return spool


def source_of(item):
    """What the item was made from, if that object still exists."""
    try:
        return item.source
    except AttributeError:  # its model is gone from this server
        return None


def input_files_of(item):
    """[(name in the archive, stored file)] of what the item was made from.

    Any domain's object can be an item's source; it lists its input files with `item_inputs()` (and may
    describe itself with `item_description()`). Files gone from storage are left out.
    """
    source = source_of(item)
    listed = source.item_inputs() if source is not None and hasattr(source, "item_inputs") else []
    return [(PurePosixPath(name).name, stored) for name, stored in listed
            if stored and stored.storage.exists(stored.name)]


def request_archive(item):
    """An open temporary request.tar.gz: request.json (what was asked) and the input files under input/."""
    source = source_of(item)
    inputs = input_files_of(item)
    described = None
    if source is not None:
        meta = source._meta
        described = {"type": f"{meta.app_label}.{meta.model_name}",
                     **(source.item_description() if hasattr(source, "item_description") else {"id": str(source.pk)})}
    description = {
        "requestId": str(item.pk),
        "itemName": item.name,
        "pipeline": item.pipeline,
        "parameters": item.parameters,
        "createdAt": _iso(item.created_at),
        "source": described,
        "inputs": [f"input/{name}" for name, _ in inputs],
    }

    def write(spool):
        with tarfile.open(fileobj=spool, mode="w:gz") as archive:
            _add_bytes(archive, "request.json", _json(description))
            for name, stored in inputs:
                _add_stored(archive, f"input/{name}", stored.storage, stored.name)

    return _spooled(write)


def _files_of(item):
    return list(item.files.order_by("kind", "iteration", "pk"))


def reply_archive(item):
    """An open temporary reply.tar.gz: reply.json (the outcome so far) and every output file under output/."""
    files = _files_of(item)
    description = {
        "requestId": str(item.pk),
        "status": item.status,
        "failureReason": item.failure_reason,
        "progress": progress_of(item),
        "queuePosition": item.queue_position,
        "attempts": item.attempts,
        "createdAt": _iso(item.created_at),
        "queuedAt": _iso(item.queued_at),
        "startedAt": _iso(item.started_at),
        "finishedAt": _iso(item.finished_at),
        "files": [{"name": f"output/{f.filename}", "kind": f.kind, "iteration": f.iteration,
                   "contentType": f.content_type, "size": f.size} for f in files],
    }

    def write(spool):
        with tarfile.open(fileobj=spool, mode="w:gz") as archive:
            _add_bytes(archive, "reply.json", _json(description))
            for item_file in files:
                _add_stored(archive, f"output/{item_file.filename}", item_file.file.storage, item_file.file.name)

    return _spooled(write)


def output_archive(item):
    """An open temporary output.zip of every output file; NotFound while there are none."""
    files = _files_of(item)
    if not files:
        raise NotFound("This item has no output files yet.")

    def write(spool):
        with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for item_file in files:
                storage = item_file.file.storage
                with storage.open(item_file.file.name, "rb") as source, \
                        archive.open(item_file.filename, "w", force_zip64=True) as target:
                    shutil.copyfileobj(source, target, CHUNK)

    return _spooled(write)


def log_text(item):
    """The item's log, with the failure reason on top when it failed."""
    if item.status == Item.Status.FAILED and item.failure_reason:
        return f"Failed: {item.failure_reason}\n\n{item.log}"
    return item.log
