"""core.clients: X-Forwarded-For is read only when a trusted proxy connected, and only up to the first hop
it cannot vouch for."""

import ipaddress

import pytest
from django.test import RequestFactory

from core.clients import client_address


def request(remote="192.0.2.10", forwarded=None):
    headers = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **headers)


@pytest.fixture
def proxies(settings):
    settings.TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("2001:db8::1")]


@pytest.mark.parametrize("forwarded", [None, "203.0.113.9", "203.0.113.9, 10.0.0.1", "not an address"])
def test_without_trusted_proxies_the_connecting_address_is_the_client(settings, forwarded):
    settings.TRUSTED_PROXIES = []
    assert client_address(request("192.0.2.10", forwarded)) == "192.0.2.10"


@pytest.mark.parametrize("remote, forwarded, client", [
    ("192.0.2.10", "203.0.113.9", "192.0.2.10"),  # not through our proxy: the header is the client's own
    ("10.0.0.2", "203.0.113.9", "203.0.113.9"),
    ("10.0.0.2", "198.51.100.1, 203.0.113.9", "203.0.113.9"),  # the client's own entry on the left is skipped
    ("10.0.0.2", "203.0.113.9, 10.0.0.7", "203.0.113.9"),  # two proxies of ours
    ("10.0.0.2", "10.0.0.8, 10.0.0.7", "10.0.0.8"),  # all ours: the first of them
    ("10.0.0.2", None, "10.0.0.2"),
    ("10.0.0.2", "", "10.0.0.2"),
    ("10.0.0.2", "garbage, 10.0.0.7", "10.0.0.7"),  # a hop no proxy of ours wrote: stop at the last one we know
    ("2001:db8::1", "2001:db8::42", "2001:db8::42"),
])
def test_behind_trusted_proxies_the_first_untrusted_hop_from_the_right_is_the_client(proxies, remote, forwarded,
                                                                                     client):
    assert client_address(request(remote, forwarded)) == client
