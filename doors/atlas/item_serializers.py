"""Seed 000 §4: the item API's query parameters and response bodies."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models_table import STATUS, atlas_status, model_for

ATLAS_STATUSES = sorted(set(STATUS.values()))
METADATA_TYPES = ("thumbnail", "request", "reply", "output", "log")


class TrueFalseField(serializers.ChoiceField):
    """The strings "true" / "false" (any case), read as a bool."""

    def __init__(self, **kwargs):
        super().__init__(choices=["true", "false"], **kwargs)

    def to_internal_value(self, data):
        text = data.strip().lower() if isinstance(data, str) else data
        return super().to_internal_value(text) == "true"


class ItemListQuerySerializer(serializers.Serializer):
    orderBy = serializers.ChoiceField(choices=["createdAt"], help_text="Only createdAt is supported.")
    desc = TrueFalseField(help_text=("As the seed's table says: true lists ascending (oldest first), false "
                                     "descending (newest first)."))
    cursor = serializers.CharField(required=False, allow_blank=True, max_length=200, help_text=(
        "The nextCursor of the page before (pages then never skip or repeat an item), or an item's createdAt "
        "such as 2025-01-31T09:30:00.123456Z (the page starts strictly beyond that time; without an offset "
        "it is read as UTC). Leave it out for the first page."))
    limit = serializers.IntegerField(required=False, default=10, min_value=1, max_value=50)


class DownloadQuerySerializer(serializers.Serializer):
    code = serializers.CharField(required=False, allow_blank=True, max_length=10,
                                 help_text="The result format (seed 000 §4.2's code table); 1 when left out.")


@extend_schema_field({"type": "string", "enum": ATLAS_STATUSES})
class AtlasStatusField(serializers.ChoiceField):
    """The item's status as the seed names it: PROGRESS (queued or processing), OK (done), NG (failed, cancelled)."""

    def __init__(self, **kwargs):
        super().__init__(choices=ATLAS_STATUSES, source="*", read_only=True, **kwargs)

    def to_representation(self, item):
        return atlas_status(item)


class ModelIdField(serializers.CharField):
    """The seed's model id ("1" nerf2mesh ... "5" InstantMesh); null for pipelines that are not seed models."""

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, allow_null=True, **kwargs)

    def to_representation(self, item):
        return model_for(item.pipeline).id


class ModelNameField(serializers.CharField):
    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, item):
        return model_for(item.pipeline).name


class ProgressSerializer(serializers.Serializer):
    """Item.progress (gallery.models.Progress): overall is the percentage of the item's expected time that has
    passed, out of 100; current is the stage's steps done out of its steps (training: iterations)."""

    stage = serializers.CharField()
    overallPosition = serializers.IntegerField(source="percent", help_text="Percentage done (0-100).")
    overallSize = serializers.SerializerMethodField(help_text="Always 100.")
    currentPosition = serializers.IntegerField(source="current_position", help_text="Steps done in the stage.")
    currentSize = serializers.IntegerField(source="current_size", help_text="Steps in the stage.")
    secondsLeft = serializers.IntegerField(source="seconds_left", allow_null=True, help_text=(
        "Estimated seconds until the item is done, from the measured pace of its stages; null until enough of "
        "the run has been measured, 0 once done."))

    def get_overallSize(self, progress) -> int:
        return 100


def progress_field():
    """The serializers name the field `progress`: it reads Item.progress."""
    return ProgressSerializer(read_only=True)


def queue_position_field():
    return serializers.IntegerField(
        source="queue_position", read_only=True,
        help_text="Queued items ahead in the same queue; 0 while processing; -1 when not queued.")


def failure_reason_field():
    return serializers.CharField(source="failure_reason", read_only=True,
                                 help_text="Why the item failed, in words a person can act on; empty otherwise.")


class ItemDetailSerializer(serializers.Serializer):
    """§4.1 (the seed spells the status key `Status`), with progress, queue position and failure reason."""

    requestId = serializers.UUIDField(source="pk", read_only=True)
    Status = AtlasStatusField()
    modelId = ModelIdField()
    modelName = ModelNameField()
    uploaderId = serializers.UUIDField(source="owner.public_id", read_only=True)
    uploaderNickname = serializers.CharField(source="owner.nickname", read_only=True)
    progress = progress_field()
    queuePosition = queue_position_field()
    failureReason = failure_reason_field()


class MyItemDetailSerializer(serializers.Serializer):
    """§4.4, with progress, queue position and failure reason."""

    requestId = serializers.UUIDField(source="pk", read_only=True)
    itemName = serializers.CharField(source="name", read_only=True)
    status = AtlasStatusField()
    modelId = ModelIdField()
    modelName = ModelNameField()
    uploaderId = serializers.UUIDField(source="owner.public_id", read_only=True)
    uploaderNickname = serializers.CharField(source="owner.nickname", read_only=True)
    createdAt = serializers.DateTimeField(source="created_at", read_only=True)
    progress = progress_field()
    queuePosition = queue_position_field()
    failureReason = failure_reason_field()


class ItemListEntrySerializer(serializers.Serializer):
    requestId = serializers.UUIDField(source="pk", read_only=True)
    status = AtlasStatusField()
    model = ModelNameField()
    itemName = serializers.CharField(source="name", read_only=True)
    createdAt = serializers.DateTimeField(source="created_at", read_only=True)


class ItemPageSerializer(serializers.Serializer):
    """§4.3: one page of the user's items."""

    items = ItemListEntrySerializer(many=True)
    hasNextItem = serializers.BooleanField(source="has_next")
    nextCursor = serializers.CharField(source="next_cursor", allow_null=True)


class RequestIdSerializer(serializers.Serializer):
    requestId = serializers.UUIDField()
