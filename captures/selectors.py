"""Read-only queries about captures that reach across models (captures, their items, their items' files)."""

from django.db.models import Case, Exists, F, OuterRef, Q, Subquery, Value, When

from core.errors import NotFound
from gallery import pipelines
from gallery.models import Item, ItemFile
from gallery.selectors import progress_of

from .models import Capture


def captures_of(user):
    """The user's own captures, newest first."""
    return Capture.objects.filter(owner=user).order_by("-created_at", "-pk")


# Capture.state's rules in SQL, on the annotations of `with_state`; checked in this order, UPLOADED otherwise.
STATE_CONDITIONS = (
    (Capture.State.CREATED, Q(uploaded_at__isnull=True)),
    (Capture.State.FAILED, Q(has_stopped_item=True)),
    (Capture.State.PROCESSING, Q(has_processing_item=True)),
    (Capture.State.FINISHED, Q(newest_item_status=Item.Status.DONE)),
)


def with_state(captures):
    """The captures annotated with `db_state` (what Capture.state answers) and `has_thumbnail`, so a page of
    them is listed and filtered without a query per capture."""
    items = Item.objects.filter(capture=OuterRef("pk"))
    return captures.annotate(
        has_stopped_item=Exists(items.filter(status__in=[Item.Status.FAILED, Item.Status.CANCELLED])),
        has_processing_item=Exists(items.filter(status=Item.Status.PROCESSING)),
        newest_item_status=Subquery(items.order_by("-created_at").values("status")[:1]),
        has_thumbnail=Exists(ItemFile.objects.filter(item__capture=OuterRef("pk"), kind="thumbnail")),
    ).annotate(db_state=Case(*(When(condition, then=Value(state)) for state, condition in STATE_CONDITIONS),
                             default=Value(Capture.State.UPLOADED)))


def captures_in_state(user, state=None):
    """The user's captures, newest first, with `db_state` and `has_thumbnail`; only those in `state` if given."""
    captures = with_state(captures_of(user))
    if state:
        captures = captures.filter(db_state=state)
    return captures


def received_parts(capture):
    """[{"number", "etag", "size"}] of the parts that have arrived so far, by number (to resume an upload)."""
    return [{"number": number, "etag": etag, "size": size}
            for number, etag, size in capture.parts.order_by("number").values_list("number", "etag", "size")]


def status_of(capture):
    """Where the capture is: its state and the item it follows (stage, progress, queue position, failure)."""
    state = capture.state
    item = capture.status_item if capture.is_uploaded else None
    progress = progress_of_item(item)
    if item is not None:
        # A capture runs several jobs in turn (preview, then reconstruction): its bar spans them all, so it
        # never falls back when the next job starts. The positions stay those of the current job.
        items = list(capture.items.all())
        progress["overall"] = round(sum(i.progress_fraction for i in items) / len(items), 4)
    return {
        "state": str(state),
        "pipeline": item.pipeline if item else None,
        "stage": item.stage if item else "",
        "progress": progress,
        "queue_position": item.queue_position if item else -1,
        "failure_reason": (item.failure_reason or "Processing failed.") if state == Capture.State.FAILED else "",
        "parts_received": capture.parts.count() if not capture.is_uploaded else capture.num_parts,
        "num_parts": capture.num_parts,
    }


def progress_of_item(item):
    """Overall and current-stage fractions (0..1) and the raw positions; all zero without an item."""
    if item is None:
        return {"overall": 0.0, "current": 0.0, "overallPosition": 0, "overallSize": 0, "currentPosition": 0,
                "currentSize": 0}
    done = item.status == Item.Status.DONE
    current = 1.0 if done else (min(1.0, item.current_position / item.current_size) if item.current_size else 0.0)
    raw = progress_of(item)
    raw.pop("stage")
    return {"overall": round(item.progress_fraction, 4), "current": round(current, 4), **raw}


def _by_sid(sid):
    return Capture.objects.select_related("owner").filter(sid=sid).first()


def public_capture(sid):
    """A capture its owner made public, by share id; NotFound for unknown and private ones alike."""
    capture = _by_sid(sid)
    if capture is None or not capture.is_public:
        raise NotFound("There is no public capture with this share id.")
    return capture


def shared_capture(sid, user=None):
    """A capture by share id for `user`: anyone when public, only its owner when private."""
    capture = _by_sid(sid)
    owner = user is not None and user.is_authenticated and capture is not None and capture.owner_id == user.pk
    if capture is None or not (capture.is_public or owner):
        raise NotFound("There is no public capture with this share id.")
    return capture


def _files(capture):
    # The newest item first; within an item, the newest iteration first (as Item.file picks).
    return ItemFile.objects.filter(item__capture=capture).order_by(
        "-item__created_at", F("iteration").desc(nulls_last=True))


def latest_files(capture):
    """{kind: ItemFile}: for each kind, the file of the newest of the capture's items that has one."""
    files = {}
    for item_file in _files(capture):
        files.setdefault(item_file.kind, item_file)
    return files


# What a 3D viewer shows of a capture, best first: the compressed splats load fastest.
VIEWER_KINDS = ("splat", "ply")


def viewer_kind(files):
    """The kind of `files` ({kind: ItemFile}, from latest_files) a 3D viewer should load, or None."""
    return next((kind for kind in VIEWER_KINDS if kind in files), None)


def latest_file(capture, kind):
    """The capture's newest file of `kind`, or NotFound."""
    item_file = _files(capture).filter(kind=kind).first()
    if item_file is None:
        raise NotFound(f"This capture has no {kind} file yet.")
    return item_file


# Reconstruction methods a person can pick for a capture, by pipeline name, with the name shown for them.
RECONSTRUCTION_METHODS = {"gaussian-splatting": "Gaussian splatting"}


def reconstruction_methods():
    """[(pipeline, label)] of the reconstruction methods whose pipelines are registered on this server."""
    return [(name, label) for name, label in RECONSTRUCTION_METHODS.items() if pipelines.is_registered(name)]
