"""Seed 002's API key and API token request and response shapes."""

from rest_framework import serializers


class StringField(serializers.CharField):
    """A CharField that takes only JSON strings (DRF's own would turn 123 into "123")."""

    default_error_messages = {"invalid": "Must be a string."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class UUIDStringField(serializers.UUIDField):
    """A UUID written as a string (DRF's own would also read the number 12 as a UUID)."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid", value=data)
        return super().to_internal_value(data)


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
