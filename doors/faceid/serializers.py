"""Seed 002's API key and API token request and response shapes."""

from rest_framework import serializers

from doors.fields import StringField, UUIDStringField


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
