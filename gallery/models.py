import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone


class ItemQuerySet(models.QuerySet):
    def owned_by(self, user):
        return self.filter(owner=user)

    def queued(self):
        return self.filter(status=Item.Status.QUEUED)

    def processing(self):
        return self.filter(status=Item.Status.PROCESSING)

    def made_from(self, source):
        """The items made from `source` (any model instance)."""
        return self.filter(source_type=ContentType.objects.get_for_model(source), source_id=source.pk)

    def stale(self):
        """Processing items whose worker has stopped beating: it died, or was killed at its timeout."""
        cutoff = timezone.now() - timedelta(seconds=settings.ITEM_STALE_AFTER_SECONDS)
        return self.processing().filter(heartbeat_at__lt=cutoff)


@dataclass(frozen=True)
class Progress:
    """Where an item is, as every door and page shows it: the one progress rule.

    `overall` counts the finished stages plus the share of the current one; `current` is the share of the
    current stage. Both are 0..1 and 1 once the item is done; positions are the raw counts the worker wrote.
    """

    stage: str
    overall: float
    current: float
    overall_position: int
    overall_size: int
    current_position: int
    current_size: int

    @classmethod
    def of(cls, item):
        done = item.status == Item.Status.DONE
        current = min(1.0, item.current_position / item.current_size) if item.current_size else 0.0
        if done:
            overall, current = 1.0, 1.0
        elif item.overall_size:
            overall = min(1.0, (max(item.overall_position - 1, 0) + current) / item.overall_size)
        else:
            overall = 0.0
        return cls(item.stage, round(overall, 4), round(current, 4), item.overall_position, item.overall_size,
                   item.current_position, item.current_size)

    def positions(self):
        """The raw positions under the seeds' camelCase names."""
        return {"overallPosition": self.overall_position, "overallSize": self.overall_size,
                "currentPosition": self.current_position, "currentSize": self.current_size}


class Item(models.Model):
    """What a user asked Atlas to produce: one run of one registered pipeline, with its files.

    An item is made from any object of any domain (a capture, an avatar request, a face batch ...): `source`
    is a generic link, as NetBox's jobs have. Domains reach their items through a GenericRelation on their model
    (e.g. `Capture.items`), which also deletes the items with the object.
    """

    class Status(models.TextChoices):
        QUEUED = "queued"
        PROCESSING = "processing"
        DONE = "done"
        FAILED = "failed"
        CANCELLED = "cancelled"

    FINISHED = (Status.DONE, Status.FAILED, Status.CANCELLED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="items")
    name = models.CharField(max_length=200)
    pipeline = models.CharField(max_length=64, db_index=True)
    queue = models.CharField(max_length=32, default="default",
                             help_text="Queue positions count the items waiting in the same queue.")
    parameters = models.JSONField(default=dict, blank=True)
    source_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", help_text="The kind of object the item was made from.")
    source_id = models.PositiveBigIntegerField(null=True, blank=True)
    source = GenericForeignKey("source_type", "source_id")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True)
    failure_reason = models.TextField(blank=True)
    log = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Progress: the stage, where the whole job is (overall) and where the stage is (current).
    stage = models.CharField(max_length=64, blank=True)
    overall_position = models.PositiveIntegerField(default=0)
    overall_size = models.PositiveIntegerField(default=0)
    current_position = models.PositiveIntegerField(default=0)
    current_size = models.PositiveIntegerField(default=0)
    worker = models.CharField(max_length=128, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    queued_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ItemQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["queue", "status", "queued_at"]),
                   models.Index(fields=["source_type", "source_id"])]

    def __str__(self):
        return f"{self.name} ({self.pipeline}, {self.status})"

    @property
    def is_finished(self):
        return self.status in self.FINISHED

    @property
    def queue_position(self):
        """Queued items ahead of this one in its queue; 0 while processing; -1 when not queued."""
        if self.status == self.Status.PROCESSING:
            return 0
        if self.status != self.Status.QUEUED:
            return -1
        ahead = Item.objects.queued().filter(queue=self.queue).filter(
            models.Q(queued_at__lt=self.queued_at) | models.Q(queued_at=self.queued_at, pk__lt=self.pk)
        )
        return ahead.count()

    @property
    def progress(self):
        return Progress.of(self)

    def file(self, kind, iteration=None):
        """The file of `kind` at `iteration`; without one, the final file, else the newest snapshot."""
        files = self.files.filter(kind=kind)
        if iteration is not None:
            return files.filter(iteration=iteration).first()
        return files.order_by(models.F("iteration").desc(nulls_first=True)).first()


def item_file_path(item_file, filename):
    return f"items/{item_file.item_id}/{filename}"


class ItemFile(models.Model):
    """One output of an item, stored through Django storage (local files or S3)."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="files")
    kind = models.CharField(max_length=32, help_text="What the file is, as the item's pipeline declares its outputs.")
    iteration = models.PositiveIntegerField(null=True, blank=True, help_text="For snapshots during training.")
    file = models.FileField(upload_to=item_file_path, max_length=500)
    content_type = models.CharField(max_length=100)
    size = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "iteration"]
        constraints = [
            models.UniqueConstraint(fields=["item", "kind", "iteration"], name="one_file_per_kind_and_iteration"),
        ]

    def __str__(self):
        return f"{self.kind}{'' if self.iteration is None else f'@{self.iteration}'} of {self.item_id}"

    @property
    def filename(self):
        return self.file.name.rsplit("/", 1)[-1]
