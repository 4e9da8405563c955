from datetime import UTC, datetime

from rest_framework import serializers

from accounts.models import User
from core.names import validate_name

# Unix seconds of 1900-01-01 00:00 UTC: no one signing up was born earlier.
EARLIEST_BIRTH = -2208988800


class UnixDateField(serializers.IntegerField):
    """A date of birth as Unix seconds (the seed's `1731754271`), kept as the UTC calendar date."""

    default_error_messages = {
        "range": "Send the date of birth as Unix seconds, e.g. 1731754271.",
        "future": "The date of birth cannot be in the future.",
    }

    def to_internal_value(self, data):
        seconds = super().to_internal_value(data)
        if seconds < EARLIEST_BIRTH:
            self.fail("range")
        try:
            born = User.date_from_timestamp(seconds)
        except (OverflowError, OSError, ValueError):
            self.fail("range")
        if born > datetime.now(UTC).date():
            self.fail("future")
        return born


class FreeFormField(serializers.JSONField):
    """Free text or a list/object of key-value pairs, stored exactly as sent."""

    default_error_messages = {"type": "Send text, a list or an object."}

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not isinstance(value, (str, list, dict)):
            self.fail("type")
        return value


class AtLeastOneFieldSerializer(serializers.Serializer):
    """Partial updates: every field is optional, but an update must name at least one."""

    def validate(self, attrs):
        if not attrs:
            names = ", ".join(self.fields)
            raise serializers.ValidationError(f"Send at least one of: {names}.")
        return attrs


# --- requests ---------------------------------------------------------------------------------

class StudioRegisterSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    full_name = serializers.CharField(max_length=150, validators=[validate_name])
    date_of_birth = UnixDateField(help_text="Unix seconds, e.g. 1731754271.")
    ethnicity = serializers.CharField(max_length=64, allow_blank=True)
    gender = serializers.CharField(max_length=32, allow_blank=True)
    password = serializers.CharField(
        max_length=128, required=False, trim_whitespace=False, write_only=True,
        help_text="Optional. Without one, the account logs in with codes sent by e-mail.",
    )


class StudioLoginSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(
        max_length=128, required=False, trim_whitespace=False,
        help_text="Logs in at once when the account has a password and a confirmed e-mail address.",
    )
    code = serializers.CharField(
        max_length=16, required=False,
        help_text="The one-time code e-mailed after a login request with the e-mail address alone.",
    )

    def validate(self, attrs):
        if "password" in attrs and "code" in attrs:
            raise serializers.ValidationError("Send either a password or a code, not both.")
        return attrs


class StudioUpdateUserInfoSerializer(AtLeastOneFieldSerializer):
    full_name = serializers.CharField(max_length=150, required=False, validators=[validate_name])
    date_of_birth = UnixDateField(required=False, allow_null=True, help_text="Unix seconds, e.g. 1731754271.")
    ethnicity = serializers.CharField(max_length=64, required=False, allow_blank=True)
    gender = serializers.CharField(max_length=32, required=False, allow_blank=True)


class StudioUserDetailsSerializer(serializers.Serializer):
    face_shape = serializers.CharField(max_length=64, allow_blank=True)
    skin_tone = serializers.IntegerField(min_value=0, max_value=2**31 - 1)
    body_dimensions = FreeFormField(help_text="Text, or a list of {key, value} pairs; kept as sent.")
    real_world_measurements = FreeFormField(help_text="Text, or a list/object of measurements; kept as sent.")
    hair_style = serializers.CharField(max_length=64, allow_blank=True)
    hair_color = serializers.CharField(max_length=32, allow_blank=True)


class StudioUpdateUserDetailsSerializer(AtLeastOneFieldSerializer, StudioUserDetailsSerializer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False


class StudioAvatarUploadSerializer(serializers.Serializer):
    file = serializers.ImageField(help_text="A JPEG or PNG photo; any field name is accepted.")


# --- responses --------------------------------------------------------------------------------

class StudioMessageSerializer(serializers.Serializer):
    message = serializers.CharField()


class StudioTokenSerializer(serializers.Serializer):
    token = serializers.CharField()


class StudioUserInfoSerializer(serializers.Serializer):
    email = serializers.EmailField()
    full_name = serializers.CharField()
    date_of_birth = serializers.IntegerField(
        source="date_of_birth_timestamp", allow_null=True, help_text="Unix seconds (midnight UTC), or null."
    )
    ethnicity = serializers.CharField()
    gender = serializers.CharField()
