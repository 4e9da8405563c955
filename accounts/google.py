"""Google sign-in: the ID token's signature, audience, issuer and expiry, checked against Google's keys."""

import jwt
from allauth.socialaccount.models import SocialAccount
from django.conf import settings
from django.db import transaction

from core.errors import Conflict, Unauthenticated, Unavailable

from .models import User, normalize_email

ISSUERS = ("accounts.google.com", "https://accounts.google.com")
_jwks_client = None


def _signing_key(id_token):
    global _jwks_client
    if settings.GOOGLE_JWKS:  # a key set given in settings (tests, air-gapped installs)
        header = jwt.get_unverified_header(id_token)
        key_set = jwt.PyJWKSet.from_dict(settings.GOOGLE_JWKS)
        for key in key_set.keys:
            if key.key_id == header.get("kid"):
                return key.key
        raise jwt.InvalidTokenError("signed with an unknown key")
    if _jwks_client is None:
        _jwks_client = jwt.PyJWKClient(settings.GOOGLE_CERTS_URL, cache_keys=True, lifespan=3600, timeout=10)
    try:
        return _jwks_client.get_signing_key_from_jwt(id_token).key
    except jwt.PyJWKClientConnectionError as exc:
        raise Unavailable("Google's signing keys could not be fetched. Try again in a minute.") from exc


def verify_id_token(id_token):
    """The token's claims, or Unauthenticated saying what is wrong with it."""
    if not settings.GOOGLE_CLIENT_IDS:
        raise Unauthenticated("Google sign-in is not configured on this server (GOOGLE_CLIENT_ID is unset).")
    try:
        claims = jwt.decode(
            id_token,
            _signing_key(id_token),
            algorithms=["RS256"],
            audience=settings.GOOGLE_CLIENT_IDS,
            issuer=ISSUERS,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            leeway=30,
        )
    except jwt.PyJWKClientError as exc:
        raise Unauthenticated(f"The Google ID token is not valid: {exc}.") from exc
    except jwt.InvalidTokenError as exc:
        raise Unauthenticated(f"The Google ID token is not valid: {exc}.") from exc
    if not claims.get("email") or not claims.get("email_verified"):
        raise Unauthenticated("Google did not vouch for an e-mail address on this account.")
    return claims


@transaction.atomic
def user_for_google_claims(claims):
    """The account linked to this Google identity, made on first sign-in."""
    link = SocialAccount.objects.select_related("user").filter(provider="google", uid=claims["sub"]).first()
    if link is not None:
        if not link.user.is_active:
            raise Unauthenticated("This account is disabled.")
        return link.user
    email = normalize_email(claims["email"])
    if User.objects.filter(email=email).exists():
        raise Conflict(f"An account with {email} already exists. Sign in with its password.")
    from allauth.account.models import EmailAddress

    user = User(email=email, email_verified=True, nickname=(claims.get("name") or "")[:50],
                full_name=(claims.get("name") or "")[:150])
    user.set_unusable_password()
    user.save()
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
    SocialAccount.objects.create(user=user, provider="google", uid=claims["sub"], extra_data=claims)
    return user
