"""Uploads: whole files in one request, or multi-part (seed 004) with signed part URLs and ETags.

Every upload is probed before it is accepted; every complete capture gets a preview job.
"""

import hashlib
import math
import shutil
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core import signing
from django.core.files import File
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.errors import Conflict, Forbidden, Invalid, NotFound
from gallery import pipelines
from gallery import services as gallery
from media import MediaError, check_limits, probe
from media.archive import MAX_PHOTO_BYTES, MAX_PHOTOS, is_photo_name, pack_photos

from . import limits
from .models import Capture, UploadPart
from .reconstruction.frames import MIN_FRAMES
from .reconstruction.input_format import detect_format

PART_URL_SALT = "captures.upload-part"
COPY_BUFFER = 4 * 1024 * 1024
# A claim on a capture's assembly is refreshed after every part; one this old belongs to a dead worker.
ASSEMBLY_STALE_AFTER = timedelta(minutes=10)


# --- whole uploads ------------------------------------------------------------------------------

def probe_upload(uploaded_file, limits):
    """Probes an upload (already streamed to a temporary file by Django) against the limits."""
    with _local_upload(uploaded_file) as path:
        try:
            info = probe(path, declared_name=uploaded_file.name, max_pixels=settings.IMAGE_MAX_PIXELS)
            check_limits(info, **limits)
        except MediaError as exc:
            raise Invalid(str(exc)) from exc
    return info


class _local_upload:
    """A path for an UploadedFile: its temporary file, or a copy for small in-memory uploads."""

    def __init__(self, uploaded_file):
        self.uploaded_file = uploaded_file
        self.copy = None

    def __enter__(self):
        if hasattr(self.uploaded_file, "temporary_file_path"):
            return Path(self.uploaded_file.temporary_file_path())
        suffix = Path(self.uploaded_file.name or "").suffix
        self.copy = tempfile.NamedTemporaryFile(suffix=suffix, delete=False)
        for chunk in self.uploaded_file.chunks():
            self.copy.write(chunk)
        self.copy.close()
        self.uploaded_file.seek(0)
        return Path(self.copy.name)

    def __exit__(self, *exc):
        if self.copy is not None:
            Path(self.copy.name).unlink(missing_ok=True)


@transaction.atomic
def capture_from_upload(*, owner, uploaded_file, name, limits, input_data_format=Capture.Format.VIDEO):
    """A complete capture from a single-request upload, probed and stored, with its preview queued."""
    info = probe_upload(uploaded_file, limits)
    capture = Capture(owner=owner, name=name, input_data_format=input_data_format, bytesize=uploaded_file.size,
                      num_parts=1, chunk_size=uploaded_file.size, original_filename=uploaded_file.name[:255],
                      media_info=info.to_dict(), uploaded_at=timezone.now())
    capture.source.save(uploaded_file.name, uploaded_file, save=False)
    capture.save()
    return capture


def queue_preview(capture):
    """The preview every complete upload gets (the registered pipelines of category "preview")."""
    return [gallery.create_item(owner=capture.owner, name=capture.name, pipeline=pipeline.name, source=capture)
            for pipeline in pipelines.in_category("preview") if pipeline.accepts(capture, capture.input_data_format)]


def reconstruction_method(method=None):
    """The reconstruction pipeline to run: `method` when given, else the server's default
    (ATLAS_RECONSTRUCTION_METHOD); Invalid when it is not a reconstruction method registered here."""
    name = method or settings.RECONSTRUCTION_METHOD
    if not pipelines.is_registered(name) or pipelines.get(name).category != "reconstruction":
        choices = ", ".join(p.name for p in pipelines.in_category("reconstruction"))
        raise Invalid(f"method: {name!r} is not a reconstruction method on this server; choose from {choices}.")
    return name


def queue_reconstruction(capture, *, method=None, name=None, **parameters):
    """The capture's reconstruction (seed 004: a capture is reconstructed once uploaded) with the method's
    parameters (checked against what the pipeline declares)."""
    given = {key: value for key, value in parameters.items() if value is not None}
    return gallery.create_item(owner=capture.owner, name=name or capture.name, pipeline=reconstruction_method(method),
                               source=capture, parameters=given)


@transaction.atomic
def request_reconstruction(*, owner, name, uploaded_file, limits, method=None, **parameters):
    """A video uploaded in one request (seed 000 §3.5) becomes a capture, its preview and its reconstruction;
    an item name still in use by the same method is refused."""
    from gallery.models import Item

    method = reconstruction_method(method)
    if Item.objects.filter(owner=owner, name=name, pipeline=method).exclude(
            status__in=[Item.Status.FAILED, Item.Status.CANCELLED]).exists():
        raise Invalid(f"You already have an item named {name!r} made this way. Choose another itemName.")
    capture = capture_from_upload(owner=owner, uploaded_file=uploaded_file, name=name, limits=limits)
    queue_preview(capture)
    return queue_reconstruction(capture, method=method, **parameters)


# --- multi-part uploads ---------------------------------------------------------------------------

def plan_parts(bytesize):
    """Chunk size and part count: the configured chunk, grown so no upload needs more than MAX_PARTS."""
    chunk = max(settings.UPLOAD_CHUNK_SIZE, math.ceil(bytesize / settings.UPLOAD_MAX_PARTS))
    return chunk, max(1, math.ceil(bytesize / chunk))


def max_upload_bytes(input_data_format):
    """The largest file of this format an upload may declare."""
    if input_data_format == Capture.Format.VIDEO:
        return min(limits.ANY_VIDEO["max_bytes"], settings.UPLOAD_MAX_BYTES)
    if input_data_format in (Capture.Format.BULK_IMAGES, Capture.Format.COMMONFORMAT_IOS):
        # Photos (a .zip, or picked one by one) are extracted before use: the extraction's limit is theirs.
        return min(MAX_PHOTO_BYTES, settings.UPLOAD_MAX_BYTES)
    return settings.UPLOAD_MAX_BYTES  # undeclared: the bytes say what it is once joined


def check_upload_size(bytesize, input_data_format):
    """The limits on a multi-part upload's declared size: applied when it starts and whenever it is re-planned."""
    if bytesize <= 0:
        raise Invalid("bytesize must be the file's size in bytes, more than 0.")
    limit = max_upload_bytes(input_data_format)
    if bytesize > limit:
        raise Invalid(f"The file is {bytesize / 1024**3:,.1f} GB; the limit is {limit / 1024**3:.0f} GB.")


def check_photo_files(photo_files):
    """[{"name", "size"}] of photos picked one by one, checked before a byte is sent: JPEG or PNG names, sizes
    above 0, at most MAX_PHOTOS of them and MAX_PHOTO_BYTES in all. Answers the list, cleaned."""
    if not isinstance(photo_files, list) or not photo_files:
        raise Invalid("photo_files must list the photos, each as {\"name\": ..., \"size\": ...}.")
    if len(photo_files) > MAX_PHOTOS:
        raise Invalid(f"{len(photo_files):,} photos were chosen; at most {MAX_PHOTOS:,} go in one capture.")
    cleaned, not_photos = [], []
    for entry in photo_files:
        name, size = (entry.get("name"), entry.get("size")) if isinstance(entry, dict) else (None, None)
        if not isinstance(name, str) or not name.strip() or len(name) > 1000:
            raise Invalid("Each photo needs its file name (at most 1,000 characters).")
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            raise Invalid(f"{name} is empty or its size is missing: choose the photos again.")
        if not is_photo_name(name):
            not_photos.append(name)
        cleaned.append({"name": name, "size": size})
    if not_photos:
        shown = ", ".join(not_photos[:5]) + (f" and {len(not_photos) - 5:,} more" if len(not_photos) > 5 else "")
        raise Invalid(f"Only JPEG and PNG photos can go with other photos; not {shown}. Leave "
                      f"{'it' if len(not_photos) == 1 else 'them'} out, or upload a video or a .zip on its own.")
    if len(cleaned) < MIN_FRAMES:
        raise Invalid(f"{len(cleaned)} photo{'' if len(cleaned) == 1 else 's'} chosen; at least {MIN_FRAMES} are "
                      "needed to reconstruct an object. Pick photos taken from all around it.")
    return cleaned


def start_multipart(*, owner, name, bytesize, input_data_format, client_metadata=None,
                    reconstruction_parameters=None, original_filename="", photo_files=None):
    """An empty capture waiting for its parts. `reconstruction_parameters` (e.g. {"iterations": 5000}) are kept
    until the upload completes, then given to its reconstruction. `photo_files` ([{"name", "size"}]): photos
    picked one by one, sent as one stream of `bytesize` bytes in that order (see _join_parts)."""
    if photo_files:
        photo_files = check_photo_files(photo_files)
        input_data_format = Capture.Format.BULK_IMAGES
        total = sum(photo["size"] for photo in photo_files)
        if bytesize != total:
            raise Invalid(f"bytesize must be the photos' sizes added up ({total}), not {bytesize}.")
        original_filename = "photos.zip"  # what the worker packs them into
    check_upload_size(bytesize, input_data_format)
    chunk, parts = plan_parts(bytesize)
    return Capture.objects.create(
        owner=owner, name=name, bytesize=bytesize, chunk_size=chunk, num_parts=parts,
        input_data_format=input_data_format, client_metadata=client_metadata or {},
        reconstruction_parameters=reconstruction_parameters or {}, original_filename=original_filename[:255],
        photo_files=photo_files or [],
    )


def replan(capture, bytesize):
    """Seed 004 sends the bytesize again with each upload URL; a changed size re-plans an untouched upload."""
    if bytesize == capture.bytesize:
        return capture
    if capture.is_photo_set:
        raise Conflict(f"This capture is {len(capture.photo_files)} photos of {capture.bytesize} bytes in all; "
                       "its size cannot change. Start a new capture for other photos.")
    if capture.parts.exists() or capture.is_uploaded:
        raise Conflict(f"The capture was started with bytesize {capture.bytesize}; parts have arrived since, "
                       "so it cannot change. Start a new capture for a different file.")
    check_upload_size(bytesize, capture.input_data_format)
    capture.bytesize = bytesize
    capture.chunk_size, capture.num_parts = plan_parts(bytesize)
    capture.save(update_fields=["bytesize", "chunk_size", "num_parts"])
    return capture


def part_token(capture, number):
    return signing.TimestampSigner(salt=PART_URL_SALT).sign(f"{capture.eid}:{number}")


def part_upload_path(capture, number):
    return f"/api/v1/uploads/{part_token(capture, number)}"


def upload_url_for(capture, number):
    if capture.is_uploaded:
        raise Conflict("This capture is already uploaded.")
    if not 1 <= number <= capture.num_parts:
        raise Invalid(f"part_no must be between 1 and {capture.num_parts} for this capture.")
    return part_upload_path(capture, number)


def capture_and_part_for_token(token):
    """The capture and part number a signed upload URL stands for; refuses forged or expired URLs."""
    try:
        value = signing.TimestampSigner(salt=PART_URL_SALT).unsign(
            token, max_age=settings.UPLOAD_URL_LIFETIME.total_seconds())
    except signing.SignatureExpired:
        raise Forbidden("This upload URL has expired. Ask for a new one with create-upload-url.") from None
    except signing.BadSignature:
        raise Forbidden("This upload URL is not valid.") from None
    eid, _, number = value.partition(":")
    capture = Capture.objects.filter(eid=eid).first()
    if capture is None:
        raise NotFound("The capture of this upload URL was deleted.")
    return capture, int(number)


def receive_part(capture, number, stream, content_length):
    """Stores one part's bytes, streamed, and returns its ETag (the MD5 of the bytes, as S3 gives)."""
    if capture.is_uploaded:
        raise Conflict("This capture is already uploaded; its parts cannot change.")
    if not 1 <= number <= capture.num_parts:
        raise Invalid(f"This URL is for part {number}, but the capture now has {capture.num_parts} parts. "
                      "Ask for a new URL with create-upload-url.")
    expected = capture.part_size(number)
    if content_length is not None and content_length != expected:
        raise Invalid(f"Part {number} must be exactly {expected} bytes; this request has {content_length}.")
    digest = hashlib.md5(usedforsecurity=False)
    received = 0
    with tempfile.TemporaryFile() as spool:
        while chunk := stream.read(min(COPY_BUFFER, expected - received + 1)):
            received += len(chunk)
            if received > expected:
                raise Invalid(f"Part {number} must be exactly {expected} bytes; more arrived.")
            digest.update(chunk)
            spool.write(chunk)
        if received != expected:
            raise Invalid(f"Part {number} must be exactly {expected} bytes; {received} arrived. Send it again.")
        spool.seek(0)
        etag = digest.hexdigest()
        with transaction.atomic():
            old = UploadPart.objects.select_for_update().filter(capture=capture, number=number).first()
            if old is not None:
                old.delete()  # a retried part replaces the one before it (its file goes on commit)
            part = UploadPart(capture=capture, number=number, size=received, etag=etag)
            part.file.save(f"{number:05d}", File(spool), save=True)
    return etag


def missing_parts(capture):
    arrived = set(capture.parts.values_list("number", flat=True))
    return [n for n in range(1, capture.num_parts + 1) if n not in arrived]


@transaction.atomic
def complete_multipart(capture, parts):
    """Checks the client's ETags against what arrived, then queues the capture's processing.

    `parts` is [{"number": n, "etag": "..."}]. Nothing is processed unless every part is there,
    with the right size and ETag.
    """
    capture = Capture.objects.select_for_update().get(pk=capture.pk)
    if capture.is_uploaded:
        raise Conflict("This capture is already uploaded.")
    missing = missing_parts(capture)
    if missing:
        shown = ", ".join(map(str, missing[:20])) + (" ..." if len(missing) > 20 else "")
        raise Invalid(f"Parts {shown} have not arrived. Upload them, then complete again.")
    stored = {p.number: p for p in capture.parts.all()}
    claimed = {}
    for entry in parts:
        claimed[entry["number"]] = entry["etag"].strip().strip('"').lower()
    if len(claimed) != len(parts) or sorted(claimed) != list(range(1, capture.num_parts + 1)):
        raise Invalid(f"List every part from 1 to {capture.num_parts} exactly once with its ETag.")
    wrong = [n for n, etag in claimed.items() if stored[n].etag != etag]
    if wrong:
        raise Invalid(f"The ETags of parts {', '.join(map(str, wrong))} do not match what arrived. "
                      "Upload those parts again.")
    total = sum(p.size for p in stored.values())
    if total != capture.bytesize:
        raise Invalid(f"The parts add up to {total} bytes, not the declared {capture.bytesize}.")
    capture.uploaded_at = timezone.now()
    capture.save(update_fields=["uploaded_at"])
    queue_preview(capture)
    chosen = dict(capture.reconstruction_parameters)
    queue_reconstruction(capture, method=chosen.pop("method", None), **chosen)
    return capture


def assemble(capture, report=None, *, poll_seconds=1.0):
    """Joins the parts into the capture's source file (in the worker: files can be larger than 5 GB).

    A capture's preview and reconstruction can start on two workers at once: one claims the assembly
    (an atomic UPDATE, so on any database only one wins), the other waits for its source. A claim not
    refreshed for ASSEMBLY_STALE_AFTER (its worker died) is taken over.
    """
    while True:
        capture.refresh_from_db(fields=["source", "input_data_format"])
        if capture.source:
            return capture.source
        now = timezone.now()
        claimed = Capture.objects.filter(pk=capture.pk, source="").filter(
            Q(assembly_started_at__isnull=True) | Q(assembly_started_at__lt=now - ASSEMBLY_STALE_AFTER)
        ).update(assembly_started_at=now)
        if claimed:
            break
        time.sleep(poll_seconds)
    try:
        _join_parts(capture, report)
    finally:
        Capture.objects.filter(pk=capture.pk).update(assembly_started_at=None)
    return capture.source


def _join_parts(capture, report):
    parts = list(capture.parts.order_by("number"))
    if len(parts) != capture.num_parts:
        raise Invalid(f"Only {len(parts)} of the {capture.num_parts} parts of this upload are stored. "
                      "Upload the capture again.")
    with tempfile.TemporaryFile() as joined:
        for index, part in enumerate(parts, start=1):
            with part.file.open("rb") as handle:
                shutil.copyfileobj(handle, joined, COPY_BUFFER)
            Capture.objects.filter(pk=capture.pk).update(assembly_started_at=timezone.now())
            if report:
                report(index, len(parts))
        if capture.is_photo_set:
            _save_photo_set(capture, joined)
        else:
            # Only now do the bytes exist: they say what a capture of undeclared format is (see detect_format).
            capture.input_data_format = detect_format(joined, capture.input_data_format)
            suffix = ".mp4" if capture.input_data_format == Capture.Format.VIDEO else ".zip"
            capture.source.save(f"source{suffix}", File(joined), save=False)
    capture.save(update_fields=["source", "input_data_format"])
    for part in parts:
        part.delete()


def _save_photo_set(capture, joined):
    """The photos of a photo set, joined into one stream, become its source: a zip, as if the person had zipped
    them (the reconstruction then reads them as it reads any .zip of photos)."""
    joined.seek(0)
    with tempfile.TemporaryFile() as packed:
        try:
            pack_photos(joined, [(photo["name"], photo["size"]) for photo in capture.photo_files], packed)
        except MediaError as exc:
            raise Invalid(str(exc)) from exc
        packed.seek(0)
        capture.input_data_format = Capture.Format.BULK_IMAGES
        capture.source.save("source.zip", File(packed), save=False)


def rename(capture, name):
    capture.name = name
    capture.save(update_fields=["name"])
    capture.items.update(name=name)
    return capture


def set_public(capture, is_public):
    """Public captures can be seen by anyone with their share link; private ones only by their owner."""
    capture.is_public = is_public
    capture.save(update_fields=["is_public"])
    return capture


def set_preview_public(capture, shown):
    """Whether the public share page also shows the preview made of the upload (its frames: what the camera saw,
    the room around the object). Off by default: the 3D model alone is shared."""
    capture.show_preview_publicly = shown
    capture.save(update_fields=["show_preview_publicly"])
    return capture


# --- runs: cancel, run again, retry -------------------------------------------------------------------

# The training iterations a run may ask for (a "custom" preset), as the new-capture form allows them.
MIN_ITERATIONS, MAX_ITERATIONS = 100, 30_000
RUNNING = ("A reconstruction of this capture is queued or running: wait for it to end, or cancel it, "
           "before running it again.")


def active_runs(capture):
    """The capture's reconstruction runs that are queued or processing."""
    from gallery.models import Item

    return capture.runs().filter(status__in=Item.ACTIVE)


def cancel_runs(capture):
    """Stops the capture's queued or running reconstruction (a running worker notices at its next report or
    heartbeat and stops without saving anything); the capture and its upload stay, ready to run again.
    Conflict when nothing is running."""
    if not capture.is_uploaded:
        raise Conflict("The upload has not finished, so nothing is running yet. Delete the capture to stop it.")
    cancelled = [item for item in active_runs(capture) if gallery.cancel_item(item)]
    if not cancelled:
        raise Conflict("Nothing is running for this capture: there is nothing to cancel.")
    return cancelled


def run_parameters(preset=None, iterations=None):
    """{"preset", "iterations"?} of a run: a preset name, or "custom" (iterations given alone mean custom) with
    MIN_ITERATIONS..MAX_ITERATIONS iterations; Invalid otherwise."""
    from .reconstruction.presets import CUSTOM, NAMES

    if iterations is not None and not preset:
        preset = CUSTOM
    preset = preset or settings.RECONSTRUCTION_PRESET
    if preset not in (*NAMES, CUSTOM):
        raise Invalid(f'"{preset}" is not a quality preset. Choose from {", ".join((*NAMES, CUSTOM))}.')
    if preset != CUSTOM:
        return {"preset": preset}
    if iterations is None:
        raise Invalid("Custom needs a number of training iterations.")
    if not MIN_ITERATIONS <= int(iterations) <= MAX_ITERATIONS:
        raise Invalid(f"iterations must be from {MIN_ITERATIONS:,} to {MAX_ITERATIONS:,}.")
    return {"preset": CUSTOM, "iterations": int(iterations)}


def methods_for(capture):
    """[(pipeline, label)] of the reconstruction methods registered here that take this capture's format."""
    return [(pipeline.name, pipeline.label)
            for pipeline in pipelines.in_category("reconstruction", made_from="captures.capture")
            if pipeline.accepts(capture, capture.input_data_format)]


@transaction.atomic
def run_again(capture, *, method=None, preset=None, iterations=None):
    """A new reconstruction run of the capture from its stored upload (nothing is uploaded again), beside the
    earlier runs: `method`, `preset` and `iterations` as the new-capture form takes them; all omitted, those of
    the newest run. Conflict while a run is queued or running, or before the upload is complete."""
    capture = Capture.objects.select_for_update().get(pk=capture.pk)
    if not capture.is_uploaded:
        raise Conflict("The upload has not finished: complete it before running the reconstruction again.")
    if active_runs(capture).exists():
        raise Conflict(RUNNING)
    previous = capture.runs().first()
    method = reconstruction_method(method or (previous.pipeline if previous else None)
                                   or capture.reconstruction_parameters.get("method"))
    if not pipelines.get(method).accepts(capture, capture.input_data_format):
        choices = ", ".join(name for name, _ in methods_for(capture))
        raise Invalid(f"method: {method!r} does not take this capture's format; choose from {choices}.")
    if preset is None and iterations is None:
        earlier = previous.parameters if previous else capture.reconstruction_parameters
        preset, iterations = earlier.get("preset"), earlier.get("iterations") or earlier.get("total_iterations")
    declared = {parameter.name for parameter in pipelines.get(method).parameters}
    parameters = {key: value for key, value in run_parameters(preset, iterations).items() if key in declared}
    return queue_reconstruction(capture, method=method, **parameters)


def retry_runs(capture):
    """Queues the capture's failed or cancelled run again, with the same parameters (gallery.retry_item; the
    preview too when it is the one that failed). Conflict while a run is queued or running, or when nothing
    failed."""
    from gallery.models import Item

    from .models import current_items

    if active_runs(capture).exists():
        raise Conflict(RUNNING.replace("running it again", "retrying"))
    stopped = [item for item in current_items(list(capture.items.order_by("-created_at")))
               if item.status in Item.STOPPED]
    retried = [item for item in stopped if gallery.retry_item(item)]
    if not retried:
        raise Conflict("Only a failed or cancelled run can be retried; this capture has none.")
    return retried


def delete_capture(capture):
    for item in capture.items.all():
        gallery.delete_item(item)
    capture.delete()


def cleanup_abandoned_uploads():
    """Deletes multi-part uploads never completed within UPLOAD_ABANDON_AFTER, with their parts."""
    cutoff = timezone.now() - settings.UPLOAD_ABANDON_AFTER
    abandoned = Capture.objects.filter(uploaded_at__isnull=True, created_at__lt=cutoff)
    count = 0
    for capture in abandoned:
        capture.delete()
        count += 1
    return count
