"""Random codes from a pattern: pure, no database."""

import os
from dataclasses import dataclass

# No look-alikes: I and 1, O and 0 are left out (letters are upper case; codes compare
# case-insensitively, so L and l are the same code).
DEFAULT_CHARSET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
# The pattern must allow this many times more codes than requested, so that random draws rarely
# collide even as the campaign fills up (at most one draw in ten at the end).
HEADROOM = 10


@dataclass(frozen=True)
class Pattern:
    prefix: str
    suffix: str
    length: int
    charset: str

    @property
    def space(self) -> int:
        space: int = len(self.charset) ** self.length
        return space

    def wire(self) -> dict[str, object]:
        return {
            "prefix": self.prefix,
            "suffix": self.suffix,
            "length": self.length,
            "charset": self.charset,
        }


def normalize_charset(charset: str) -> str:
    """Upper case without repeats, in the given order (codes are case-insensitive)."""
    return "".join(dict.fromkeys(charset.upper()))


def draw(charset: str, size: int) -> str:
    """`size` characters of `charset` (ASCII), uniformly at random from the OS's generator.

    Random bytes are mapped onto the charset in C (`bytes.translate`); the bytes at or above the
    largest multiple of the charset's length are dropped, so no character is favoured.
    """
    n = len(charset)
    limit = 256 - 256 % n
    table = bytes(ord(charset[b % n]) if b < limit else 0 for b in range(256))
    rejected = bytes(range(limit, 256))
    out = b""
    while len(out) < size:
        missing = size - len(out)
        out += os.urandom(missing + missing // 4 + 16).translate(table, rejected)
    return out[:size].decode("ascii")


def generate(pattern: Pattern, count: int) -> list[str]:
    """`count` codes (possibly repeating each other: the caller removes repeats)."""
    length = pattern.length
    drawn = draw(pattern.charset, count * length)
    return [
        f"{pattern.prefix}{drawn[i : i + length]}{pattern.suffix}"
        for i in range(0, count * length, length)
    ]
