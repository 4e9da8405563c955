import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone

from . import pipelines


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


# The time left is shown once stages that make at least this share of the run's expected time have a duration
# (measured, or told by the pipeline); before that one fast early stage would set the scale for the whole run.
KNOWN_SHARE_FOR_TIME_LEFT = 0.5
# A processing item never reads as finished: storing its files comes after its last stage.
MOST_WHILE_PROCESSING = 0.99


@dataclass(frozen=True)
class Progress:
    """Where an item is, as every door and page shows it: the one progress rule.

    `overall` (0..1, 1 once done) is the share of the run's expected time that has passed. Each stage of the
    pipeline declares its expected share (`Stage.weight`; equal shares by default, which is the old stage count);
    as the run goes, the runner records how long each finished stage took and what the current one is expected
    to take (its measured rate, or the pipeline's `job.expect`), in `Item.timings`. Once the stages with a known
    duration make half of the run's expected time, the others are scaled from them: `seconds_left` is the
    expected time still to run and `overall` = elapsed / (elapsed + left). Before that, `overall` is the
    weighted share (finished stages' weights plus the current one's share of its own) and `seconds_left` None.

    `current` is the share of the current stage; the positions are the raw counts the worker wrote (stage
    number out of the stages, and done/total within the stage).
    """

    stage: str
    overall: float
    current: float
    overall_position: int
    overall_size: int
    current_position: int
    current_size: int
    seconds_left: int | None = None
    unit: str = ""  # what current_position counts, as the stage declares it ("iteration")

    @classmethod
    def of(cls, item, now=None):
        """`item`'s progress at `now` (default: this moment)."""
        pipeline = pipelines.registered().get(item.pipeline)
        current = min(1.0, item.current_position / item.current_size) if item.current_size else 0.0
        stage = pipeline.stage(item.stage) if pipeline else None
        seconds_left = None
        if item.status == Item.Status.DONE:
            overall, current, seconds_left = 1.0, 1.0, 0
        elif not item.overall_size or not item.overall_position:
            overall = 0.0
        else:
            declared = pipeline is not None and len(pipeline.stages) == item.overall_size
            weights = pipeline.weights if declared else (1 / item.overall_size,) * item.overall_size
            index = min(item.overall_position, item.overall_size) - 1
            overall = sum(weights[:index]) + weights[index] * current
            if declared and item.status == Item.Status.PROCESSING:
                timed = _timed(item, pipeline.stage_names, weights, index, current, now or timezone.now())
                if timed is not None:
                    overall, seconds_left = timed
            overall = min(overall, MOST_WHILE_PROCESSING)
        return cls(item.stage, round(overall, 4), round(current, 4), item.overall_position, item.overall_size,
                   item.current_position, item.current_size, seconds_left, stage.unit if stage else "")

    @property
    def percent(self):
        """`overall` as a whole percentage (floored: 100 only once done)."""
        return int(self.overall * 100 + 1e-9)

    @property
    def counter(self):
        """"iteration 1,200 of 3,000" for a stage that names what it counts; empty otherwise."""
        if not self.unit or not self.current_size:
            return ""
        return f"{self.unit} {self.current_position:,} of {self.current_size:,}"

    @property
    def time_left(self):
        """The time left in words ("about 3 min left"); empty while it is unknown."""
        return time_left_words(self.seconds_left)

    def positions(self):
        """The positions under the seeds' camelCase names, as the doors answer them: overall is the percentage
        of the estimate (`overall`) out of 100; current is the current stage's done out of its total."""
        return {"overallPosition": self.percent, "overallSize": 100,
                "currentPosition": self.current_position, "currentSize": self.current_size}


def _timed(item, names, weights, index, current, now):
    """(overall, seconds left) from the item's timings, or None while too little of the run has a duration."""
    timings = item.timings or {}
    seconds, counted = {}, list(weights)
    for i, name in enumerate(names):
        timing = timings.get(name) or {}
        if i < index:
            if "took" in timing:
                seconds[i] = float(timing["took"])
            else:  # never reported: the run skipped it
                seconds[i], counted[i] = 0.0, 0.0
        elif "expected" in timing:
            seconds[i] = float(timing["expected"])
    expected_weight = sum(counted)
    known_weight = sum(counted[i] for i in seconds)
    known_seconds = sum(seconds.values())
    if expected_weight <= 0 or known_weight < KNOWN_SHARE_FOR_TIME_LEFT * expected_weight or known_seconds <= 0:
        return None
    scale = known_seconds / known_weight  # seconds per unit of weight, from the stages with a duration
    duration = [seconds.get(i, scale * counted[i]) for i in range(len(weights))]
    in_stage = (now - item.stage_started_at).total_seconds() if item.stage_started_at else None
    if index in seconds and in_stage is not None:
        passed_here = min(max(in_stage, 0.0), duration[index])
    else:
        passed_here = duration[index] * current
    passed = sum(duration[:index]) + passed_here
    left = duration[index] - passed_here + sum(duration[index + 1:])
    if passed + left <= 0:
        return None
    return passed / (passed + left), round(left)


def combined(items, now=None):
    """(overall, seconds left) of several items of one object shown as one bar (a capture's preview, then its
    reconstruction): each item counts for its time, the seconds it took, is expected to take, or else its
    pipeline's `expected_seconds`; the time left is known once every unfinished item's is."""
    now = now or timezone.now()
    weighted = total = 0.0
    left = 0
    for item in items:
        progress = Progress.of(item, now)
        pipeline = pipelines.registered().get(item.pipeline)
        seconds = pipeline.expected_seconds if pipeline else 60.0
        if item.status == Item.Status.DONE and item.started_at and item.finished_at:
            seconds = (item.finished_at - item.started_at).total_seconds()
        elif progress.seconds_left is not None and item.started_at:
            seconds = (now - item.started_at).total_seconds() + progress.seconds_left
        seconds = max(seconds, 1.0)
        weighted += progress.overall * seconds
        total += seconds
        if left is not None and item.status in (Item.Status.QUEUED, Item.Status.PROCESSING):
            left = None if progress.seconds_left is None else left + progress.seconds_left
    return round(weighted / total, 4) if total else 0.0, left


def time_left_words(seconds):
    """"about 3 min left", "about 1 h 20 min left", "less than a minute left"; "" for None."""
    if seconds is None:
        return ""
    return f"{duration_words(seconds)} left"


def duration_words(seconds):
    """"about 3 min", "about 1 h 20 min", "less than a minute"; "" for None."""
    if seconds is None:
        return ""
    if seconds < 60:
        return "less than a minute"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"about {minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"about {hours} h {minutes} min" if minutes else f"about {hours} h"


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
    STOPPED = (Status.FAILED, Status.CANCELLED)
    ACTIVE = (Status.QUEUED, Status.PROCESSING)

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
    # Time: when the current stage began, and per stage {"took": seconds} once finished and {"expected": seconds}
    # (its measured rate, or the pipeline's job.expect); Progress turns them into overall and the time left.
    stage_started_at = models.DateTimeField(null=True, blank=True)
    timings = models.JSONField(default=dict, blank=True)
    worker = models.CharField(max_length=128, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    queued_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    notified_at = models.DateTimeField(
        null=True, blank=True,
        help_text="When its owner was told that this run ended (by the domain that listens to item_finished); "
                  "a second delivery of the same end tells nobody. Cleared when the item is run again.")

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
        """Progress.of(self) at this moment."""
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
