"""Throttles for sign-in, password reset and mail resend: per e-mail address and per client address."""

import hashlib

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import normalize_email
from core.clients import client_address


class _ConfiguredRateThrottle(SimpleRateThrottle):
    # Read at request time, so settings changed in tests or at start-up apply.
    def get_rate(self):
        return settings.THROTTLE_RATES[self.scope]

    def get_ident(self, request):
        # DRF's own believes any X-Forwarded-For, so a client could name a new address on every attempt.
        return client_address(request) or "unknown"


class IPThrottle(_ConfiguredRateThrottle):
    scope = "ip"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": f"{self.scope}:{view.throttle_name}", "ident": self.get_ident(request)}


class AddressThrottle(_ConfiguredRateThrottle):
    """Counts attempts against one e-mail address or username, whoever makes them."""

    scope = "address"
    fields = ("email", "id", "username")

    def get_cache_key(self, request, view):
        data = request.data if isinstance(request.data, dict) else {}
        login = next((data[f] for f in self.fields if isinstance(data.get(f), str) and data[f].strip()), None)
        if login is None:
            return None
        ident = hashlib.sha256(normalize_email(login).encode()).hexdigest()
        return self.cache_format % {"scope": f"{self.scope}:{view.throttle_name}", "ident": ident}


SIGN_IN_THROTTLES = [IPThrottle, AddressThrottle]
