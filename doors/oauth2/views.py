"""OAuth2 client credentials (RFC 6749 §4.4), an addition to seed 004 for Teleport clients.

Teleport clients (e.g. 3DStreet's scripts/varjo/upload-capture.mjs) first POST their client id and secret to
`/oauth2/token` and then send the access token as `Authorization: Bearer` to /api/v1/captures. The client id
and secret are an account's API key pair (accounts.ApiKey, the same pair as Face ID's key and secret); the
access token carries a server-side session like every other Atlas token, so it works at every door and
stops working when the key is revoked. Errors come in RFC 6749 §5.2's shape: `{"error", "error_description"}`.
"""

from django.conf import settings
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.parsers import FormParser, JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from accounts import services
from accounts.tokens import access_token
from core.errors import Unauthenticated
from doors.base import OAuth2View
from doors.throttles import API_KEY_THROTTLES, SIGN_IN

from . import serializers as s
from .credentials import basic_credentials

GRANT_TYPE = "client_credentials"
# OpenID Connect's scopes, which Teleport clients ask for ("openid profile email"); the token they get acts for
# the whole account either way.
SCOPES = ("openid", "profile", "email")
PARAMETERS = ("grant_type", "client_id", "client_secret", "scope")
ERROR = {code: s.TokenErrorSerializer for code in (400, 401, 415, 429)}


class OAuth2Error(Exception):
    def __init__(self, error, description, status=400):
        super().__init__(description)
        self.error, self.description, self.status = error, description, status


def invalid_client(description):
    return OAuth2Error("invalid_client", description, status=401)


def request_parameters(data):
    """The request's parameters as strings: sent without a value is the same as not sent (RFC 6749 §3.2)."""
    if not isinstance(data, dict):
        raise OAuth2Error("invalid_request", "Send the parameters form-encoded (or as a JSON object).")
    parameters = {}
    for name in PARAMETERS:
        values = data.getlist(name) if hasattr(data, "getlist") else [data[name]] if name in data else []
        if len(values) > 1:
            raise OAuth2Error("invalid_request", f"{name} was sent more than once.")
        if values and values[0] is not None and not isinstance(values[0], str):
            raise OAuth2Error("invalid_request", f"{name} must be a string.")
        if values and values[0]:
            parameters[name] = values[0]
    return parameters


def granted_scope(requested):
    """The scope asked for, each name once and in the order asked, or an invalid_scope refusal."""
    names = list(dict.fromkeys((requested or "").split()))
    unknown = [name for name in names if name not in SCOPES]
    if unknown:
        raise OAuth2Error("invalid_scope", f"Unknown scope {' '.join(unknown)}: ask for any of {' '.join(SCOPES)}, "
                                           "or for none.")
    return " ".join(names)


def client_credentials(request, parameters):
    """The client id and secret, from HTTP Basic or from the body, never from both (RFC 6749 §2.3)."""
    try:
        basic = basic_credentials(request)
    except ValueError as exc:
        raise invalid_client(str(exc)) from None
    if basic is not None:
        if "client_secret" in parameters:
            raise OAuth2Error("invalid_request", "Authenticate the client one way only: HTTP Basic, or "
                                                 "client_id and client_secret in the body, not both.")
        if parameters.get("client_id", basic[0]) != basic[0]:
            raise OAuth2Error("invalid_request", "The client_id in the body is not the one in HTTP Basic.")
        return basic
    if "client_id" not in parameters or "client_secret" not in parameters:
        raise invalid_client("Authenticate the client: send client_id and client_secret (an API key and its "
                             "secret), in the body or as HTTP Basic.")
    return parameters["client_id"], parameters["client_secret"]


@extend_schema(
    tags=["captures: oauth2"], summary="Access token for an API key pair (client credentials)",
    request={"application/x-www-form-urlencoded": s.TokenRequestSerializer,
             "application/json": s.TokenRequestSerializer},
    responses={200: s.TokenSerializer, **ERROR},
    examples=[OpenApiExample("Teleport client", request_only=True, value={
        "grant_type": "client_credentials", "client_id": "00000000-0000-0000-0000-000000000000",
        "client_secret": "6E686506B4B2516CDFBC6E686506B4B2", "scope": "openid profile email"})],
)
class TokenView(OAuth2View):
    """Exchanges an API key pair (client_id = key, client_secret = secret) for an access token that lasts an
    hour and works as `Authorization: Bearer` at every door. An addition to seed 004 (RFC 6749 §4.4).

    Client authentication: client_id and client_secret in the body, or HTTP Basic (RFC 6749 §2.3.1).
    Throttled per client id and per client address, like every other sign-in.
    """

    authentication_classes = []
    permission_classes = [AllowAny]
    parser_classes = [FormParser, JSONParser]
    renderer_classes = [JSONRenderer]
    throttle_classes = API_KEY_THROTTLES
    throttle_name = SIGN_IN

    def post(self, request):
        parameters = request_parameters(request.data)
        if "grant_type" not in parameters:
            raise OAuth2Error("invalid_request", f"Send grant_type={GRANT_TYPE}.")
        if parameters["grant_type"] != GRANT_TYPE:
            raise OAuth2Error("unsupported_grant_type", f"Only grant_type={GRANT_TYPE} is supported here.")
        scope = granted_scope(parameters.get("scope"))
        client_id, client_secret = client_credentials(request, parameters)
        try:
            api_key = services.authenticate_api_key(key=client_id, secret=client_secret)
        except Unauthenticated:
            raise invalid_client("The client id or secret is incorrect, or the key was revoked.") from None
        lifetime = settings.ACCESS_TOKEN_LIFETIME
        session = services.start_api_session(request, api_key, door=self.door, lifetime=lifetime)
        body = {"access_token": str(access_token(session, lifetime)), "token_type": "Bearer",
                "expires_in": int(lifetime.total_seconds())}
        if scope:
            body["scope"] = scope
        return Response(body)

    def status_and_message(self, exc):
        if isinstance(exc, OAuth2Error):
            return exc.status, exc.description
        return super().status_and_message(exc)

    def error_code(self, exc):
        return exc.error if isinstance(exc, OAuth2Error) else super().error_code(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        # RFC 6749 §5.1: tokens and the answers about them are never cached.
        response["Cache-Control"] = "no-store"
        response["Pragma"] = "no-cache"
        if response.status_code == 401:
            response["WWW-Authenticate"] = 'Basic realm="atlas"'
        return response
