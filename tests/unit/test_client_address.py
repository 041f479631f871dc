"""X-Forwarded-For names the client only when the direct peer is a trusted
proxy; then the right-most hop that is not one of ours (gateway.client_address)."""
import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from gateway.client_address import client, networks, of

PROXIES = networks("10.0.0.0/8, 192.168.1.7")


@pytest.mark.parametrize("peer, forwarded, expected", [
    # no trusted proxy configured: the header is anyone's word
    ("203.0.113.9", "198.51.100.1", "203.0.113.9"),
    # an untrusted peer cannot name another client
    ("198.51.100.66", "198.51.100.1", "198.51.100.66"),
    # the ingress (trusted) forwards for the client
    ("10.1.2.3", "198.51.100.1", "198.51.100.1"),
    # the client wrote a forged hop first: the right-most untrusted one wins
    ("10.1.2.3", "1.2.3.4, 198.51.100.1", "198.51.100.1"),
    # two proxies of ours in the chain
    ("10.1.2.3", "198.51.100.1, 192.168.1.7", "198.51.100.1"),
    # every hop ours: the farthest
    ("10.1.2.3", "10.9.9.9, 192.168.1.7", "10.9.9.9"),
    # no header, or a malformed one: the peer
    ("10.1.2.3", "", "10.1.2.3"),
    ("10.1.2.3", "unknown, 198.51.100.1", "10.1.2.3"),
    ("10.1.2.3", "198.51.100.1,", "10.1.2.3"),
    # IPv6
    ("10.1.2.3", "2001:db8::1", "2001:db8::1"),
])
def test_the_client_address(peer, forwarded, expected):
    assert client(peer, forwarded, PROXIES) == expected


def test_without_trusted_proxies_the_header_is_ignored():
    assert client("10.1.2.3", "198.51.100.1", ()) == "10.1.2.3"


def test_of_a_request_reads_every_forwarded_header_in_order():
    environ = EnvironBuilder(headers=[("X-Forwarded-For", "1.2.3.4"),
                                      ("X-Forwarded-For", "198.51.100.1")],
                             environ_base={"REMOTE_ADDR": "10.1.2.3"}).get_environ()
    assert of(Request(environ), PROXIES) == "198.51.100.1"
