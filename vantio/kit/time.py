"""The one clock. Tests freeze it with `freeze`; everything else calls `utc_now`."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

_frozen: datetime | None = None
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def utc_now() -> datetime:
    return _frozen if _frozen is not None else datetime.now(UTC)


@contextmanager
def freeze(at: datetime) -> Iterator[None]:
    global _frozen
    previous, _frozen = _frozen, at.astimezone(UTC)
    try:
        yield
    finally:
        _frozen = previous


def isoformat(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a `Z`, second precision, as the docs print it."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def floor_to(at: datetime, step: timedelta) -> datetime:
    """The start of the `step`-long slot (counted from the Unix epoch, UTC) holding `at`."""
    return EPOCH + (at - EPOCH) // step * step
