"""Seed 001's account request and response shapes.

The seed types every field as a string, so numbers, lists and objects are refused rather than coerced.
"""

from rest_framework import serializers

from doors.fields import StringField


def password_field(**kwargs):
    return StringField(max_length=128, trim_whitespace=False, **kwargs)


class ScenesCredentialsSerializer(serializers.Serializer):
    username = StringField(max_length=150)
    password = password_field()


class ScenesUsernameSerializer(serializers.Serializer):
    password = password_field(help_text="The current password.")
    new_username = StringField(max_length=150)


class ScenesPasswordSerializer(serializers.Serializer):
    old_password = password_field()
    new_password = password_field()


class ScenesDeleteSerializer(serializers.Serializer):
    password = password_field(help_text="The current password, to confirm the deletion.")


class ScenesSuccessSerializer(serializers.Serializer):
    success = serializers.BooleanField()


class ScenesJwtSerializer(serializers.Serializer):
    jwtToken = serializers.CharField(help_text="Send it as Authorization: Bearer <jwtToken>.")


class ScenesMessageSerializer(serializers.Serializer):
    message = serializers.CharField()


class ScenesErrorSerializer(serializers.Serializer):
    status = serializers.IntegerField(help_text="The HTTP status code.")
    error = serializers.IntegerField(help_text="1 on every error.")
    message = serializers.CharField()
