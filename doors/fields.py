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


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer. DRF's own also takes "10", 10.0 and true-ish text, so a client's wrong type goes unseen."""

    default_error_messages = {"int_type": "Input should be a valid integer: a JSON number without quotes."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("int_type")
        return super().to_internal_value(data)


class StrictFloatField(serializers.FloatField):
    """A JSON number, integer or not (DRF's own also takes "1.5")."""

    default_error_messages = {"float_type": "Input should be a valid number: a JSON number without quotes."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (int, float)):
            self.fail("float_type")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """JSON true or false (DRF's own also takes "yes", "on", 1 and "0")."""

    default_error_messages = {"bool_type": "Input should be a valid boolean: true or false, without quotes."}

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("bool_type")
        return data
