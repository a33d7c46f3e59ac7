"""Prefixed IDs that sort by creation time: prefix + 10 chars of milliseconds + 16 random chars.

Within one millisecond the ids one process makes count up from the first one's random part (as
monotonic ULIDs do), so they sort in the order they were made there too: "the newest attempt"
is the greatest id even when several are written in the same millisecond (the dashboard's
failure streak miscounted when they were not). Ids made by two processes in one millisecond
sort in no particular order.
"""

import base64
import secrets
import threading

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
    return f"{prefix}_{_encode26(millis, _randoms(millis, 1))}"


def new_ids(prefix: str, count: int) -> list[str]:
    """`count` new IDs, in the order they sort (the scan writer makes hundreds at once)."""
    millis = int(utc_now().timestamp() * 1000)
    first = _randoms(millis, count)
    return [f"{prefix}_{_encode26(millis, first + i)}" for i in range(count)]


# The millisecond and random part of the newest id this process made.
_newest = [0, 0]
_newest_lock = threading.Lock()


def _randoms(millis: int, count: int) -> int:
    """The first of `count` consecutive random parts for ids of `millis`: after the newest ones
    of the same millisecond, else a fresh random start (79 bits: room to count up)."""
    with _newest_lock:
        newest_millis, newest_random = _newest
        if millis == newest_millis and newest_random + count < 2**80:
            first = newest_random + 1
        else:
            first = secrets.randbits(79)
        _newest[0], _newest[1] = millis, first + count - 1
    return first


def _encode26(millis: int, random80: int) -> str:
    """`_encode(millis, 10) + _encode(random80, 16)`, in C: 130 bits padded to 160 for b32encode."""
    value = ((millis & (2**50 - 1)) << 80 | random80) << 30
    return base64.b32encode(value.to_bytes(20)).translate(_FROM_RFC4648)[:26].decode()
