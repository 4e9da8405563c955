"""Read-only queries about captures that reach across models (captures, their items, their items' files)."""

from django.conf import settings
from django.core import signing
from django.db.models import F
from django.db.models.functions import Lower

from core.errors import NotFound
from core.ownership import owned
from gallery import pipelines
from gallery.models import ItemFile, combined, time_left_words

from .models import Capture


def captures_of(user):
    """The user's own captures, newest first."""
    return Capture.objects.owned_by(user).order_by("-created_at", "-pk")


NOT_FOUND = "There is no capture with this id."


def own_capture(user, eid):
    """The user's capture by external id (core.ownership: another account's reads as unknown)."""
    return owned(Capture, user, eid=eid, not_found=NOT_FOUND)


# The list's orders, by the name its sort control sends.
LIST_ORDERS = {
    "newest": ("-created_at", "-pk"),
    "oldest": ("created_at", "pk"),
    "name": (Lower("name"), "name", "pk"),
}


def captures_in_state(user, state=None, search="", sort="newest"):
    """The user's captures with `db_state` and `has_thumbnail`: only those in `state` if given, only those whose
    name contains `search` (any case) if given, in the order `sort` names (LIST_ORDERS, newest first by default)."""
    captures = captures_of(user).with_state()
    if state:
        captures = captures.filter(db_state=state)
    if search:
        captures = captures.filter(name__icontains=search)
    return captures.order_by(*LIST_ORDERS.get(sort or "newest", LIST_ORDERS["newest"]))


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
        # A capture runs several jobs in turn (preview, then reconstruction): its bar spans them all, each
        # counting for its time, so it never falls back when the next job starts. The positions, the count
        # and the stage stay those of the current job.
        # Only the current runs count: an earlier run (before Run again) is a finished version, not progress.
        from .models import current_items

        progress["overall"], progress["seconds_left"] = combined(current_items(list(capture.items.all())))
        progress["percent"] = int(progress["overall"] * 100 + 1e-9)
        progress["time_left"] = time_left_words(progress["seconds_left"])
    pipeline = pipelines.registered().get(item.pipeline) if item else None
    cancelled = state == Capture.State.FAILED and item is not None and item.status == "cancelled"
    return {
        "state": str(state),
        "cancelled": cancelled,
        "pipeline": item.pipeline if item else None,
        "stage": item.stage if item else "",
        "stage_label": pipeline.stage_label(item.stage) if pipeline and item.stage else "",
        "progress": progress,
        "queue_position": item.queue_position if item else -1,
        "failure_reason": (item.failure_reason or "Processing failed.")
        if state == Capture.State.FAILED and not cancelled else "",
        "parts_received": capture.parts.count() if not capture.is_uploaded else capture.num_parts,
        "num_parts": capture.num_parts,
    }


def progress_of_item(item):
    """Item.progress as the capture page shows it: overall and current-stage fractions (0..1), the percentage,
    the time left (seconds, None while unknown, and in words), the stage's count in words ("iteration 1,200 of
    3,000") and the positions as the doors answer them; zeros without an item."""
    if item is None:
        return {"overall": 0.0, "current": 0.0, "percent": 0, "seconds_left": None, "time_left": "", "counter": "",
                "overallPosition": 0, "overallSize": 100, "currentPosition": 0, "currentSize": 0}
    progress = item.progress
    return {"overall": progress.overall, "current": progress.current, "percent": progress.percent,
            "seconds_left": progress.seconds_left, "time_left": progress.time_left,
            "counter": progress.counter if item.status == item.Status.PROCESSING else "", **progress.positions()}


FILE_URL_SALT = "captures.file-url"


def file_signature(capture, kind):
    """A signature that lets anyone holding it download the capture's `kind` file for FILE_URL_LIFETIME, as an
    S3 presigned URL does: clients (Teleport's scripts) fetch model URLs without an Authorization header."""
    value = f"{capture.sid}:{kind}"
    return signing.TimestampSigner(salt=FILE_URL_SALT).sign(value)[len(value) + 1:]  # "<time>:<signature>"


def signed_capture(sid, kind, signature):
    """The capture whose `kind` file `signature` (from file_signature) opens; NotFound when it is forged,
    expired, or for another capture or file."""
    try:
        signing.TimestampSigner(salt=FILE_URL_SALT).unsign(f"{sid}:{kind}:{signature}",
                                                           max_age=settings.FILE_URL_LIFETIME)
    except signing.SignatureExpired:
        raise NotFound("This download link has expired. Ask for the capture's metadata again for a new one.") \
            from None
    except signing.BadSignature:
        raise NotFound("There is no public capture with this share id.") from None
    capture = _by_sid(sid)
    if capture is None:
        raise NotFound("There is no public capture with this share id.")
    return capture


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


# The pipeline whose files are made of the upload itself (its frames: what the camera saw, the room around the
# object), and those files' kinds: anyone else sees them only when the owner turned
# Capture.show_preview_publicly on.
SOURCE_PREVIEW_PIPELINE = "preview"
SOURCE_PREVIEW_KINDS = ("thumbnail", "gif")


def _files(capture, public=False):
    # The newest item first; within an item, the newest iteration first (as Item.file picks).
    files = ItemFile.objects.filter(item__capture__pk=capture.pk).select_related("item").order_by(
        "-item__created_at", F("iteration").desc(nulls_last=True))
    if public and not capture.show_preview_publicly:
        files = files.exclude(item__pipeline=SOURCE_PREVIEW_PIPELINE, kind__in=SOURCE_PREVIEW_KINDS)
    return files


def latest_files(capture, public=False):
    """{kind: ItemFile}: for each kind, the file of the newest of the capture's items that has one; `public`: only
    what the share page may show (the upload's own preview only when its owner shows it)."""
    files = {}
    for item_file in _files(capture, public):
        files.setdefault(item_file.kind, item_file)
    return files


def share_picture(capture):
    """The picture link previews show (og:image) of a public capture: the preview's sharp frame of the upload when
    its owner shows the preview publicly, else the newest other thumbnail (the model's render); None without one."""
    files = _files(capture, public=True).filter(kind="thumbnail", iteration=None)
    if capture.show_preview_publicly:
        frame = files.filter(item__pipeline=SOURCE_PREVIEW_PIPELINE).first()
        if frame is not None:
            return frame
    return files.first()


def list_picture(capture):
    """The picture the owner's list shows for a capture: the preview's sharp frame of the upload when there is one
    (the model's render is blurrier), else the newest other thumbnail; NotFound without one."""
    files = _files(capture).filter(kind="thumbnail", iteration=None)
    picture = files.filter(item__pipeline=SOURCE_PREVIEW_PIPELINE).first() or files.first()
    if picture is None:
        raise NotFound("This capture has no thumbnail yet.")
    return picture


def _declared_position(item_file):
    pipeline = pipelines.registered().get(item_file.item.pipeline)
    kinds = [output.kind for output in pipeline.outputs] if pipeline else []
    return kinds.index(item_file.kind) if item_file.kind in kinds else len(kinds)


def ordered_outputs(files):
    """[(kind, ItemFile)] of `files` (from latest_files): the newest job's files first, each job's in the order its
    pipeline declares its outputs."""
    return sorted(files.items(), key=lambda pair: (-pair[1].item.created_at.timestamp(), _declared_position(pair[1]),
                                                   pair[0]))


def output_label(item_file):
    """What a file is, in the words of the pipeline that made it."""
    pipeline = pipelines.registered().get(item_file.item.pipeline)
    return pipeline.output_label(item_file.kind) if pipeline else item_file.kind.replace("_", " ").capitalize()


# What a 3D viewer shows of a capture, best first: the compressed splats load fastest.
VIEWER_KINDS = ("splat", "ply")


def viewer_kind(files):
    """The kind of `files` ({kind: ItemFile}, from latest_files) a 3D viewer should load, or None."""
    return next((kind for kind in VIEWER_KINDS if kind in files), None)


def latest_file(capture, kind, public=False):
    """The capture's newest file of `kind` (`public`: as latest_files says), or NotFound."""
    item_file = _files(capture, public).filter(kind=kind).first()
    if item_file is None:
        raise NotFound(f"This capture has no {kind} file yet.")
    return item_file


def reconstruction_methods():
    """[(pipeline, label)] of the reconstruction pipelines registered on this server that take a capture."""
    return [(pipeline.name, pipeline.label)
            for pipeline in pipelines.in_category("reconstruction", made_from="captures.capture")]


def reconstruction_quality(capture):
    """The quality preset of the capture's newest gaussian-splatting run, or the one it will get once uploaded
    (captures.estimates.chosen_preset); None for other methods."""
    from .estimates import chosen_preset, workers_kind

    item = capture.items.filter(pipeline="gaussian-splatting").order_by("-created_at").first()
    if item is None and capture.reconstruction_parameters.get("method", "gaussian-splatting") != "gaussian-splatting":
        return None
    parameters = item.parameters if item else capture.reconstruction_parameters
    return chosen_preset(parameters, workers_kind())


# --- runs: a capture's reconstructions, each a version of its model ----------------------------------------

def own_run(capture, run_id):
    """One of the capture's reconstruction runs by its id; NotFound for anything else."""
    from core.ids import parse_uuid

    run_id = parse_uuid(run_id)
    run = capture.runs().filter(pk=run_id).first() if run_id else None
    if run is None:
        raise NotFound("This capture has no run with this id.")
    return run


def newest_finished_run(capture):
    """The capture's newest reconstruction run that is done, or None: the version shown by default."""
    return capture.runs().filter(status="done").first()


def run_files(capture, run):
    """{kind: ItemFile} of one run, with the preview's files (the upload's gif and still) where the run has
    none of that kind: what the capture page shows when that version is chosen."""
    files = {kind: item_file for kind, item_file in latest_files(capture).items()
             if item_file.item.pipeline in capture_previews()}
    for item_file in run.files.select_related("item").order_by(F("iteration").desc(nulls_last=True)):
        if item_file.kind in files and files[item_file.kind].item_id == run.pk:
            continue
        files[item_file.kind] = item_file
    return files


def capture_previews():
    from .models import preview_pipelines

    return preview_pipelines()


def run_quality(run):
    """The quality preset a gaussian-splatting run asked for (estimates.chosen_preset), or None."""
    from .estimates import chosen_preset, workers_kind

    if run.pipeline != "gaussian-splatting":
        return None
    return chosen_preset(run.parameters, workers_kind())


def runs_of(capture):
    """[{"run", "method", "quality", "status"}] of the capture's reconstruction runs, newest first."""
    return [{"run": run, "method": pipelines.label_of(run.pipeline), "quality": run_quality(run),
             "status": run.status} for run in capture.runs()]
