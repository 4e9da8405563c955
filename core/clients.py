"""The address of the client behind a request, trusting forwarded headers only from configured proxies.

`X-Forwarded-For` is written by whoever sends the request, so it names the client only when the hop that
connected to us is a proxy we run (settings.TRUSTED_PROXIES, from ATLAS_TRUSTED_PROXIES). The header is read
from its right end, past every trusted proxy, to the first address a trusted proxy saw connect to it;
whatever a client wrote further left is never read. Throttles and session records use this one answer.
"""

import ipaddress

from django.conf import settings


def _address(text):
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _trusted(address):
    return address is not None and any(address in network for network in settings.TRUSTED_PROXIES)


def client_address(request):
    """The client's IP address as text; REMOTE_ADDR unless it is a trusted proxy. None when unknown."""
    remote = request.META.get("REMOTE_ADDR") or None
    client = _address(remote or "")
    if not _trusted(client):
        return remote
    hops = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break  # a proxy of ours wrote this hop, so garbage here came from beyond it: stop at that proxy
        client = address
        if not _trusted(address):
            break
    return str(client)
