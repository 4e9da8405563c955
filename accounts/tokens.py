"""Tokens for every door: simplejwt tokens that carry the id of a server-side Session (`sid`)."""

from django.conf import settings
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from core.errors import Unauthenticated

from .models import Session


def _stamp(token, session):
    token["sid"] = str(session.pk)
    token["role"] = session.user.role.name if session.user.role_id else None
    return token


def access_token(session, lifetime=None):
    """An access token for `session`, never outliving it."""
    token = _stamp(AccessToken.for_user(session.user), session)
    lifetime = lifetime or settings.ACCESS_TOKEN_LIFETIME
    token.set_exp(from_time=token.current_time, lifetime=lifetime)
    if token["exp"] > session.expires_at.timestamp():
        token["exp"] = int(session.expires_at.timestamp())
    return token


def token_pair(session):
    """Seed 000's accessToken (1 h) and refreshToken (the session's life, 14 days)."""
    refresh = _stamp(RefreshToken.for_user(session.user), session)
    refresh["exp"] = int(session.expires_at.timestamp())
    return {"accessToken": str(access_token(session)), "refreshToken": str(refresh)}


def session_from_refresh_token(raw):
    try:
        token = RefreshToken(raw)
    except TokenError as exc:
        raise Unauthenticated(f"The refresh token is not valid: {exc}. Sign in again.") from exc
    session = Session.objects.active().select_related("user").filter(pk=token.get("sid")).first()
    if session is None or not session.user.is_active:
        raise Unauthenticated("This session has ended. Sign in again.")
    return session
