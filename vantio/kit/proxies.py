"""Who the client is behind reverse proxies: `X-Forwarded-For` is believed only from a proxy
the operator named (`VANTIO_TRUSTED_PROXIES`, comma-separated addresses or CIDRs).

Anyone can send `X-Forwarded-For: 1.2.3.4`; believed from any peer (or from loopback, where a
local attacker or another service on the host also connects), it lets a client choose the
address that rate limits and sign-in limits count it under.
"""

import ipaddress
from collections.abc import Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(text: str) -> tuple[Network, ...]:
    """`"10.0.0.0/8, 127.0.0.1"` → the networks (`"*"`: every address, for a server only its
    proxy can reach); a bad entry raises ValueError naming it."""
    networks: list[Network] = []
    for entry in text.split(","):
        entry = entry.strip()
        if not entry:
            continue
        if entry == "*":
            networks += [ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0")]
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"not an IP address or network: {entry!r}") from None
    return tuple(networks)


def _trusted(address: str, networks: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip().strip("[]"))
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(peer: str, forwarded_for: Sequence[str], networks: Sequence[Network]) -> str:
    """The client's address: the peer itself, unless the peer is a trusted proxy; then the
    nearest address of `X-Forwarded-For` (read from the right) that is not a trusted proxy."""
    if not networks or not _trusted(peer, networks):
        return peer
    hops = [hop.strip() for header in forwarded_for for hop in header.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, networks):
            try:
                return str(ipaddress.ip_address(hop.strip("[]")))
            except ValueError:
                return peer  # garbage from the client's side: count it as the proxy
    return hops[0] if hops else peer
