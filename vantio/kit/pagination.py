"""List parameters shared by both surfaces: validated limit/offset, clamped to the maximum."""

from dataclasses import dataclass

from vantio.errors import FieldError

# The database takes a 64-bit offset at most; no list is anywhere near this long.
MAX_OFFSET = 2**31 - 1


@dataclass(frozen=True)
class Page:
    limit: int
    offset: int
    # Keyset paging for a long read (a streamed export): only rows with a smaller ID, so each
    # chunk costs the same however deep the read is (an offset re-reads every row it skips).
    before_id: str | None = None


def parse_page(limit: str | None, offset: str | None, *, default: int, maximum: int) -> Page:
    return Page(
        limit=min(_non_negative("limit", limit, default, minimum=1), maximum),
        offset=_non_negative("offset", offset, 0, minimum=0),
    )


def _non_negative(field: str, raw: str | None, default: int, *, minimum: int) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise FieldError(field, "must be an integer") from None
    if value < minimum:
        raise FieldError(field, f"must be at least {minimum}")
    if field == "offset" and value > MAX_OFFSET:
        raise FieldError(field, f"must be at most {MAX_OFFSET}")
    return value
