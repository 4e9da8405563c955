"""RFC 6749 §2.3.1: a client may authenticate with HTTP Basic, its id and secret each form-urlencoded first."""

import base64
import binascii
from urllib.parse import unquote_plus

UNREADABLE = "The Authorization header is not valid HTTP Basic: base64 of client_id:client_secret."


def basic_credentials(request):
    """`(client_id, client_secret)` from `Authorization: Basic ...`, or None when no Basic header was sent.
    Raises ValueError for a Basic header that cannot be read."""
    scheme, _, encoded = request.META.get("HTTP_AUTHORIZATION", "").strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise ValueError(UNREADABLE) from exc
    client_id, colon, client_secret = decoded.partition(":")
    if not colon:
        raise ValueError(UNREADABLE)
    return unquote_plus(client_id), unquote_plus(client_secret)
