"""Refuse webhook URLs that reach into the server's own network (SSRF).

A URL is checked when an endpoint is saved and again before each delivery, since DNS can change;
the delivery then connects to the address that was checked (no second lookup to rebind).
"""

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from vantio.kit.urls import IPAddress, is_public_address

# One message for every refusal of the host: whether a name resolves, and to what, is the
# server's network's business; telling it apart would let a caller map that network (SSRF).
NOT_PUBLIC = "must be an http or https URL whose host is a public internet address"


class UrlNotAllowed(Exception):
    def __init__(self, message: str = NOT_PUBLIC) -> None:
        super().__init__(message)


@dataclass(frozen=True)
class Target:
    host: str
    port: int
    address: str


async def resolve_public(url: str) -> Target:
    """The first address of the URL's host, if every address it resolves to is public."""
    parts = urlsplit(url)
    host = parts.hostname
    if not host or parts.scheme not in ("http", "https"):
        raise UrlNotAllowed()
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UrlNotAllowed("has an invalid port") from exc
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [literal]
    else:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except OSError as exc:
            raise UrlNotAllowed() from exc
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    if not addresses:
        raise UrlNotAllowed()
    for address in addresses:
        if not is_public_address(address):
            raise UrlNotAllowed()
    return Target(host=host, port=port, address=str(addresses[0]))
