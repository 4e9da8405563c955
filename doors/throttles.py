"""Throttles for sign-in, sign-up, password reset and mail resend.

Every sign-in that checks a password, a code or a key's secret counts against the same counters, whichever
door it comes through: one per account (the login is resolved to the account, so its e-mail address and its
username share one counter), one per key pair (Face ID's `key` and OAuth2's `client_id` are the same key),
and one per client address. Changing door buys no extra attempts.
"""

import hashlib

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import User, normalize_email
from core.clients import client_address

from .oauth2.credentials import basic_credentials

# The throttle_name every sign-in view shares, so all of them count against the same counters.
SIGN_IN = "sign-in"


class _ConfiguredRateThrottle(SimpleRateThrottle):
    rate_name = ""

    # Read at request time, so settings changed in tests or at start-up apply.
    def get_rate(self):
        return settings.THROTTLE_RATES[self.rate_name or self.scope]

    def key_for(self, view, ident):
        return self.cache_format % {"scope": f"{self.scope}:{view.throttle_name}", "ident": ident}

    def get_ident(self, request):
        # DRF's own believes any X-Forwarded-For, so a client could name a new address on every attempt.
        return client_address(request) or "unknown"


def _digest(text):
    return hashlib.sha256(text.encode()).hexdigest()


class IPThrottle(_ConfiguredRateThrottle):
    scope = "ip"

    def get_cache_key(self, request, view):
        return self.key_for(view, self.get_ident(request))


def account_ident(login):
    """The counter of the account that `login` (an e-mail address or a username) names, or of the login itself
    where it names no account."""
    login = login.strip()
    user_id = (User.objects.filter(email=normalize_email(login)).values_list("pk", flat=True).first()
               or User.objects.filter(username=login).values_list("pk", flat=True).first())
    return f"account-{user_id}" if user_id else _digest(normalize_email(login))


class AccountThrottle(_ConfiguredRateThrottle):
    """Counts attempts against one account (named by its e-mail address or username), whoever makes them."""

    scope = "address"
    fields = ("email", "id", "username")

    def get_cache_key(self, request, view):
        data = request.data if isinstance(request.data, dict) else {}
        login = next((data[f] for f in self.fields if isinstance(data.get(f), str) and data[f].strip()), None)
        if login is None:
            return None
        return self.key_for(view, account_ident(login))


class ApiKeyThrottle(_ConfiguredRateThrottle):
    """Counts attempts against one key pair: Face ID's `key`, or OAuth2's `client_id` in the body or in HTTP
    Basic client authentication."""

    scope = "api-key"
    rate_name = "address"
    fields = ("key", "client_id")

    def get_cache_key(self, request, view):
        data = request.data if isinstance(request.data, dict) else {}
        key = next((data[f] for f in self.fields if isinstance(data.get(f), str) and data[f].strip()), None)
        if key is None:
            try:
                key = (basic_credentials(request) or (None, None))[0]
            except ValueError:
                return None
        if not key:
            return None
        return self.key_for(view, _digest(key.strip().lower()))


SIGN_IN_THROTTLES = [IPThrottle, AccountThrottle]
API_KEY_THROTTLES = [IPThrottle, ApiKeyThrottle]
