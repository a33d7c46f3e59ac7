"""Prefixed IDs that sort by creation time: prefix + 10 chars of milliseconds + 16 random chars."""

import base64
import os
import secrets

from vantio.kit.time import utc_now

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case
# base64's base32 alphabet mapped onto ours: b32encode does the 5-bit grouping in C.
_FROM_RFC4648 = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", _ALPHABET.encode())


def _encode(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        value, rem = divmod(value, 32)
        chars.append(_ALPHABET[rem])
    return "".join(reversed(chars))


def new_id(prefix: str) -> str:
    millis = int(utc_now().timestamp() * 1000)
    return f"{prefix}_{_encode26(millis, secrets.randbits(80))}"


def new_ids(prefix: str, count: int) -> list[str]:
    """`count` new IDs with one call for randomness (the scan writer makes hundreds at once)."""
    millis = int(utc_now().timestamp() * 1000)
    noise = os.urandom(10 * count)
    return [
        f"{prefix}_{_encode26(millis, int.from_bytes(noise[i : i + 10]))}"
        for i in range(0, 10 * count, 10)
    ]


def _encode26(millis: int, random80: int) -> str:
    """`_encode(millis, 10) + _encode(random80, 16)`, in C: 130 bits padded to 160 for b32encode."""
    value = ((millis & (2**50 - 1)) << 80 | random80) << 30
    return base64.b32encode(value.to_bytes(20)).translate(_FROM_RFC4648)[:26].decode()
