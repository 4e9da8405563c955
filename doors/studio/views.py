"""Seed 003 "Account" and "User Detail": the studio's profile, login, avatar and body description.

Every success answers 200, as the studio's original service did, except a login with the e-mail
address alone: it never yields a token, it e-mails a one-time code and answers 202.
"""

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from accounts import avatars, services
from accounts.models import Session
from core.errors import Invalid
from doors.base import StudioView
from doors.throttles import SIGN_IN, SIGN_IN_THROTTLES

from . import serializers as s

AVATAR_RESPONSES = {
    (200, "image/jpeg"): OpenApiResponse(response=OpenApiTypes.BINARY, description="The JPEG image."),
    (404, "application/json"): s.StudioMessageSerializer,
}


class PublicStudioView(StudioView):
    authentication_classes = []
    permission_classes = [AllowAny]


@extend_schema(tags=["studio: account"], summary="Register", request=s.StudioRegisterSerializer,
               responses={200: s.StudioMessageSerializer, 409: s.StudioMessageSerializer})
class RegisterView(PublicStudioView):
    """Creates an account with its profile; with a password, the address must be confirmed by its link."""

    throttle_classes = SIGN_IN_THROTTLES
    throttle_name = "studio-register"

    def post(self, request):
        data = self.validated(s.StudioRegisterSerializer)
        user = services.register_profile(request, **data)
        if data.get("password"):
            message = (f"Account created. Open the link we sent to {user.email} to confirm it, "
                       "then log in with your password.")
        else:
            message = "Account created. Log in with your e-mail address: we will e-mail you a sign-in code."
        return Response({"message": message})


@extend_schema(
    tags=["studio: account"], summary="Log in", request=s.StudioLoginSerializer,
    responses={200: s.StudioTokenSerializer, 202: s.StudioMessageSerializer, 401: s.StudioMessageSerializer,
               403: s.StudioMessageSerializer, 429: s.StudioMessageSerializer},
    description="`{email}` e-mails a one-time code (202). `{email, code}` or `{email, password}` answers the token.",
)
class LoginView(PublicStudioView):
    """Answers a token for a password or an e-mailed code; the e-mail address alone only sends the code."""

    # Shares its counters with the other doors' sign-ins: changing door buys no extra attempts.
    throttle_classes = SIGN_IN_THROTTLES
    throttle_name = SIGN_IN

    def post(self, request):
        data = self.validated(s.StudioLoginSerializer)
        if "password" in data:
            user = services.authenticate_with_password(email=data["email"], password=data["password"])
            kind = Session.Kind.PASSWORD
        elif "code" in data:
            user = services.authenticate_with_code(email=data["email"], code=data["code"])
            kind = Session.Kind.CODE
        else:
            services.send_sign_in_code(request, data["email"])
            message = (f"If an account exists for {data['email']}, we sent it a sign-in code. "
                       "Send it back to /login as {\"email\", \"code\"} to receive your token.")
            return Response({"message": message}, status=202)
        session = services.start_session(request, user, kind=kind, door=self.door)
        return Response({"token": services.door_token(session)})


@extend_schema(tags=["studio: account"], summary="My profile", responses={200: s.StudioUserInfoSerializer})
class UserInfoView(StudioView):
    """The signed-in person's profile; the date of birth in Unix seconds."""

    def get(self, request):
        return Response(s.StudioUserInfoSerializer(request.user).data)


@extend_schema(tags=["studio: account"], summary="Change my profile", request=s.StudioUpdateUserInfoSerializer,
               responses={200: s.StudioMessageSerializer})
class UpdateUserInfoView(StudioView):
    """Changes the profile fields that are sent and keeps the others."""

    def post(self, request):
        services.update_profile(request.user, **self.validated(s.StudioUpdateUserInfoSerializer))
        return Response({"message": "Your profile was updated."})


@extend_schema(tags=["studio: account"], summary="Upload the avatar photo",
               request={"multipart/form-data": s.StudioAvatarUploadSerializer},
               responses={200: s.StudioMessageSerializer})
class UploadAvatarView(StudioView):
    """Replaces the avatar with one JPEG or PNG photo sent as multipart/form-data, under any field name."""

    def post(self, request):
        # Refuse an oversized body before it is received and spooled to disk.
        avatars.check_request_size(int(request.META.get("CONTENT_LENGTH") or 0))
        files = [upload for name in request.FILES for upload in request.FILES.getlist(name)]
        if len(files) != 1:
            raise Invalid("Send exactly one image file, as multipart/form-data (for example in the field \"file\").")
        avatars.set_avatar(request.user, files[0])
        return Response({"message": "Your avatar was updated."})


class AvatarFileView(StudioView):
    """Streams the stored avatar JPEG."""

    thumbnail = False

    def perform_content_negotiation(self, request, force=False):
        # Clients ask for `Accept: image/jpeg`; the file bypasses renderers and errors stay JSON.
        return super().perform_content_negotiation(request, force=True)

    def get(self, request):
        response = FileResponse(avatars.open_avatar(request.user, thumbnail=self.thumbnail), content_type="image/jpeg")
        # The address stays the same when the avatar changes.
        response["Cache-Control"] = "private, no-cache"
        return response


@extend_schema(tags=["studio: account"], summary="The avatar photo", responses=AVATAR_RESPONSES)
class AvatarView(AvatarFileView):
    """The avatar as uploaded, turned upright, as a JPEG."""


@extend_schema(tags=["studio: account"], summary="The avatar's thumbnail", responses=AVATAR_RESPONSES)
class AvatarThumbnailView(AvatarFileView):
    """The avatar scaled to fit within 256x256, as a JPEG."""

    thumbnail = True


@extend_schema(tags=["studio: user details"], summary="My body and face details",
               responses={200: s.StudioUserDetailsSerializer})
class UserDetailsView(StudioView):
    """The body and face description used to generate avatars."""

    def get(self, request):
        return Response(s.StudioUserDetailsSerializer(services.details_of(request.user)).data)


@extend_schema(tags=["studio: user details"], summary="Change my body and face details",
               request=s.StudioUpdateUserDetailsSerializer,
               responses={200: s.StudioMessageSerializer})
class UpdateUserDetailsView(StudioView):
    """Changes the details that are sent; lists and objects are kept exactly as sent."""

    def post(self, request):
        services.update_details(request.user, **self.validated(s.StudioUpdateUserDetailsSerializer))
        return Response({"message": "Your details were updated."})
