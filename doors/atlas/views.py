"""Seed 000 §2, §5, §6: atlas accounts, roles and version."""

from django.conf import settings
from django.shortcuts import render
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from accounts import google, services
from accounts.authentication import current_session
from accounts.models import Session
from accounts.tokens import access_token, session_from_refresh_token, token_pair
from core.errors import ServiceError, Unauthenticated
from doors.base import AtlasView
from doors.throttles import SIGN_IN, SIGN_IN_THROTTLES
from roles import services as role_services
from roles.models import Role

from . import serializers as s


def wants_html(request):
    return "text/html" in request.META.get("HTTP_ACCEPT", "")


class PublicAtlasView(AtlasView):
    authentication_classes = []
    permission_classes = [AllowAny]


@extend_schema(tags=["atlas: accounts"], summary="Sign up", request=s.SignUpSerializer,
               responses={201: s.MessageSerializer})
class SignUpView(PublicAtlasView):
    """§2.1: creates an account and e-mails a link that confirms the address; sign-in waits for it."""

    throttle_classes = SIGN_IN_THROTTLES
    throttle_name = "sign-up"

    def post(self, request):
        data = self.validated(s.SignUpSerializer)
        user = services.sign_up(request, **data)
        return Response({"message": f"Account created. Open the link we sent to {user.email} to confirm it."},
                        status=201)


@extend_schema(tags=["atlas: accounts"], summary="Sign in", request=s.SignInSerializer,
               responses={201: s.TokenPairSerializer})
class SignInView(PublicAtlasView):
    """§2.2: the e-mail address (`id`) and password give an access token (1 hour) and a refresh token (14 days).
    Served at both `sign-In`, as the seed spells it, and `sign-in`."""

    throttle_classes = SIGN_IN_THROTTLES
    throttle_name = SIGN_IN

    def post(self, request):
        data = self.validated(s.SignInSerializer)
        user = services.authenticate_with_password(email=data["id"], password=data["password"])
        session = services.start_session(request, user, kind=Session.Kind.PASSWORD, door=self.door)
        return Response(token_pair(session), status=201)


@extend_schema(tags=["atlas: accounts"], summary="Sign out", request=None, responses={200: s.MessageSerializer})
class SignOutView(AtlasView):
    """§2.3: ends the session the token belongs to; its access and refresh tokens stop working at once."""

    def post(self, request):
        services.sign_out(current_session(request))
        return Response({"message": "Signed out."})


@extend_schema(tags=["atlas: accounts"], summary="Resend the confirmation e-mail", request=s.EmailSerializer,
               responses={201: s.MessageSerializer})
class ResendConfirmationView(PublicAtlasView):
    """§2.4: e-mails a new link that confirms the address."""

    throttle_classes = SIGN_IN_THROTTLES
    throttle_name = "resend"

    def post(self, request):
        user = services.resend_email_confirmation(request, self.validated(s.EmailSerializer)["email"])
        message = ("This address is already confirmed." if user.email_verified
                   else f"We sent a new confirmation link to {user.email}.")
        return Response({"message": message}, status=201)


class LinkView(PublicAtlasView):
    """A link opened from an e-mail: a page for a browser, the seed's JSON for a client."""

    template_name = "accounts/link_result.html"

    def respond(self, request, status, message, body=None):
        if wants_html(request):
            return render(request, self.template_name, {"ok": status == 200, "message": message}, status=status)
        return Response(body if body is not None else {"message": message}, status=status)

    def handle_exception(self, exc):
        if wants_html(self.request) and isinstance(exc, ServiceError):
            return self.respond(self.request, exc.status, exc.message)
        return super().handle_exception(exc)


@extend_schema(tags=["atlas: accounts"], summary="Confirm an e-mail address", parameters=[s.ConfirmEmailSerializer],
               responses={200: s.MessageSerializer})
class ConfirmEmailView(LinkView):
    """§2.5: the link from the sign-up e-mail (Atlas adds a signed `key`); a page for a browser, JSON otherwise."""

    def get(self, request):
        data = self.validated(s.ConfirmEmailSerializer, data=request.query_params.dict())
        services.confirm_email(request, email=data["email"], user_id=data["userId"], key=data["key"])
        return self.respond(request, 200, "Your e-mail address is confirmed. You can sign in now.")


@extend_schema(tags=["atlas: accounts"], summary="Accept a group invitation",
               parameters=[s.ConfirmInviteSerializer], responses={200: s.EmailSerializer})
class ConfirmInviteView(LinkView):
    """§2.6: the link from an invitation e-mail (Atlas adds a `token`) joins the group; 401 for a bad link."""

    def get(self, request):
        serializer = s.ConfirmInviteSerializer(data=request.query_params.dict())
        if not serializer.is_valid():
            # The seed answers every bad invitation link with 401.
            raise Unauthenticated("This invitation link is incomplete or malformed.")
        data = serializer.validated_data
        user = role_services.accept_invitation(
            email=data["email"], user_id=data["userId"], group_id=data["groupId"], token=data["token"]
        )
        return self.respond(request, 200, "You joined the group.", body={"email": user.email})


@extend_schema(tags=["atlas: accounts"], summary="Reset the password", request=s.EmailSerializer,
               responses={201: s.MessageSerializer})
class ResetPasswordView(PublicAtlasView):
    """§2.7: e-mails a link to choose a new password; the old one works until the new one is set."""

    throttle_classes = SIGN_IN_THROTTLES
    throttle_name = "reset"

    def post(self, request):
        user = services.request_password_reset(request, self.validated(s.EmailSerializer)["email"])
        return Response({"message": f"We sent a link to choose a new password to {user.email}."}, status=201)


@extend_schema(tags=["atlas: accounts"], summary="Change the password", request=s.PasswordSerializer,
               responses={200: s.MessageSerializer})
class PasswordView(AtlasView):
    """§2.8: sets a new password and signs out every other session. PATCH and POST both work."""

    # The seed's heading says PATCH and its table POST: both are served.
    def patch(self, request):
        password = self.validated(s.PasswordSerializer)["password"]
        services.change_password(request.user, password, keep_session=current_session(request))
        return Response({"message": "Password changed. Your other sessions were signed out."})

    post = patch


@extend_schema(tags=["atlas: accounts"], summary="Delete the account", request=None,
               responses={200: s.MessageSerializer})
class UserView(AtlasView):
    """§2.9: deletes the account, everything it owns and all its sessions."""

    def delete(self, request):
        services.delete_account(request.user)
        return Response({"message": "Your account and everything it owned were deleted."})


@extend_schema(tags=["atlas: accounts"], summary="Sign in with Google", request=s.GoogleSerializer,
               responses={201: s.TokenPairSerializer})
class GoogleSignInView(PublicAtlasView):
    """§2.10: a Google ID token gives an access and a refresh token; the first one creates the account."""

    throttle_classes = SIGN_IN_THROTTLES
    throttle_name = "google"

    def post(self, request):
        claims = google.verify_id_token(self.validated(s.GoogleSerializer)["idToken"])
        user = google.user_for_google_claims(claims)
        session = services.start_session(request, user, kind=Session.Kind.GOOGLE, door=self.door)
        return Response(token_pair(session), status=201)


@extend_schema(
    tags=["atlas: accounts"], summary="Refresh the access token", request=None,
    responses={200: s.AccessTokenSerializer},
    parameters=[OpenApiParameter("Authorization", location="header", description="Bearer <refreshToken>")],
)
class RefreshAccessTokenView(PublicAtlasView):
    """§2.11: the refresh token, sent as `Authorization: Bearer <refreshToken>`, gives a new access token."""

    def post(self, request):
        kind, _, raw = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        if kind != "Bearer" or not raw.strip():
            raise Unauthenticated("Send the refresh token as Authorization: Bearer <refreshToken>.")
        session = session_from_refresh_token(raw.strip())
        return Response({"accessToken": str(access_token(session))})


@extend_schema(tags=["atlas: accounts"], summary="Who am I", responses={200: s.MeSerializer})
class MeView(AtlasView):
    """§2.12: the signed-in account's nickname and e-mail address."""

    def get(self, request):
        return Response({"nickname": request.user.nickname, "email": request.user.email})


@extend_schema(tags=["atlas: roles"], summary="List the roles", responses={201: s.RoleSerializer(many=True)})
class RoleListView(PublicAtlasView):
    """§5.1: every role; answered with 201, as the seed's table says."""

    def get(self, request):
        # The seed answers this GET with 201.
        return Response(s.RoleSerializer(Role.objects.all(), many=True).data, status=201)


@extend_schema(tags=["atlas: basics"], summary="Server version", responses={200: str})
class VersionView(PublicAtlasView):
    """§6.1: the server's version, as a JSON string."""

    def get(self, request):
        return Response(settings.VERSION)
