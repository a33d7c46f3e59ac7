"""Whether an address or URL is reachable from the public internet, judged without a DNS lookup.

Two callers ask: the webhook SSRF guard (is this resolved address one of ours?) and the poster
printer (will a phone that scans this QR code reach it?).
"""

import ipaddress
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Names that only mean something on the local machine or network (RFC 6761, 6762, 8375).
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".home.arpa", ".lan")


def is_public_address(address: IPAddress) -> bool:
    """A globally routable unicast address: not private, loopback, link-local, reserved..."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def is_public_url(url: str) -> bool:
    """Whether an http(s) URL names a host that someone elsewhere on the internet can reach.

    Not public: loopback, `0.0.0.0`, private and link-local addresses, `localhost` and names
    under local-only suffixes, and single-label hosts (`http://testserver`, `http://nas`), which
    resolve only inside one network. A public-looking name is trusted as it is: whether its DNS
    answers a private address is a question for the network, not for the URL.
    """
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not host:
        return False
    host = host.rstrip(".").lower()
    try:
        return is_public_address(ipaddress.ip_address(host.split("%")[0]))
    except ValueError:
        pass
    if host == "localhost" or host.endswith(_LOCAL_SUFFIXES):
        return False
    labels = host.split(".")
    # No top-level domain is numeric: `127.1` or `0x7f.1` is an address in a form browsers
    # still accept, not a name.
    top = labels[-1]
    return len(labels) > 1 and not (top.isdigit() or top.startswith("0x"))
