"""Seed 001's accounts: username sign-up and login with a single JWT, username and password changes, deletion."""

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from accounts import services
from accounts.authentication import current_session
from accounts.models import Session
from doors.base import ScenesView
from doors.throttles import SIGN_IN, SIGN_IN_THROTTLES

from . import serializers as s

TAGS = ["scenes: accounts"]


def errors(*codes):
    return {code: s.ScenesErrorSerializer for code in codes}


class PublicScenesView(ScenesView):
    authentication_classes = []
    permission_classes = [AllowAny]


@extend_schema(tags=TAGS, summary="Register", request=s.ScenesCredentialsSerializer,
               responses={201: s.ScenesSuccessSerializer, **errors(400, 409, 429)})
class RegisterView(PublicScenesView):
    """Creates an account that signs in with its username and password."""

    throttle_classes = SIGN_IN_THROTTLES
    throttle_name = "sign-up"

    def post(self, request):
        services.register_with_username(**self.validated(s.ScenesCredentialsSerializer))
        return Response({"success": True}, status=201)


@extend_schema(tags=TAGS, summary="Log in", request=s.ScenesCredentialsSerializer,
               responses={200: s.ScenesJwtSerializer, **errors(400, 401, 409, 429)})
class LoginView(PublicScenesView):
    """Signs in with username and password; the jwtToken goes in Authorization: Bearer <jwtToken>."""

    # Shares its counters with the other doors' sign-ins: changing door buys no extra attempts.
    throttle_classes = SIGN_IN_THROTTLES
    throttle_name = SIGN_IN

    def post(self, request):
        data = self.validated(s.ScenesCredentialsSerializer)
        user = services.authenticate_with_password(
            username=data["username"], password=data["password"], require_confirmed=False
        )
        session = services.start_session(request, user, kind=Session.Kind.PASSWORD, door=self.door)
        return Response({"jwtToken": services.door_token(session)})


@extend_schema(tags=TAGS, summary="Change the username", request=s.ScenesUsernameSerializer,
               responses={200: s.ScenesMessageSerializer, **errors(400, 401, 409)})
class UpdateUsernameView(ScenesView):
    """Changes the username; the current password confirms it."""

    def patch(self, request):
        services.change_username(request.user, **self.validated(s.ScenesUsernameSerializer))
        return Response({"message": "Username updated"})


@extend_schema(tags=TAGS, summary="Change the password", request=s.ScenesPasswordSerializer,
               responses={200: s.ScenesMessageSerializer, **errors(400, 401)})
class UpdatePasswordView(ScenesView):
    """Changes the password and signs out every other session; this token keeps working."""

    def patch(self, request):
        data = self.validated(s.ScenesPasswordSerializer)
        # Every other signed-in device is signed out; this one keeps its token.
        services.change_password(request.user, data["new_password"], old_password=data["old_password"],
                                 keep_session=current_session(request))
        return Response({"message": "Password updated"})


@extend_schema(tags=TAGS, summary="Delete the account", request=s.ScenesDeleteSerializer,
               responses={200: s.ScenesMessageSerializer, **errors(400, 401)})
class DeleteAccountView(ScenesView):
    """Deletes the account and everything it owns. The JSON body `{"password": "string"}` confirms it."""

    def delete(self, request):
        password = self.validated(s.ScenesDeleteSerializer)["password"]
        services.delete_account(request.user, password=password)
        return Response({"message": "User deleted"})
