"""Seed 004's request and response shapes (a FastAPI service), and the capture → CaptureOutput mapping.

Requests are validated here; errors come out as FastAPI's 422 entries (doors.base.CapturesView).
The output serializers describe the bodies for the OpenAPI schema; the bodies themselves are built by
`capture_output` and `capture_metadata`, so their keys are exactly the seed's.
"""

import json
import logging
from collections import Counter
from datetime import UTC
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from captures import selectors, services
from captures.models import Capture
from captures.reconstruction import presets
from core.ids import parse_uuid
from core.names import validate_name
from doors.fields import StrictBooleanField, StrictFloatField, StrictIntegerField, StringField
from media.archive import MAX_PHOTOS

log = logging.getLogger(__name__)

FORMATS = [choice for choice, _ in Capture.Format.choices]
# The list's offset is given to the database, whose integers stop at 2**63 - 1; no account holds more captures.
MAX_OFFSET = 2**31 - 1
# Model profiles of /share/{sid}/metadata and the item file kind each one is served from: the full .ply, the
# SOGS zip (Self-Organizing Gaussians, six files), the dashboard viewer's .ksplat at each compression level,
# and the 32-byte .splat ("compressed", an Atlas name).
PROFILE_KINDS = {"ply": "ply", "sogs-sh0": "sog", "ksplat-v2-compress0": "ksplat-0",
                 "ksplat-v2-compress1": "ksplat-1", "ksplat-v2-compress2": "ksplat-2", "compressed": "splat"}


def same_eid(a, b):
    """Two spellings of one capture id (UUIDs compare whatever their case or braces)."""
    a_id, b_id = parse_uuid(a), parse_uuid(b)
    return a_id == b_id if a_id and b_id else str(a) == str(b)


# --- requests -----------------------------------------------------------------------------------

class ListQuerySerializer(serializers.Serializer):
    limit = serializers.IntegerField(default=25, min_value=1, max_value=100)
    offset = serializers.IntegerField(default=0, min_value=0, max_value=MAX_OFFSET)
    time_zone = serializers.BooleanField(
        default=False, help_text="true: times carry the server's UTC offset; false: UTC with a Z.")


class TimeZoneQuerySerializer(serializers.Serializer):
    time_zone = serializers.BooleanField(
        default=False, help_text="true: times carry the server's UTC offset; false: UTC with a Z.")


class FocusAreaSerializer(serializers.Serializer):
    buffer_meters = StrictFloatField(required=False, allow_null=True)
    crop_method = StringField(required=False, allow_null=True, max_length=64)
    max_lat = StrictFloatField(required=False, allow_null=True)
    max_lng = StrictFloatField(required=False, allow_null=True)
    min_lat = StrictFloatField(required=False, allow_null=True)
    min_lng = StrictFloatField(required=False, allow_null=True)
    polylines = serializers.ListField(child=StringField(), required=False, max_length=1000)


@extend_schema_serializer(component_name="TrainingParameters")
class TrainingParametersSerializer(serializers.Serializer):
    focus_area = FocusAreaSerializer(required=False, allow_null=True)
    quality = serializers.ChoiceField(
        choices=presets.NAMES, required=False,
        error_messages={"invalid_choice": f'"{{input}}" is not a quality preset. '
                                          f'Choose from {", ".join(presets.NAMES)}.'},
        help_text="Addition (not in the seed): the reconstruction's quality preset, each choosing training "
                  "iterations, image size, splat budget and frames for the server's device; standard when omitted.")


@extend_schema_serializer(component_name="NewCaptureInput")
class PhotoFileSerializer(serializers.Serializer):
    name = StringField(max_length=1000, help_text="The photo's file name (a path inside a folder is fine).")
    size = StrictIntegerField(min_value=1, help_text="Its size in bytes.")


class NewCaptureSerializer(serializers.Serializer):
    name = StringField(max_length=200, validators=[validate_name])
    bytesize = StrictIntegerField(min_value=1, help_text="The file's size in bytes.")
    created = StringField(required=False, max_length=64, help_text="Deprecated; kept as the client sent it.")
    num_frames = StrictIntegerField(required=False, allow_null=True, min_value=0, max_value=2**31 - 1)
    input_data_format = serializers.ChoiceField(
        choices=FORMATS, required=False,
        error_messages={"invalid_choice": f'"{{input}}" is not a supported input_data_format. '
                                          f'Supported formats: {", ".join(FORMATS)}.'},
        help_text="video: an mp4 file. bulk-images: a .zip of images, nested folders allowed. commonformat-ios "
                  "(the seed's default): a .zip of frames with the phone's camera poses in a transforms.json, "
                  "used in place of structure-from-motion when they agree with the frames; a video sent as "
                  "commonformat-ios is taken as a video. Omitted: once the parts are joined, their bytes say "
                  "which (a zip with a transforms.json is commonformat-ios, one without bulk-images, anything "
                  "else a video).")
    guided_mode = StrictBooleanField(required=False, allow_null=True)
    ios_app_version = StringField(required=False, allow_null=True, max_length=64)
    training_parameters = TrainingParametersSerializer(required=False, allow_null=True)
    photo_files = serializers.ListField(
        child=PhotoFileSerializer(), required=False, allow_empty=False, max_length=MAX_PHOTOS,
        help_text="Atlas addition: photos sent one after another as this one upload (their sizes add up to "
                  "bytesize), listed in that order; the server packs them into a zip, as bulk-images. JPEG or PNG "
                  "names only; at least 8.")


@extend_schema_serializer(component_name="EditCaptureInput")
class EditCaptureSerializer(serializers.Serializer):
    name = StringField(required=False, max_length=200, validators=[validate_name])
    is_public = StrictBooleanField(
        required=False, help_text="Atlas addition: true lets anyone with the share link see the capture.")

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError({"name": [serializers.ErrorDetail("Field required", code="required")]})
        return attrs


class EidBodySerializer(serializers.Serializer):
    """A body that repeats the capture's eid: it must be the one in the path."""

    eid = StringField(max_length=64, help_text="The capture's eid, as in the path.")

    def validate_eid(self, value):
        if not same_eid(value, self.context["eid"]):
            raise serializers.ValidationError("eid must be the eid in the path.")
        return value


@extend_schema_serializer(component_name="RecreateCaptureUploadUrls")
class UploadUrlRequestSerializer(EidBodySerializer):
    bytesize = StrictIntegerField(min_value=1, help_text="The file's size in bytes.")


class PartNumberSerializer(serializers.Serializer):
    part_no = serializers.IntegerField(min_value=1, help_text="The part number, from 1.")


@extend_schema_serializer(component_name="UploadedPart")
class UploadedPartSerializer(serializers.Serializer):
    number = StrictIntegerField(min_value=1)
    etag = StringField(max_length=80, help_text="The ETag header the part's upload answered.")


@extend_schema_serializer(component_name="CaptureUploadedInput")
class CaptureUploadedSerializer(EidBodySerializer):
    parts = UploadedPartSerializer(many=True, max_length=10_000, help_text="ETag of each part uploaded, each part once")

    def validate_parts(self, parts):
        counts = Counter(part["number"] for part in parts)
        repeated = sorted(number for number, count in counts.items() if count > 1)
        if repeated:
            listed = ", ".join(map(str, repeated))
            raise serializers.ValidationError(
                f"Parts {listed} are listed more than once: list each part once, with the ETag its upload answered.",
                code="duplicate_parts")
        return parts


class ProfilesField(serializers.ListField):
    """`profiles` repeated (?profiles=ply&profiles=sogs-sh0) or comma-separated."""

    child = serializers.ChoiceField(choices=list(PROFILE_KINDS))

    def get_value(self, dictionary):
        if hasattr(dictionary, "getlist"):
            values = dictionary.getlist(self.field_name)
            return [p.strip() for v in values for p in v.split(",") if p.strip()] if values else serializers.empty
        return super().get_value(dictionary)


class MetadataQuerySerializer(serializers.Serializer):
    profiles = ProfilesField(required=False, help_text=(
        "ply (the full .ply), sogs-sh0 (a .zip of the Self-Organizing Gaussians files: meta.json, means_l, "
        "means_u, scales, quats and sh0 .webp), ksplat-v2-compress0/1/2 (.ksplat of the dashboard's splat viewer "
        "at compression level 0, 1 or 2), compressed (the 32-byte .splat). One model each, in this order."))
    quality = StringField(required=False, allow_blank=True, max_length=32,
                          help_text="Accepted; Atlas keeps one quality per model.")
    lod = StringField(required=False, allow_blank=True, max_length=32,
                      help_text="Accepted; Atlas has no level-of-detail hierarchy (lod is false).")
    use_cdn = serializers.BooleanField(required=False, default=True,
                                       help_text="Accepted; files are served by Atlas itself.")


# --- responses (OpenAPI) ------------------------------------------------------------------------

@extend_schema_serializer(component_name="NewCaptureOutput")
class NewCaptureOutputSerializer(serializers.Serializer):
    eid = serializers.CharField(help_text="External ID")
    chunk_size = serializers.IntegerField()
    num_parts = serializers.IntegerField()


@extend_schema_serializer(component_name="UploadUrlOutput")
class UploadUrlOutputSerializer(serializers.Serializer):
    eid = serializers.CharField()
    upload_url = serializers.CharField(help_text="PUT the part's bytes here; no token needed. Answers an ETag.")
    chunk_size = serializers.IntegerField()


def nullable_string(**kwargs):
    return serializers.CharField(allow_null=True, **kwargs)


@extend_schema_serializer(component_name="CaptureOutput")
class CaptureOutputSerializer(serializers.Serializer):
    eid = serializers.CharField()
    sid = nullable_string()
    name = serializers.CharField()
    created = serializers.DateTimeField()
    uploaded = serializers.DateTimeField(allow_null=True)
    state = serializers.ChoiceField(choices=Capture.State.choices)
    error_reason = nullable_string(help_text="processing_failed when state is FAILED.")
    state_description = nullable_string(help_text="The failure's reason, or the stage while processing.")
    error_reason_slug = nullable_string()
    preview_urls = serializers.DictField(child=serializers.CharField(), help_text="thumbnail and gif URLs.")
    preview_url = nullable_string()
    viewer_url = nullable_string()
    share_url = nullable_string()
    share_link = nullable_string()
    gif_url = nullable_string()
    video_url = nullable_string()
    share_video_url = nullable_string()
    is_public = serializers.BooleanField()


class MatrixSerializer(serializers.Serializer):
    matrix = serializers.ListField(child=serializers.FloatField(), help_text="4x4 camera-to-world, row-major.")


@extend_schema_serializer(component_name="SegmentModel")
class SegmentModelSerializer(serializers.Serializer):
    url = serializers.CharField()
    size = serializers.IntegerField()
    id = nullable_string()
    aabb = serializers.JSONField(allow_null=True)
    resolution_range = serializers.JSONField(allow_null=True)
    parent = nullable_string()


@extend_schema_serializer(component_name="CaptureMetadata")
class CaptureMetadataSerializer(serializers.Serializer):
    eid = serializers.CharField()
    sid = nullable_string()
    name = serializers.CharField()
    segmented_capture_eid = nullable_string()
    profile_name = serializers.CharField()
    lod = serializers.BooleanField()
    hdr_mode = nullable_string()
    nominal_ev = serializers.IntegerField(allow_null=True)
    tmo_parameters = serializers.ListField(child=serializers.FloatField(), allow_null=True)
    model_urls = serializers.ListField(child=serializers.CharField())
    cameras = MatrixSerializer(many=True)
    models = SegmentModelSerializer(many=True)
    video_trajectory = serializers.JSONField(allow_null=True)
    reposition_data = serializers.JSONField(allow_null=True)


class CapturesValidationErrorSerializer(serializers.Serializer):
    loc = serializers.ListField(child=serializers.JSONField(), help_text='e.g. ["body", "parts", 0, "etag"]')
    msg = serializers.CharField()
    type = serializers.CharField()


@extend_schema_serializer(component_name="HTTPValidationError")
class HTTPValidationErrorSerializer(serializers.Serializer):
    detail = CapturesValidationErrorSerializer(many=True)


class CapturesErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


# --- capture → seed bodies ----------------------------------------------------------------------

def timestamp(value, time_zone=False):
    """The seed's date-times: UTC with a Z, or with the server's offset when time_zone is true."""
    if value is None:
        return None
    if time_zone:
        return timezone.localtime(value).isoformat(timespec="milliseconds")
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def file_url(request, capture, kind):
    """A URL that downloads the file by itself, as seed 004's clients fetch it (no Authorization header): the
    share address of a public capture, and for a private one the same address signed for a few hours."""
    path = reverse("captures-share-file", kwargs={"sid": capture.sid, "kind": kind})
    # The preview of the upload itself is served to anyone only when the owner shows it publicly: signed otherwise.
    hidden_preview = kind in selectors.SOURCE_PREVIEW_KINDS and not capture.show_preview_publicly
    if not capture.is_public or hidden_preview:
        path += "?" + urlencode({"signature": selectors.file_signature(capture, kind)})
    return request.build_absolute_uri(path)


def share_url(request, capture):
    """The capture's share page on the dashboard (its 3D viewer), while the capture is public."""
    return request.build_absolute_uri(f"/s/{capture.sid}") if capture.is_public else None


def capture_output(request, capture, time_zone=False):
    """The seed's CaptureOutput for one capture."""
    state = capture.state
    item = capture.status_item if state in (Capture.State.PROCESSING, Capture.State.FAILED) else None
    failed = state == Capture.State.FAILED
    description = None
    if failed:
        description = item.failure_reason or "Processing failed."
    elif state == Capture.State.PROCESSING:
        description = item.stage or None
    files = selectors.latest_files(capture)
    previews = {kind: file_url(request, capture, kind) for kind in ("thumbnail", "gif") if kind in files}
    video = file_url(request, capture, "video") if "video" in files else None
    return {
        "eid": str(capture.eid),
        "sid": capture.sid,
        "name": capture.name,
        "created": timestamp(capture.created_at, time_zone),
        "uploaded": timestamp(capture.uploaded_at, time_zone),
        "state": str(state),
        "error_reason": "processing_failed" if failed else None,
        "state_description": description,
        "error_reason_slug": "processing_failed" if failed else None,
        "preview_urls": previews,
        "preview_url": previews.get("thumbnail"),
        "viewer_url": share_url(request, capture),
        "share_url": share_url(request, capture),
        "share_link": share_url(request, capture),
        "gif_url": previews.get("gif"),
        "video_url": video,
        "share_video_url": video if video and capture.is_public else None,
        "is_public": capture.is_public,
    }


def cameras(item_file):
    """[{"matrix": [16 numbers]}] from the stored cameras: the reconstruction's records
    ({"name", "matrix": [16], "width", ...}, see reconstruction.pipeline.camera_records) or plain 4x4 or
    flat camera-to-world matrices."""
    if item_file is None:
        return []
    try:
        with item_file.file.open("rb") as handle:
            matrices = json.load(handle)
        out = []
        for matrix in matrices:
            if isinstance(matrix, dict):
                matrix = matrix["matrix"]
            rows = matrix if isinstance(matrix[0], list) else [matrix]
            flat = [float(value) for row in rows for value in row]
            if len(flat) != 16:
                raise ValueError(f"a camera matrix has {len(flat)} numbers, not 16")
            out.append({"matrix": flat})
        return out
    except (OSError, ValueError, TypeError, IndexError, KeyError) as exc:
        log.warning("Cameras file %s of capture could not be read: %s", item_file.file.name, exc)
        return []


def capture_metadata(request, capture, profiles):
    """The seed's CaptureMetadata: the capture's cameras and its models for the requested profiles."""
    files = selectors.latest_files(capture)
    models, kinds = [], []
    for profile in profiles or ["ply"]:
        item_file = files.get(PROFILE_KINDS[profile])
        if item_file is not None and item_file.kind not in kinds:
            kinds.append(item_file.kind)
            models.append({"url": file_url(request, capture, item_file.kind), "size": item_file.size, "id": None,
                           "aabb": None, "resolution_range": None, "parent": None})
    return {
        "eid": str(capture.eid),
        "sid": capture.sid,
        "name": capture.name,
        "segmented_capture_eid": None,
        "profile_name": profiles[0] if profiles else "ply",
        "lod": False,
        "hdr_mode": None,
        "nominal_ev": None,
        "tmo_parameters": None,
        "model_urls": [model["url"] for model in models],
        "cameras": cameras(files.get("cameras")),
        "models": models,
        "video_trajectory": None,
        "reposition_data": None,
    }


# --- runs (additions, not in the seed): cancel, run again, retry ----------------------------------------

@extend_schema_serializer(component_name="NewRunInput")
class NewRunSerializer(serializers.Serializer):
    quality = serializers.ChoiceField(
        choices=(*presets.NAMES, presets.CUSTOM), required=False,
        error_messages={"invalid_choice": f'"{{input}}" is not a quality preset. '
                                          f'Choose from {", ".join((*presets.NAMES, presets.CUSTOM))}.'},
        help_text="The run's quality preset; custom needs iterations. Omitted (with iterations omitted too): "
                  "the newest run's.")
    iterations = StrictIntegerField(
        required=False, min_value=services.MIN_ITERATIONS, max_value=services.MAX_ITERATIONS,
        help_text="Training iterations of a custom run (given alone, the run is custom).")
    method = StringField(required=False, max_length=64,
                         help_text="A reconstruction method registered on this server; omitted: the newest run's.")

    def validate(self, data):
        if data.get("quality") == presets.CUSTOM and "iterations" not in data:
            raise serializers.ValidationError({"iterations": "Custom needs a number of training iterations."})
        return data


@extend_schema_serializer(component_name="RunOutput")
class RunOutputSerializer(serializers.Serializer):
    id = serializers.CharField()
    method = serializers.CharField()
    quality = serializers.CharField(allow_null=True)
    iterations = serializers.IntegerField(allow_null=True)
    state = serializers.ChoiceField(choices=["queued", "processing", "done", "failed", "cancelled"])
    state_description = serializers.CharField(allow_null=True)
    created = serializers.DateTimeField()
    finished = serializers.DateTimeField(allow_null=True)


def run_output(run, time_zone=False):
    """One reconstruction run of a capture (an Atlas addition)."""
    quality = selectors.run_quality(run)
    return {
        "id": str(run.pk),
        "method": run.pipeline,
        "quality": quality.name if quality else run.parameters.get("preset"),
        "iterations": quality.iterations if quality else run.parameters.get("iterations"),
        "state": run.status,
        "state_description": run.failure_reason or (run.stage or None),
        "created": timestamp(run.created_at, time_zone),
        "finished": timestamp(run.finished_at, time_zone),
    }
