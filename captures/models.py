import secrets
import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.db import models
from django.db.models import Case, Exists, OuterRef, Q, Subquery, Value, When

from gallery.models import Item, ItemFile


def new_share_id():
    return secrets.token_urlsafe(9)


def source_path(capture, filename):
    suffix = PurePosixPath(filename).suffix.lower() or ".bin"
    return f"captures/{capture.eid}/source{suffix}"


def part_path(part, filename):
    return f"captures/{part.capture.eid}/parts/{part.number:05d}"


def preview_pipelines():
    """The names of the pipelines that preview an upload (category "preview"); every other item made from a
    capture is a reconstruction run."""
    from gallery import pipelines

    return [pipeline.name for pipeline in pipelines.in_category("preview")] or ["preview"]


def current_items(items):
    """Of a capture's `items` (newest first), the newest preview and the newest reconstruction run: older runs
    of each kind are earlier versions, replaced by Run again."""
    previews, current, seen = preview_pipelines(), [], set()
    for item in items:
        kind = item.pipeline in previews
        if kind not in seen:
            seen.add(kind)
            current.append(item)
    return current


class CaptureQuerySet(models.QuerySet):
    def owned_by(self, user):
        return self.filter(owner=user)

    def with_state(self):
        """Annotated with `db_state`: the one definition of a capture's state (Capture.state reads it).

        Checked in this order: CREATED (no part yet), UPLOADING (parts arriving), FAILED (a job failed or was
        cancelled, and no newer run of its kind replaced it), PROCESSING (a job is running), READY (the newest
        job is done), else UPLOADED (queued).
        Also `has_thumbnail`, so a page of captures is listed without a query per capture.
        """
        items = Item.objects.filter(capture=OuterRef("pk"))
        previews = preview_pipelines()
        newer = Item.objects.filter(source_type=OuterRef("source_type"), source_id=OuterRef("source_id"),
                                    created_at__gt=OuterRef("created_at"))
        # A run that failed or was cancelled counts until a newer run of its kind (the preview, or a
        # reconstruction: Run again) replaces it.
        current_stopped = items.filter(status__in=Item.STOPPED).filter(
            (Q(pipeline__in=previews) & ~Exists(newer.filter(pipeline__in=previews)))
            | (~Q(pipeline__in=previews) & ~Exists(newer.exclude(pipeline__in=previews))))
        conditions = (
            (Capture.State.CREATED, Q(uploaded_at__isnull=True, has_part=False)),
            (Capture.State.UPLOADING, Q(uploaded_at__isnull=True)),
            (Capture.State.FAILED, Q(has_stopped_item=True)),
            (Capture.State.PROCESSING, Q(has_processing_item=True)),
            (Capture.State.READY, Q(newest_item_status=Item.Status.DONE)),
        )
        return self.annotate(
            has_part=Exists(UploadPart.objects.filter(capture=OuterRef("pk"))),
            has_stopped_item=Exists(current_stopped),
            has_processing_item=Exists(items.filter(status=Item.Status.PROCESSING)),
            newest_item_status=Subquery(items.order_by("-created_at").values("status")[:1]),
            has_thumbnail=Exists(ItemFile.objects.filter(item__capture=OuterRef("pk"), kind="thumbnail")),
        ).annotate(db_state=Case(*(When(condition, then=Value(state)) for state, condition in conditions),
                                 default=Value(Capture.State.UPLOADED), output_field=models.CharField()))


class Capture(models.Model):
    """Media a person uploaded (a video or a set of images), whole or in parts, and what was learnt of it."""

    class Format(models.TextChoices):
        VIDEO = "video"
        BULK_IMAGES = "bulk-images"
        # A zip of frames with the phone's camera poses (transforms.json); see reconstruction/phone_poses.py.
        COMMONFORMAT_IOS = "commonformat-ios"

    class State(models.TextChoices):
        # The names Teleport clients poll for (they wait for READY); the rules are in CaptureQuerySet.with_state.
        CREATED = "CREATED"  # no part has arrived yet
        UPLOADING = "UPLOADING"  # parts are arriving
        UPLOADED = "UPLOADED"  # complete, its jobs queued
        PROCESSING = "PROCESSING"
        READY = "READY"
        FAILED = "FAILED"

    eid = models.UUIDField("external id", default=uuid.uuid4, unique=True, editable=False)
    sid = models.CharField("share id", max_length=32, default=new_share_id, unique=True, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="captures")
    name = models.CharField(max_length=200)
    input_data_format = models.CharField(
        max_length=16, choices=Format.choices, default=Format.VIDEO, blank=True,
        help_text="Blank while a client that did not say waits for its parts: the worker that joins them tells "
                  "a video from a zip by their bytes and records the format here.")
    bytesize = models.BigIntegerField(help_text="The size the client declared (multi-part) or the upload's size.")
    chunk_size = models.BigIntegerField(default=0)
    num_parts = models.PositiveIntegerField(default=1)
    source = models.FileField(upload_to=source_path, max_length=500, blank=True)
    original_filename = models.CharField(max_length=255, blank=True)
    photo_files = models.JSONField(
        default=list, blank=True,
        help_text='Photos picked one by one and sent as one upload, one after another: [{"name", "size"}] in '
                  "that order (empty for a single file). The worker that joins the parts packs them into a zip.")
    media_info = models.JSONField(default=dict, blank=True, help_text="What probing the upload found.")
    client_metadata = models.JSONField(default=dict, blank=True,
                                       help_text="What the client said about the capture (frames, app version ...).")
    reconstruction_parameters = models.JSONField(
        default=dict, blank=True,
        help_text="Chosen before upload (e.g. iterations); handed to the reconstruction once the upload completes.")
    is_public = models.BooleanField(default=False)
    show_preview_publicly = models.BooleanField(
        "show the video preview on the public page", default=False,
        help_text="Whether a public capture's share page, embed and share routes also show the preview made of "
                  "the upload itself (its animated GIF and still frame). Off: only the 3D model is shown.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    uploaded_at = models.DateTimeField(null=True, blank=True)
    items = GenericRelation("gallery.Item", content_type_field="source_type", object_id_field="source_id",
                            related_query_name="capture")
    assembly_started_at = models.DateTimeField(
        null=True, blank=True, editable=False,
        help_text="Set while a worker joins the parts into the source; refreshed after each part.")

    objects = CaptureQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.name

    @property
    def upload_preview_words(self):
        """What the preview made of the upload is, in words: the owner decides whether the public sees it."""
        return "the video preview" if self.input_data_format == Capture.Format.VIDEO else "the preview of your photos"

    @property
    def is_photo_set(self):
        """Whether the upload is photos picked one by one (rather than one video or .zip)."""
        return bool(self.photo_files)

    @property
    def is_uploaded(self):
        return self.uploaded_at is not None

    @property
    def status_item(self):
        """The item the capture's state follows: one that failed or was cancelled (its reason is the capture's)
        and that no newer run of its kind replaced, else one being processed, else the newest (the
        reconstruction, queued after the preview)."""
        items = list(self.items.order_by("-created_at"))
        current = current_items(items)
        for wanted in ("failed", "cancelled"):
            for item in current:
                if item.status == wanted:
                    return item
        for item in items:
            if item.status == "processing":
                return item
        return items[0] if items else None

    def runs(self):
        """The capture's reconstruction runs (every item but the preview), newest first."""
        return self.items.exclude(pipeline__in=preview_pipelines()).order_by("-created_at")

    @property
    def state(self):
        """The capture's state (see CaptureQuerySet.with_state); read from the annotation when there is one."""
        state = getattr(self, "db_state", None)
        if state is None:
            state = Capture.objects.with_state().values_list("db_state", flat=True).get(pk=self.pk)
        return self.State(state)

    # What gallery's request archive packs for an item made from this capture (see gallery.selectors).
    def item_inputs(self):
        return [(self.original_filename or self.source.name, self.source)] if self.source else []

    def item_description(self):
        return {"id": str(self.eid), "name": self.name, "originalFilename": self.original_filename,
                "inputDataFormat": self.input_data_format, "mediaInfo": self.media_info}

    def part_size(self, number):
        """The exact size part `number` (1-based) must have."""
        if number < self.num_parts:
            return self.chunk_size
        return self.bytesize - self.chunk_size * (self.num_parts - 1)


class UploadPart(models.Model):
    """One part of a multi-part upload, as it arrived; its ETag is the MD5 of its bytes, as S3's is."""

    capture = models.ForeignKey(Capture, on_delete=models.CASCADE, related_name="parts")
    number = models.PositiveIntegerField()
    size = models.BigIntegerField()
    etag = models.CharField(max_length=32)
    file = models.FileField(upload_to=part_path, max_length=500)
    received_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["capture", "number"], name="one_upload_part_per_number")]

    def __str__(self):
        return f"part {self.number} of {self.capture_id}"


class WorkerSpeed(models.Model):
    """A worker machine's measured speed, from which a reconstruction's time is estimated before it starts
    (captures/reconstruction/presets.py): one row per machine, training device and thread count, measured
    again when the rasteriser changes, and corrected by the runs it finishes."""

    host = models.CharField(max_length=128)
    device = models.CharField(max_length=16, help_text='"cpu" or "cuda": where its training runs.')
    threads = models.PositiveSmallIntegerField(help_text="CPU threads a worker's torch uses.")
    rasterizer = models.CharField(max_length=64, help_text="The rasteriser measured (a new build measures again).")
    training_seconds = models.FloatField(help_text="The benchmark's seconds on the training device.")
    cpu_seconds = models.FloatField(help_text="The benchmark's seconds on the CPU.")
    corrections = models.JSONField(default=dict, blank=True,
                                   help_text="Per stage: measured / estimated seconds of its finished runs.")
    runs = models.PositiveIntegerField(default=0, help_text="Finished runs the corrections learnt from.")
    measured_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        constraints = [models.UniqueConstraint(fields=["host", "device", "threads", "rasterizer"],
                                               name="one_speed_per_worker_setup")]
        verbose_name_plural = "worker speeds"

    def __str__(self):
        return f"{self.host} ({self.device}, {self.threads} threads)"

    def calibration(self):
        from captures.reconstruction.presets import Calibration

        return Calibration(training_seconds=self.training_seconds, cpu_seconds=self.cpu_seconds,
                           corrections=dict(self.corrections), measured=True)
