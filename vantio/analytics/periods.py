"""The time range of an analytics question: `from`/`to` read in the caller's time zone, cut
into day, week or month intervals at local midnights."""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from vantio.errors import FieldError
from vantio.kit.time import utc_now

MAX_INTERVALS = 1000
DEFAULT_DAYS = 30
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Range:
    start: datetime  # inclusive, UTC
    end: datetime  # exclusive, UTC
    tz: ZoneInfo


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise FieldError(
            "tz", f"unknown time zone '{name}' (use an IANA name such as Europe/Berlin)"
        ) from None


def parse_range(raw_from: str | None, raw_to: str | None, tz_name: str | None) -> Range:
    """`from`/`to` are dates (`2026-11-01`: local midnight; `to` includes its whole day) or ISO
    8601 times (without an offset: local time; `to` exclusive). Defaults: the last 30 days,
    today included."""
    tz = zone(tz_name)
    end = (
        _parse("to", raw_to, tz, end=True)
        if raw_to
        else _local_midnight(utc_now().astimezone(tz).date() + timedelta(days=1), tz)
    )
    if raw_from:
        start = _parse("from", raw_from, tz, end=False)
    else:
        try:
            start = _local_midnight(end.astimezone(tz).date() - timedelta(days=DEFAULT_DAYS), tz)
        except OverflowError:
            raise FieldError("to", "is out of range") from None
    if start >= end:
        raise FieldError("from", "must be before to", code="invalid_range")
    return Range(start, end, tz)


def boundaries(period: Range, interval: str) -> list[datetime]:
    """[start, b1, ..., end]: the range cut at each local midnight that starts a day, a week
    (Monday) or a month."""
    cuts = [period.start]
    local = period.start.astimezone(period.tz).date()
    while True:
        try:
            local = _next_start(local, interval)
            cut = _local_midnight(local, period.tz)
        except OverflowError:  # past year 9999: the range ends before
            break
        if cut >= period.end:
            break
        if cut > cuts[-1]:
            cuts.append(cut)
        if len(cuts) > MAX_INTERVALS:
            raise FieldError(
                "interval",
                f"the range holds more than {MAX_INTERVALS} {interval}s; use a longer interval or a shorter range",
            )
    cuts.append(period.end)
    return cuts


def _next_start(day: date, interval: str) -> date:
    if interval == "day":
        return day + timedelta(days=1)
    if interval == "week":
        return day + timedelta(days=7 - day.weekday())
    first = day.replace(day=1)
    return (first + timedelta(days=32)).replace(day=1)


def _local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def _parse(field: str, raw: str, tz: ZoneInfo, *, end: bool) -> datetime:
    if _DATE.match(raw):
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            raise FieldError(field, "is not a valid date") from None
        try:
            return _local_midnight(day + timedelta(days=1) if end else day, tz)
        except OverflowError:
            raise FieldError(field, "is out of range") from None
    if "T" in raw:  # an unencoded "+01:00" arrives as " 01:00"
        raw = raw.replace(" ", "+")
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise FieldError(field, "must be a date (2026-11-01) or an ISO 8601 time") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise FieldError(field, "is out of range") from None
