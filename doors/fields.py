"""Serializer fields that take JSON values as the seeds type them, without DRF's coercion."""

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
