"""Seed 002 /api/v1/auth: an API key and secret issued for an account, exchanged for an expiring X-API-Token."""

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from accounts import services
from accounts.authentication import current_session
from accounts.tokens import access_token
from core.errors import Unauthenticated
from doors.base import FaceIdView
from doors.throttles import API_KEY_THROTTLES, SIGN_IN, SIGN_IN_THROTTLES

from . import serializers as s

TAGS = ["faceid: auth"]
# How keys made through this door are named in the owner's list of keys (the dashboard's API keys page).
KEY_NAME = "Face ID API"


def errors(*codes):
    return {code: s.FaceIdErrorSerializer for code in codes}


def token_body(session, token):
    expire = timezone.localtime(session.expires_at).replace(microsecond=0)
    return {"code": 200, "expire": expire.isoformat(), "token": str(token)}


def authenticate(login, password):
    """The seed's `username` is the account's username or, for e-mail accounts, its address."""
    if "@" in login:
        try:
            return services.authenticate_with_password(email=login, password=password)
        except Unauthenticated:
            pass  # usernames may contain "@" as well
    return services.authenticate_with_password(username=login, password=password, require_confirmed=False)


@extend_schema(tags=TAGS, summary="Issue an API key", request=s.FaceIdKeyRequestSerializer,
               responses={201: s.FaceIdKeySerializer, **errors(400, 401, 403, 409, 429)})
class ApiKeyView(FaceIdView):
    """Issues a new API key and secret. `username` is the account's username or e-mail address.

    The secret is shown only in this answer: only its hash is kept.
    """

    authentication_classes = []
    permission_classes = [AllowAny]
    # Shares its counters with the other doors' sign-ins: changing door buys no extra attempts.
    throttle_classes = SIGN_IN_THROTTLES
    throttle_name = SIGN_IN

    def post(self, request):
        data = self.validated(s.FaceIdKeyRequestSerializer)
        user = authenticate(data["username"], data["password"])
        api_key, secret = services.issue_api_key(user, name=KEY_NAME)
        return Response({"key": str(api_key.key), "secret": secret}, status=201)


class ApiTokenView(FaceIdView):
    """POST exchanges a key and secret for a token; PATCH renews and DELETE ends the token it is sent with."""

    def is_exchange(self):
        # The schema generator asks for authenticators before it has given the view a request.
        return getattr(self.request, "method", None) == "POST"

    def get_authenticators(self):
        # A stale token sent along with the key and secret must not refuse the exchange.
        return [] if self.is_exchange() else super().get_authenticators()

    def get_permissions(self):
        return [AllowAny()] if self.is_exchange() else [IsAuthenticated()]

    # The exchange checks a secret: counted per key (with OAuth2's client_id) and per client, like every sign-in.
    throttle_name = SIGN_IN

    def get_throttles(self):
        return [throttle() for throttle in API_KEY_THROTTLES] if self.is_exchange() else []

    def token_session(self, request):
        session = current_session(request)
        if session is None:
            raise Unauthenticated("Send your API token in the X-API-Token header.")
        return session

    @extend_schema(tags=TAGS, summary="Issue an API token", request=s.FaceIdTokenRequestSerializer,
                   description=(
                       "Exchanges an API key and secret for an API token, sent after as X-API-Token."),
                   responses={201: s.FaceIdTokenSerializer, **errors(400, 401)})
    def post(self, request):
        data = self.validated(s.FaceIdTokenRequestSerializer)
        api_key = services.authenticate_api_key(key=data["key"], secret=data["secret"])
        session = services.start_api_session(request, api_key, door=services.FACEID_DOOR,
                                             lifetime=settings.API_TOKEN_LIFETIME)
        return Response(token_body(session, access_token(session, settings.API_TOKEN_LIFETIME)), status=201)

    @extend_schema(tags=TAGS, summary="Renew the API token", request=None, description=(
                       "Renews the API token sent in X-API-Token, for another ATLAS_API_TOKEN_HOURS (24 by default), "
                       "never past 14 days from the exchange that made it. Only tokens from POST /api/v1/auth/token "
                       "are renewed."),
                   responses={200: s.FaceIdTokenSerializer, **errors(401)})
    def patch(self, request):
        session = self.token_session(request)
        token = services.renew_api_session(session)
        return Response(token_body(session, token))

    @extend_schema(tags=TAGS, summary="Delete the API token", request=None,
                   description="Ends the API token sent in X-API-Token.",
                   responses={200: s.FaceIdCodeSerializer, **errors(401)})
    def delete(self, request):
        services.sign_out(self.token_session(request))
        return Response({"code": 200})
