"""The token endpoint's request and answers, as RFC 6749 §4.4 and §5 name them (for the OpenAPI schema)."""

from rest_framework import serializers


class TokenRequestSerializer(serializers.Serializer):
    grant_type = serializers.ChoiceField(choices=["client_credentials"])
    client_id = serializers.CharField(required=False, help_text=(
        "The key of an API key pair (made on the dashboard's API keys page or by POST /api/v1/auth/key). "
        "Or send client_id:client_secret as HTTP Basic instead."))
    client_secret = serializers.CharField(required=False, help_text="The key pair's secret.")
    scope = serializers.CharField(required=False, help_text=(
        "Space-separated; any of openid, profile, email. Accepted for Teleport clients: the token acts for "
        "the whole account, like any other Atlas token."))


class TokenSerializer(serializers.Serializer):
    access_token = serializers.CharField(help_text="Send it as Authorization: Bearer <access_token> at any door.")
    token_type = serializers.ChoiceField(choices=["Bearer"])
    expires_in = serializers.IntegerField(help_text="Seconds until the token stops working (3600).")
    scope = serializers.CharField(required=False, help_text="The scope granted, when one was asked for.")


class TokenErrorSerializer(serializers.Serializer):
    error = serializers.ChoiceField(choices=[
        "invalid_request", "invalid_client", "unsupported_grant_type", "invalid_scope", "temporarily_unavailable"])
    error_description = serializers.CharField()
