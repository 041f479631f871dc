"""The client's address (docs/API.md#conventions), for sign-in throttling and
the audit trail.

Behind a load balancer or ingress every request comes from the proxy: the
client is named in ``X-Forwarded-For``, which anyone can also write. So the
header is believed only when the direct peer is in ``TRUSTED_PROXIES``
(comma-separated networks, ``10.0.0.0/8, 192.168.1.7``; default none); the
client is then the right-most address of the chain that is not itself a
trusted proxy (what the left of it says was written by someone we do not
trust). Otherwise, and when the header is malformed, the peer address.
"""
import ipaddress


def networks(value):
    """``TRUSTED_PROXIES`` as a tuple of networks; a malformed one is refused
    at start (a typo would silently trust no one, or everyone)."""
    found = []
    for item in str(value or "").split(","):
        item = item.strip()
        if item:
            try:
                found.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                raise ValueError(f"TRUSTED_PROXIES: {item!r} is not an address or network "
                                 "like 10.0.0.0/8") from None
    return tuple(found)


def _address(text):
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def trusted(address, proxies):
    return address is not None and any(address in network for network in proxies)


def client(peer, forwarded_for, proxies):
    """The client's address as text: ``peer`` (the direct connection), or, when
    it is a trusted proxy, the right-most untrusted hop of ``forwarded_for``."""
    if not proxies or not forwarded_for or not trusted(_address(peer or ""), proxies):
        return peer
    hops = [_address(hop) for hop in forwarded_for.split(",")]
    if any(hop is None for hop in hops):
        return peer   # a hop that is no address: believe none of it
    for hop in reversed(hops):
        if not trusted(hop, proxies):
            return str(hop)
    return str(hops[0])   # every hop is a proxy of ours: the farthest one


def of(request, proxies):
    """The client address of a werkzeug request (every X-Forwarded-For header, in order)."""
    forwarded = ",".join(request.headers.getlist("X-Forwarded-For"))
    return client(request.remote_addr, forwarded, proxies)
