"""Seed 002's request and response shapes: API keys and tokens, projects, users, faces, check-in and search."""

import base64
import binascii

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.names import validate_name
from doors.fields import StrictBooleanField, StrictFloatField, StrictIntegerField, StringField, UUIDStringField


class FaceIdKeyRequestSerializer(serializers.Serializer):
    username = StringField(max_length=254, help_text="The account's username or e-mail address.")
    password = StringField(max_length=128, trim_whitespace=False)


class FaceIdKeySerializer(serializers.Serializer):
    key = serializers.UUIDField()
    secret = serializers.CharField(help_text="Shown once: only its hash is kept.")


class FaceIdTokenRequestSerializer(serializers.Serializer):
    key = UUIDStringField()
    secret = StringField(max_length=128, trim_whitespace=False)


class FaceIdTokenSerializer(serializers.Serializer):
    code = serializers.IntegerField(help_text="200.")
    expire = serializers.DateTimeField(help_text="When the token stops working (ISO 8601 with offset).")
    token = serializers.CharField(help_text="Send it as X-API-Token.")


class FaceIdCodeSerializer(serializers.Serializer):
    code = serializers.IntegerField(help_text="200.")


class FaceIdErrorSerializer(serializers.Serializer):
    code = serializers.IntegerField(help_text="The HTTP status code.")
    message = serializers.CharField()


# --- projects, users, faces, check-in, search ------------------------------------------------------

def seed_time(moment):
    """A timestamp as seed 002 writes it: nanosecond digits and the offset of the server's zone (TIME_ZONE),
    e.g. 2020-01-01T12:00:00.000000000+09:00. Python keeps microseconds: the last three digits are zeros."""
    local = timezone.localtime(moment)
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%dT%H:%M:%S}.{local.microsecond:06d}000{offset[:3]}:{offset[3:]}"


@extend_schema_field({"type": "string", "example": "2020-01-01T12:00:00.000000000+09:00"})
class SeedTimeField(serializers.Field):
    def to_representation(self, value):
        return seed_time(value)


@extend_schema_field(OpenApiTypes.BYTE)
class Base64ImageField(serializers.Field):
    """A photo as base64 text (standard or URL-safe alphabet; a `data:image/...;base64,` prefix is allowed)."""

    default_error_messages = {
        "type": "Must be the photo's bytes as a base64 string.",
        "base64": "Is not valid base64: send the photo's file bytes encoded with base64.",
        "empty": "Is empty: send a JPEG, PNG or WEBP photo encoded with base64.",
    }

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("type")
        if data.startswith("data:"):
            data = data.partition(",")[2]
        text = "".join(data.split())
        if "-" in text or "_" in text:
            text = text.replace("-", "+").replace("_", "/")
        text += "=" * (-len(text) % 4)
        try:
            raw = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            self.fail("base64")
        if not raw:
            self.fail("empty")
        return raw


class ProjectSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    threshold = serializers.FloatField(source="match_threshold",
                                       help_text="Similarity (percent) a face needs to be taken as an enrolled person.")
    save_images = serializers.BooleanField(source="save_recognition_images",
                                           help_text="Whether check-in and search photos are kept in the log.")
    users = serializers.IntegerField(source="people", help_text="People enrolled.")
    faces = serializers.IntegerField(help_text="Faces enrolled, all people together.")
    created_at = SeedTimeField()
    updated_at = SeedTimeField()


class ProjectCreateSerializer(serializers.Serializer):
    name = StringField(max_length=150, validators=[validate_name])
    threshold = StrictFloatField(required=False, min_value=0, max_value=100,
                                       help_text="Percent; the default is chosen from measurements (README).")
    save_images = StrictBooleanField(required=False, default=False,
                                     help_text="Keep the photo of each check-in and search in the log.")


class CreatedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    created_at = serializers.CharField(help_text="2020-01-01T12:00:00.000000000+09:00")


class UpdatedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    updated_at = serializers.CharField()


class DeletedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    deleted_at = serializers.CharField()


class FacesDeletedSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    deleted_at = serializers.CharField()


class SubjectSerializer(serializers.Serializer):
    """A project user as created; PATCH takes the same fields, each optional."""

    group_id = StrictIntegerField(required=False, allow_null=True, min_value=-(2**63), max_value=2**63 - 1)
    registrant = StringField(required=False, allow_blank=True, max_length=150)
    status = StringField(required=False, allow_blank=True, max_length=50,
                         help_text="The person's state in your process, e.g. APPROVED or UNAPPROVED.")
    properties = serializers.DictField(required=False, help_text="Any JSON object: a name, an employee number...")


class FaceCreateSerializer(serializers.Serializer):
    save_image = StrictBooleanField(
        required=False, default=False,
        help_text="Keep the photo, so GET returns it (otherwise only its descriptor is kept).")
    image = Base64ImageField(help_text="A JPEG, PNG or WEBP photo, base64.")


class FaceChangeSerializer(serializers.Serializer):
    save_image = StrictBooleanField(required=False)
    image = Base64ImageField(required=False)


class FaceListItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    has_image = serializers.SerializerMethodField()
    quality = serializers.FloatField(help_text="0 to 1, from the face's size, sharpness and detector score.")
    box = serializers.DictField(help_text="Where the face was in the photo: left, top, right, bottom (pixels).")
    created_at = SeedTimeField()
    updated_at = SeedTimeField()

    def get_has_image(self, face) -> bool:
        return bool(face.image)


class FaceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    image = serializers.CharField(allow_null=True,
                                  help_text="The stored photo, base64; null unless save_image was true.")
    created_at = serializers.CharField()


class RecognitionRequestSerializer(serializers.Serializer):
    condition = serializers.JSONField(required=False, help_text=(
        "Optional: group_id (integer or list), status (string or list), single_face (boolean), "
        "min_similarity (0-100). Other keys are refused."))
    image = Base64ImageField()


class CheckInRequestSerializer(RecognitionRequestSerializer):
    option = serializers.JSONField(required=False, help_text=(
        "Optional: 1-10, how many best candidates to list in `candidates`."))


class CandidateSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    similarity = serializers.FloatField()


class CheckInSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    status = serializers.CharField()
    similarity = serializers.FloatField(help_text="Percent.")
    checkin_at = serializers.CharField()
    candidates = CandidateSerializer(many=True, required=False, help_text="Only when `option` asked for them.")


class SearchSerializer(serializers.Serializer):
    user_id = serializers.IntegerField(help_text="The closest person, matched or not.")
    matched = serializers.BooleanField(help_text="Whether the similarity reaches the threshold.")
    similarity = serializers.FloatField(help_text="Percent.")
    searched_at = serializers.CharField()
