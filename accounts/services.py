"""Every way into an account: sign-up, sign-in, sessions, passwords, e-mail confirmation, deletion.

Doors call these and render the results in their own shapes; these never see a door.
"""

import secrets
import uuid
from urllib.parse import urlencode

from allauth.account.forms import ResetPasswordForm
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core.clients import client_address
from core.errors import Conflict, Forbidden, Invalid, NotFound, Unauthenticated

from .models import ApiKey, Session, SignInCode, User, UserDetails, normalize_email
from .tokens import access_token

# The door whose API tokens may be renewed (seed 002's PATCH /api/v1/auth/token).
FACEID_DOOR = "faceid"


def validate_password(password, user=None):
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise Invalid(" ".join(exc.messages)) from exc


def _client(request):
    if request is None:
        return None, ""
    return client_address(request), request.META.get("HTTP_USER_AGENT", "")[:255]


# --- sign-up and e-mail confirmation --------------------------------------------------------

@transaction.atomic
def sign_up(request, *, email, password, nickname="", **profile):
    """An e-mail account that must confirm its address before password sign-in (seed 000 §2.1)."""
    email = normalize_email(email)
    if User.objects.filter(email=email).exists():
        raise Conflict(f"An account with {email} already exists. Sign in, or reset the password.")
    user = User(email=email, nickname=nickname, **profile)
    validate_password(password, user)
    user.set_password(password)
    user.save()
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=False)
    send_email_confirmation(request, user, signup=True)
    return user


def send_email_confirmation(request, user, signup=False):
    address = EmailAddress.objects.filter(user=user, email=user.email).first()
    if address is None:
        address = EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=False)
    address.send_confirmation(request, signup=signup)


def resend_email_confirmation(request, email):
    user = User.objects.filter(email=normalize_email(email), is_active=True).first()
    if user is None:
        raise NotFound("There is no account with that e-mail address.")
    if not user.email_verified:
        send_email_confirmation(request, user)
    return user


def confirmation_url(request, user, key, email=None):
    """The link in the confirmation mail: seed 000's `confirm-email` query plus the signed key. `email` is
    the address being confirmed when it is not the account's login."""
    query = urlencode({"email": email or user.email, "userId": str(user.public_id), "key": key})
    return absolute_url(request, f"/atlas/auth/confirm-email?{query}")


def absolute_url(request, path):
    if request is not None:
        return request.build_absolute_uri(path)
    return settings.SITE_URL + path


def confirm_email(request, *, email, user_id, key):
    """Marks the address confirmed when the signed key, the address and the user id all agree. The address
    is the account's login or one it added later (allauth's e-mail page mails its links here too)."""
    email = normalize_email(email)
    user = User.objects.filter(email=email, public_id=user_id).first()
    if user is None or email != user.email:
        address = EmailAddress.objects.select_related("user").filter(
            user__public_id=user_id, email__iexact=email).first()
        if address is None:
            raise Invalid("This confirmation link does not match any account.")
        user = address.user
    elif user.email_verified:
        return user
    confirmation = EmailConfirmationHMAC.from_key(key or "")
    if (confirmation is None or confirmation.email_address.user_id != user.pk
            or normalize_email(confirmation.email_address.email) != email):
        raise Invalid("This confirmation link is invalid or has expired. Ask for a new one.")
    confirmation.confirm(request)
    user.refresh_from_db()
    return user


# --- sessions ---------------------------------------------------------------------------------

def start_session(request, user, *, kind, door, api_key=None, lifetime=None):
    ip, agent = _client(request)
    return Session.objects.create(
        user=user, kind=kind, door=door, api_key=api_key, ip_address=ip, user_agent=agent,
        expires_at=timezone.now() + (lifetime or settings.REFRESH_TOKEN_LIFETIME),
    )


def door_token(session):
    """The single token of doors that have no refresh call (scenes, studio)."""
    return str(access_token(session, settings.DOOR_TOKEN_LIFETIME))


def sign_out(session):
    session.end()


def end_other_sessions(user, keep=None):
    sessions = Session.objects.active().filter(user=user)
    if keep is not None:
        sessions = sessions.exclude(pk=keep.pk)
    sessions.update(ended_at=timezone.now())


# --- password sign-in -----------------------------------------------------------------------

def hash_anyway(secret):
    """Runs the password hasher once on `secret` for nothing, where there is no account, key or code to check
    it against: a refusal for a login that does not exist then costs as much as one for a wrong password,
    so the time of the answer does not tell which logins exist (Django's ModelBackend does the same)."""
    User().set_password(secret or "")


def authenticate_with_password(*, password, email=None, username=None, require_confirmed=True):
    """The user whose login and password match, or the refusal the seeds name."""
    if email is not None:
        user = User.objects.filter(email=normalize_email(email)).first()
    else:
        user = User.objects.filter(username=(username or "").strip()).first()
    if user is None or not user.is_active:
        hash_anyway(password)
        raise Unauthenticated("The login or the password is incorrect.")
    if user.signs_in_with_google:
        raise Conflict("This account signs in with Google. Use \"Sign in with Google\".")
    if not user.check_password(password):
        raise Unauthenticated("The login or the password is incorrect.")
    if require_confirmed and user.email and not user.email_verified:
        raise Forbidden(f"Confirm your e-mail address first: open the link we sent to {user.email}.")
    return user


def change_password(user, new_password, *, keep_session=None, old_password=None):
    """Sets a new password and ends every other session of the user."""
    if old_password is not None and not user.check_password(old_password):
        raise Unauthenticated("The current password is incorrect.")
    validate_password(new_password, user)
    user.set_password(new_password)
    user.save(update_fields=["password"])
    end_other_sessions(user, keep=keep_session)


def request_password_reset(request, email):
    """E-mails a link to choose a new password; the old one keeps working until then."""
    user = User.objects.filter(email=normalize_email(email), is_active=True).first()
    if user is None:
        raise NotFound("There is no account with that e-mail address.")
    form = ResetPasswordForm(data={"email": user.email})
    if not form.is_valid():
        raise Invalid(" ".join(m for errors in form.errors.values() for m in errors))
    form.save(request)
    return user


@transaction.atomic
def delete_account(user, password=None):
    """Removes the account and everything it owns (files go with the rows that own them)."""
    if password is not None and not user.check_password(password):
        raise Unauthenticated("The password is incorrect.")
    if user.avatar:
        user.avatar.delete(save=False)
    if user.avatar_thumbnail:
        user.avatar_thumbnail.delete(save=False)
    user.delete()


# --- username accounts (scenes) ---------------------------------------------------------------

def _check_username(username, exclude=None):
    username = (username or "").strip()
    field = User._meta.get_field("username")
    try:
        field.run_validators(username)
    except ValidationError as exc:
        raise Invalid(" ".join(exc.messages)) from exc
    if not username or len(username) > field.max_length:
        raise Invalid(f"A username is 1 to {field.max_length} characters.")
    taken = User.objects.filter(username=username)
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if taken.exists():
        raise Conflict(f"The username {username!r} is taken.")
    return username


@transaction.atomic
def register_with_username(*, username, password):
    username = _check_username(username)
    user = User(username=username)
    validate_password(password, user)
    user.set_password(password)
    user.save()
    return user


def change_username(user, *, password, new_username):
    if not user.check_password(password):
        raise Unauthenticated("The password is incorrect.")
    user.username = _check_username(new_username, exclude=user)
    user.save(update_fields=["username"])


# --- studio profile and one-time codes ----------------------------------------------------------

@transaction.atomic
def register_profile(request, *, email, password=None, **profile):
    """The studio's sign-up: a profile, with a password or signing in by e-mailed codes."""
    email = normalize_email(email)
    if User.objects.filter(email=email).exists():
        raise Conflict(f"An account with {email} already exists. Log in instead.")
    user = User(email=email, **profile)
    if password:
        validate_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=False)
    if password:
        send_email_confirmation(request, user, signup=True)
    return user


def update_profile(user, **fields):
    for name, value in fields.items():
        setattr(user, name, value)
    user.save(update_fields=list(fields))


def send_sign_in_code(request, email):
    """E-mails a six-digit code. Says nothing about whether the address has an account."""
    user = User.objects.filter(email=normalize_email(email), is_active=True).first()
    code = f"{secrets.randbelow(10**6):06d}"
    if user is None:
        hash_anyway(code)  # the work of hashing a real code, so timing does not tell
        return
    SignInCode.objects.filter(user=user, used_at__isnull=True).update(used_at=timezone.now())
    SignInCode.objects.create(
        user=user, code_hash=make_password(code), expires_at=timezone.now() + settings.LOGIN_CODE_LIFETIME
    )
    minutes = int(settings.LOGIN_CODE_LIFETIME.total_seconds() // 60)
    send_mail(
        "[Atlas] Your sign-in code",
        f"Your Atlas sign-in code is {code}\n\nIt works once, for {minutes} minutes.\n"
        "If you did not ask for it, you can ignore this e-mail.",
        None,
        [user.email],
    )


def authenticate_with_code(*, email, code):
    refusal = Unauthenticated("The code is wrong or has expired. Ask for a new one.")
    user = User.objects.filter(email=normalize_email(email), is_active=True).first()
    if user is None:
        hash_anyway(str(code))
        raise refusal
    with transaction.atomic():
        sign_in_code = SignInCode.objects.select_for_update().filter(user=user, used_at__isnull=True).first()
        if sign_in_code is None or not sign_in_code.is_usable:
            hash_anyway(str(code))
            raise refusal
        matched = check_password(str(code), sign_in_code.code_hash)
        if matched:
            sign_in_code.used_at = timezone.now()
            sign_in_code.save(update_fields=["used_at"])
        else:
            # Counted outside any rollback: the refusal below must not undo it.
            SignInCode.objects.filter(pk=sign_in_code.pk).update(attempts=F("attempts") + 1)
    if not matched:
        raise refusal
    # Receiving the code proves the address.
    if not user.email_verified:
        EmailAddress.objects.filter(user=user, email=user.email).update(verified=True)
        user.email_verified = True
        user.save(update_fields=["email_verified"])
    return user


def details_of(user):
    details, _ = UserDetails.objects.get_or_create(user=user)
    return details


def update_details(user, **fields):
    details = details_of(user)
    for name, value in fields.items():
        setattr(details, name, value)
    details.save()
    return details


# --- API keys: Face ID's key and secret, OAuth2's client id and secret ----------------------------------

def issue_api_key(user, name=""):
    """A new key pair for `user`, made the same way wherever it is asked for (the Face ID door, the dashboard).
    The secret is returned once; only its hash is stored."""
    if not user.has_perm("accounts.issue_api_key"):
        raise Forbidden("This account is not allowed to issue API keys. Ask an administrator for a role that may.")
    secret = secrets.token_hex(16).upper()
    api_key = ApiKey(user=user, name=name.strip())
    api_key.set_secret(secret)
    api_key.save()
    return api_key, secret


@transaction.atomic
def revoke_api_key(user, key):
    """Revokes one of `user`'s keys and ends every session it started, so its tokens stop working at once."""
    api_key = ApiKey.objects.active().select_for_update().filter(user=user, key=key).first()
    if api_key is None:
        raise NotFound("You have no active API key with that id.")
    api_key.revoked_at = timezone.now()
    api_key.save(update_fields=["revoked_at"])
    Session.objects.active().filter(api_key=api_key).update(ended_at=api_key.revoked_at)
    return api_key


def authenticate_api_key(*, key, secret):
    """The live key whose secret matches, or one refusal for every way it can fail."""
    try:
        key = uuid.UUID(str(key))
    except ValueError:
        api_key = None
    else:
        api_key = ApiKey.objects.select_related("user").filter(key=key).first()
    if api_key is None:
        hash_anyway(secret)
        raise Unauthenticated("The API key or secret is incorrect, or the key was revoked.")
    if not api_key.check_secret(secret or "") or not api_key.user.is_active:
        raise Unauthenticated("The API key or secret is incorrect, or the key was revoked.")
    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=timezone.now())
    return api_key


def start_api_session(request, api_key, *, door, lifetime):
    """A session for a machine signed in with a key pair; its tokens act for the key's owner."""
    return start_session(request, api_key.user, kind=Session.Kind.API_KEY, door=door, api_key=api_key,
                         lifetime=lifetime)


def renew_api_session(session):
    """Face ID's token renewal: the session is extended by API_TOKEN_LIFETIME, never past its latest end, and a
    fresh token for it is returned. Only sessions the Face ID door started are renewed: any other door's
    token keeps the life its door gave it."""
    if session.kind != Session.Kind.API_KEY or session.door != FACEID_DOOR:
        raise Unauthenticated("Only an API token from POST /api/v1/auth/token can be renewed. "
                              "Exchange your API key and secret for one.")
    if session.api_key.revoked_at is not None:
        raise Unauthenticated("This API key was revoked. Issue a new key.")
    extended = max(session.expires_at, timezone.now() + settings.API_TOKEN_LIFETIME)
    session.expires_at = min(extended, session.latest_end)
    session.save(update_fields=["expires_at"])
    return access_token(session, settings.API_TOKEN_LIFETIME)
