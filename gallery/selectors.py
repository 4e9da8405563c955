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
import uuid
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import PurePosixPath

from django.db.models import Case, Count, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce

from core.errors import Invalid, NotFound

from . import services
from .models import Item

CHUNK = 1024 * 1024
NOT_FOUND = "There is no item with this id."


def _item_id(value):
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound(NOT_FOUND)


def own_item(user, item_id):
    """The user's own item. Malformed, unknown and other people's ids are all NotFound alike, so an
    answer never tells whether someone else's item exists."""
    item = Item.objects.select_related("owner", "capture").filter(pk=_item_id(item_id), owner=user).first()
    if item is None:
        raise NotFound(NOT_FOUND)
    return item


def item_to_change(user, item_id):
    """The item `user` wants to change: NotFound for malformed or unknown ids, Forbidden for someone else's."""
    return services.item_for(user, _item_id(item_id))


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
    try:
        created, _, item_id = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        created_at = datetime.fromisoformat(created)
        if created_at.tzinfo is None:
            raise ValueError(created)
        # In UTC, as the database compares it: year 1 at +14:00 has no UTC time (OverflowError).
        return created_at.astimezone(UTC), uuid.UUID(item_id)
    except (ValueError, OverflowError, UnicodeError, binascii.Error):
        raise Invalid("cursor: this is not a cursor this API handed out. Start again without one.")


def items_of(user, pipelines, *, newest_first=True, cursor=None, limit=10):
    """A page of `user`'s items of the given pipelines, ordered by creation time then id.

    `cursor` is the `next_cursor` of the page before; pages never skip or repeat an item, even when
    items share a creation time.
    """
    items = Item.objects.owned_by(user).filter(pipeline__in=list(pipelines))
    if cursor:
        created_at, item_id = decode_cursor(cursor)
        if newest_first:
            items = items.filter(Q(created_at__lt=created_at) | Q(created_at=created_at, pk__lt=item_id))
        else:
            items = items.filter(Q(created_at__gt=created_at) | Q(created_at=created_at, pk__gt=item_id))
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
    return {
        "stage": item.stage,
        "overallPosition": item.overall_position,
        "overallSize": item.overall_size,
        "currentPosition": item.current_position,
        "currentSize": item.current_size,
    }


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


def input_file_of(item):
    """(name in the archive, the stored file) of what the item was made from, or None."""
    capture = item.capture
    if capture is None or not capture.source or not capture.source.storage.exists(capture.source.name):
        return None
    name = PurePosixPath(capture.original_filename or capture.source.name).name
    return name, capture.source


def request_archive(item):
    """An open temporary request.tar.gz: request.json (what was asked) and the input file under input/."""
    capture = item.capture
    source = input_file_of(item)
    description = {
        "requestId": str(item.pk),
        "itemName": item.name,
        "pipeline": item.pipeline,
        "parameters": item.parameters,
        "createdAt": _iso(item.created_at),
        "capture": None if capture is None else {
            "id": str(capture.eid),
            "name": capture.name,
            "originalFilename": capture.original_filename,
            "inputDataFormat": capture.input_data_format,
            "mediaInfo": capture.media_info,
        },
        "input": None if source is None else f"input/{source[0]}",
    }

    def write(spool):
        with tarfile.open(fileobj=spool, mode="w:gz") as archive:
            _add_bytes(archive, "request.json", _json(description))
            if source is not None:
                _add_stored(archive, f"input/{source[0]}", source[1].storage, source[1].name)

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
