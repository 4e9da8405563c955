"""DRF authentication shared by every door.

A token issued by any door's sign-in is accepted at all of them, in `Authorization: Bearer <token>`
(atlas, scenes, studio, captures) or `X-API-Token: <token>` (Face ID). The token's session must still
be active, so signing out, changing the password or deleting the account refuses it at once.
"""

from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed

from .models import Session


class SessionTokenAuthentication(JWTAuthentication):
    www_authenticate_realm = "atlas"

    def get_user(self, validated_token):
        user = super().get_user(validated_token)
        session = Session.objects.active().filter(pk=validated_token.get("sid"), user=user).first()
        if session is None:
            raise AuthenticationFailed("This session has ended. Sign in again.", code="session_ended")
        user.auth_session = session
        return user


class ApiTokenAuthentication(SessionTokenAuthentication):
    header = "HTTP_X_API_TOKEN"

    def get_header(self, request):
        value = request.META.get(self.header)
        return value.encode("iso-8859-1") if value else None

    def get_raw_token(self, header):
        return header.strip() or None

    def authenticate_header(self, request):
        return 'X-API-Token realm="atlas"'


def current_session(request):
    """The Session behind the token this request was authenticated with, if any."""
    return getattr(request.user, "auth_session", None)
