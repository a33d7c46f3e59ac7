"""Who the client is behind reverse proxies: `X-Forwarded-For` is believed only from a proxy
the operator named (`VANTIO_TRUSTED_PROXIES`, comma-separated addresses or CIDRs).

Anyone can send `X-Forwarded-For: 1.2.3.4`; believed from any peer (or from loopback, where a
local attacker or another service on the host also connects), it lets a client choose the
address that rate limits and sign-in limits count it under.
"""

import functools
import ipaddress
from collections.abc import Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


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
    ip = _parsed(address.strip().strip("[]"))
    return ip is not None and _within(ip, tuple(networks))


@functools.lru_cache(maxsize=4096)
def _parsed(text: str) -> IPAddress | None:
    """The address `text` spells, or None. Remembered: a server sees the same few proxies, and
    each phone again on its next request (parsing one costs more than the rest of the check)."""
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


@functools.lru_cache(maxsize=4096)
def _within(ip: IPAddress, networks: tuple[Network, ...]) -> bool:
    return any(ip in network for network in networks)


def client_address(peer: str, forwarded_for: Sequence[str], networks: Sequence[Network]) -> str:
    """The client's address: the peer itself, unless the peer is a trusted proxy; then the
    nearest address of `X-Forwarded-For` (read from the right) that is not a trusted proxy."""
    if not networks or not _trusted(peer, networks):
        return peer
    hops = [hop.strip() for header in forwarded_for for hop in header.split(",") if hop.strip()]
    for hop in reversed(hops):
        ip = _parsed(hop.strip("[]"))
        if ip is None:
            return peer  # garbage from the client's side: count it as the proxy
        if not _within(ip, tuple(networks)):
            return str(ip)
    return hops[0] if hops else peer
