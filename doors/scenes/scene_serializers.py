"""Seed 001's scene request and response shapes.

The upload is multipart/form-data, so every value arrives as text: lists are comma-separated
("splat_cloud,video", "7000,30000") and numbers are written in digits.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from captures.scenes import MAX_TOTAL_ITERATIONS, NAME_MAX_LENGTH, training_modes
from core.names import validate_name

# The output types and training modes seed 001 names. Which outputs a mode makes, and whether this server can
# train it, are its pipeline's facts (captures.scenes.training_modes).
OUTPUT_TYPES = ("splat_cloud", "point_cloud", "video", "model")
TRAINING_MODES = ("gaussian", "tensorf")


@extend_schema_field(OpenApiTypes.STR)
class CommaSeparatedField(serializers.Field):
    """A comma-separated list ("a, b,c"); blanks between commas are ignored, repeats kept once."""

    default_error_messages = {
        "invalid": "Send a comma-separated list, for example {example}.",
        "empty": "List one or more values, for example {example}.",
    }

    def __init__(self, *, example, **kwargs):
        self.example = example
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str):
            pieces = data.split(",")
        elif isinstance(data, list) and all(isinstance(piece, (str, int)) for piece in data):
            pieces = data
        else:
            self.fail("invalid", example=self.example)
        values = [self.parse(str(piece).strip()) for piece in pieces if str(piece).strip()]
        if not values:
            self.fail("empty", example=self.example)
        return list(dict.fromkeys(values))

    def to_representation(self, value):
        return ",".join(str(piece) for piece in value)

    def parse(self, piece):
        return piece


class OutputTypesField(CommaSeparatedField):
    def __init__(self, **kwargs):
        super().__init__(example="splat_cloud,point_cloud", **kwargs)

    def parse(self, piece):
        if piece not in OUTPUT_TYPES:
            raise serializers.ValidationError(
                f"'{piece}' is not an output type; choose from {', '.join(OUTPUT_TYPES)}.")
        return piece


class IterationsField(CommaSeparatedField):
    def __init__(self, **kwargs):
        super().__init__(example="7000,30000", **kwargs)

    def parse(self, piece):
        if not piece.isascii() or not piece.isdigit() or int(piece) < 1:
            raise serializers.ValidationError(f"'{piece}' is not an iteration; iterations are whole numbers of 1 "
                                              "or more, for example 7000,30000.")
        return int(piece)


class SceneNewSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The video (mp4 or mov).")
    training_mode = serializers.ChoiceField(choices=[], help_text="A training mode installed on this server.")
    output_types = OutputTypesField(help_text=f"Comma-separated, from {', '.join(OUTPUT_TYPES)}.")
    save_iterations = IterationsField(help_text="Comma-separated iterations to save outputs at, each at most "
                                                "total_iterations.")
    total_iterations = serializers.IntegerField(min_value=1, max_value=MAX_TOTAL_ITERATIONS)
    scene_name = serializers.CharField(required=False, allow_blank=True, max_length=NAME_MAX_LENGTH,
                                       validators=[validate_name], help_text="Defaults to the file's name.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The modes are the registered pipelines' aliases, read when a request arrives.
        self.fields["training_mode"].choices = list(dict.fromkeys([*TRAINING_MODES, *training_modes()]))

    def validate(self, data):
        outside = [n for n in data["save_iterations"] if n > data["total_iterations"]]
        if outside:
            raise serializers.ValidationError({"save_iterations": (
                f"{', '.join(map(str, outside))} is more than total_iterations ({data['total_iterations']}).")})
        return data


class SceneOutputQuerySerializer(serializers.Serializer):
    iteration = serializers.IntegerField(required=False, min_value=1, max_value=MAX_TOTAL_ITERATIONS,
                                         help_text="A saved iteration; the latest saved one when left out.")
    chunk = serializers.IntegerField(required=False, min_value=0,
                                     help_text="A 1 MiB chunk, counted from 0; the whole file when left out.")


# --- responses --------------------------------------------------------------------------------

class SceneCreatedSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="The scene id.")
    message = serializers.CharField()


class SceneResourceSerializer(serializers.Serializer):
    exists = serializers.BooleanField()
    size = serializers.IntegerField(help_text="Bytes.")
    chunks = serializers.IntegerField(help_text="1 MiB chunks.")
    last_chunk_size = serializers.IntegerField(help_text="Bytes in the last chunk.")


class SceneMetadataSerializer(serializers.Serializer):
    uuid = serializers.CharField(help_text="The scene id.")
    status = serializers.IntegerField()
    error = serializers.IntegerField()
    message = serializers.CharField()
    resources = serializers.DictField(
        child=serializers.DictField(child=SceneResourceSerializer()),
        help_text="{output_type: {iteration: resource}} for every requested output type and saved iteration.")


class SceneProgressSerializer(serializers.Serializer):
    uuid = serializers.CharField(help_text="The scene id.")
    status = serializers.IntegerField()
    error = serializers.IntegerField()
    message = serializers.CharField()
    processing = serializers.BooleanField(help_text="True while the preview or the training is queued or running.")
    overall_position = serializers.IntegerField(
        help_text="While queued: the place in the queue (0 = next); then the percentage done of the running item's "
                  "expected time (0-100; 100 once done).")
    overall_size = serializers.IntegerField(help_text="While queued: the items waiting; then 100.")
    stage = serializers.CharField(help_text="queued, a pipeline stage, done, failed or cancelled.")
    current_position = serializers.IntegerField(
        help_text="Steps done in the current stage (in training, the iteration).")
    current_size = serializers.IntegerField(help_text="Steps in the current stage (in training, the iterations).")
    failure_reason = serializers.CharField(required=False, help_text="Only when failed or cancelled.")


class SceneNameSerializer(serializers.Serializer):
    name = serializers.CharField()


class SceneHistorySerializer(serializers.Serializer):
    resources = serializers.ListField(child=serializers.CharField(), help_text="Scene ids, newest first.")
