"""Whether an address or URL is reachable from the public internet, judged without a DNS lookup.

Two callers ask: the webhook SSRF guard (is this resolved address one of ours?) and the poster
printer (will a phone that scans this QR code reach it?).
"""

import ipaddress
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Names that only mean something on the local machine or network (RFC 6761, 6762, 8375).
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".home.arpa", ".lan")


# NAT64's local-use prefix (RFC 8215): whatever it embeds, a translator of this network serves it.
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")
_NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 form carries: IPv4-mapped (`::ffff:0:0/96`), IPv4-compatible
    (`::/96`), 6to4 (`2002::/16`), Teredo (`2001::/32`: server and client) and NAT64's
    well-known prefix (`64:ff9b::/96`). A packet to such an address can end up at that IPv4."""
    found: list[ipaddress.IPv4Address] = []
    if address.ipv4_mapped is not None:
        found.append(address.ipv4_mapped)
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.extend(address.teredo)
    if address in _NAT64_WELL_KNOWN or (address in _IPV4_COMPATIBLE and int(address) > 1):
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return found


def _is_global(address: IPAddress) -> bool:
    return not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def is_public_address(address: IPAddress) -> bool:
    """A globally routable unicast address: not private, loopback, link-local, reserved...

    An IPv6 address that embeds an IPv4 one (see `embedded_ipv4`) is public only if what it
    embeds is too: `[2002:7f00:1::]` is 127.0.0.1 by 6to4. NAT64's local-use prefix never is
    public, nor are the deprecated IPv4-compatible addresses (`::/96`, reserved).
    """
    if isinstance(address, ipaddress.IPv6Address):
        if address in _NAT64_LOCAL:
            return False
        embedded = embedded_ipv4(address)
        if address.ipv4_mapped is not None or address in _NAT64_WELL_KNOWN:
            # The IPv4 address itself, seen from IPv6 (or through a DNS64 network's translator):
            # judged as it is.
            return _is_global(embedded[0])
        if embedded and not all(_is_global(inner) for inner in embedded):
            return False
    return _is_global(address)


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
