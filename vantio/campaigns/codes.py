"""Random codes from a pattern: pure, no database."""

import random
from dataclasses import dataclass

# No look-alikes: I and 1, O and 0 are left out (letters are upper case; codes compare
# case-insensitively, so L and l are the same code).
DEFAULT_CHARSET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
# The pattern must allow this many times more codes than requested, so that random draws rarely
# collide even as the campaign fills up (at most one draw in ten at the end).
HEADROOM = 10

_random = random.SystemRandom()


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


def generate(pattern: Pattern, count: int) -> list[str]:
    """`count` codes (possibly repeating each other: the caller removes repeats)."""
    length = pattern.length
    drawn = "".join(_random.choices(pattern.charset, k=count * length))
    return [
        f"{pattern.prefix}{drawn[i : i + length]}{pattern.suffix}"
        for i in range(0, count * length, length)
    ]
