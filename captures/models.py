import secrets
import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.db import models


def new_share_id():
    return secrets.token_urlsafe(9)


def source_path(capture, filename):
    suffix = PurePosixPath(filename).suffix.lower() or ".bin"
    return f"captures/{capture.eid}/source{suffix}"


def part_path(part, filename):
    return f"captures/{part.capture.eid}/parts/{part.number:05d}"


class Capture(models.Model):
    """Media a person uploaded (a video or a set of images), whole or in parts, and what was learnt of it."""

    class Format(models.TextChoices):
        VIDEO = "video"
        BULK_IMAGES = "bulk-images"
        # A zip of frames with the phone's camera poses (transforms.json); see reconstruction/phone_poses.py.
        COMMONFORMAT_IOS = "commonformat-ios"

    class State(models.TextChoices):
        CREATED = "CREATED"  # waiting for its parts
        UPLOADED = "UPLOADED"  # complete, queued
        PROCESSING = "PROCESSING"
        FINISHED = "FINISHED"
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
    media_info = models.JSONField(default=dict, blank=True, help_text="What probing the upload found.")
    client_metadata = models.JSONField(default=dict, blank=True,
                                       help_text="What the client said about the capture (frames, app version ...).")
    reconstruction_parameters = models.JSONField(
        default=dict, blank=True,
        help_text="Chosen before upload (e.g. iterations); handed to the reconstruction once the upload completes.")
    is_public = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    uploaded_at = models.DateTimeField(null=True, blank=True)
    assembly_started_at = models.DateTimeField(
        null=True, blank=True, editable=False,
        help_text="Set while a worker joins the parts into the source; refreshed after each part.")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.name

    @property
    def is_uploaded(self):
        return self.uploaded_at is not None

    @property
    def latest_item(self):
        return self.items.order_by("-created_at").first()

    @property
    def status_item(self):
        """The item the capture's state follows: one that failed (its reason is the capture's), else one
        being processed, else the newest (the reconstruction, queued after the preview)."""
        items = list(self.items.order_by("-created_at"))
        for wanted in ("failed", "cancelled", "processing"):
            for item in items:
                if item.status == wanted:
                    return item
        return items[0] if items else None

    @property
    def state(self):
        if not self.is_uploaded:
            return self.State.CREATED
        item = self.status_item
        if item is None or item.status == item.Status.QUEUED:
            return self.State.UPLOADED
        if item.status == item.Status.PROCESSING:
            return self.State.PROCESSING
        if item.status == item.Status.DONE:
            return self.State.FINISHED
        return self.State.FAILED

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
