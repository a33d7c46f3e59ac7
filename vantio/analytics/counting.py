"""The building blocks of the figures: the scope of every query (tenant, program, some keys, a
time range), interval buckets, and impressions counted from the rollups plus the rows the
rollups do not hold yet (see rollups.py for the watermark that splits the two)."""

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, case, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement as Expr

from vantio.analytics import rollups
from vantio.analytics.models import ImpressionDay, ImpressionSlot, PosterDay
from vantio.analytics.periods import Range
from vantio.auth.context import AuthContext
from vantio.db import repository
from vantio.impressions.models import Impression
from vantio.kit.time import floor_to

Q = TypeVar("Q")


@dataclass(frozen=True)
class Scope:
    """The tenant (always) and the program (when asked) of every query."""

    auth: AuthContext
    program_id: str | None

    def of(self, model: Any, query: Q) -> Q:
        scoped: Any = query
        scoped = scoped.where(repository.owned_by(model, self.auth))
        if self.program_id is not None:
            scoped = scoped.where(model.program_id == self.program_id)
        result: Q = scoped
        return result


def within(column: Any, period: Range | None) -> list[ColumnElement[bool]]:
    """`column` in the range; no condition at all for all time, so that an index without the
    column still answers (the ambassadors' figures count referrals from the index alone)."""
    if period is None:
        return []
    return [column >= period.start, column < period.end]


def among(query: Q, column: Any, keys: Collection[str] | None) -> Q:
    """Only the rows whose `column` is one of `keys` (all of them for None)."""
    if keys is None:
        return query
    narrowed: Any = query
    result: Q = narrowed.where(column.in_(keys))
    return result


def bucket(column: Any, cuts: Sequence[datetime]) -> ColumnElement[Any]:
    """The index of the interval [cuts[i], cuts[i+1]) holding `column`, labelled `bucket` (group
    by the label: PostgreSQL does not match a repeated expression with its own parameters): a
    balanced CASE, so each row costs log2(intervals) comparisons, the same SQL everywhere."""

    def build(low: int, high: int) -> Expr[Any]:
        if low == high:
            return literal_column(str(low))
        middle = (low + high + 1) // 2
        return case((column < cuts[middle], build(low, middle - 1)), else_=build(middle, high))

    if len(cuts) == 2:
        return case((column < cuts[1], literal_column("0")), else_=literal_column("0")).label(
            "bucket"
        )
    return build(0, len(cuts) - 2).label("bucket")


def rollup_span(
    start: datetime, end: datetime, step: Any, inner: Sequence[datetime] = ()
) -> tuple[datetime, datetime]:
    """The part of [start, end) the rollups of granularity `step` can answer exactly, or an
    empty span at `end` when an interval boundary falls inside a rollup slot."""
    try:
        low, high = rollups.ceil_to(start, step), floor_to(end, step)
    except OverflowError:  # a range touching year 1 or 9999: count it all from the rows
        return end, end
    if low >= high or any(floor_to(cut, step) != cut for cut in inner):
        return end, end
    return low, high


async def impressions_by_bucket(
    session: AsyncSession, scope: Scope, cuts: list[datetime], mark: str
) -> list[tuple[int, int]]:
    start, end = cuts[0], cuts[-1]
    low, high = rollup_span(start, end, rollups.SLOT, cuts[1:-1])
    found: list[tuple[int, int]] = []
    if low < high:
        slot = bucket(ImpressionSlot.slot_start, cuts)
        found += [
            (index, int(count))
            for index, count in await session.execute(
                scope.of(ImpressionSlot, select(slot, func.sum(ImpressionSlot.count)))
                .where(ImpressionSlot.slot_start >= low, ImpressionSlot.slot_start < high)
                .group_by(literal_column("bucket"))
            )
        ]
    scanned = bucket(Impression.scanned_at, cuts)
    for condition in raw_parts(start, end, low, high, mark):
        found += [
            (index, int(count))
            for index, count in await session.execute(
                scope.of(Impression, select(scanned, func.count()))
                .where(*condition)
                .group_by(literal_column("bucket"))
            )
        ]
    return found


async def impressions_by(
    session: AsyncSession,
    scope: Scope,
    period: Range | None,
    mark: str,
    rollup: type[ImpressionDay] | type[PosterDay],
    rollup_key: Any,
    raw_key: Any,
    keys: Collection[str] | None,
) -> dict[str, int]:
    """Impressions in the range per ambassador or per poster (of `keys`, or all): whole UTC days
    from the rollup, the range's partial days and everything not yet rolled up from
    `impressions`."""
    counts: dict[str, int] = defaultdict(int)
    removed: list[list[ColumnElement[bool]]] = []
    if period is None:  # every rollup row, and the rows not rolled up yet
        days: list[ColumnElement[bool]] = []
        unfolded = [[Impression.id >= mark]]
    else:
        low, high = rollup_span(period.start, period.end, rollups.DAY)
        raw_low, raw_high = low, high
        if low < high:  # a partial day mostly inside the range: its whole day less the rest
            low, high, removed = _whole_edge_days(period, low, high, mark)
            raw_low, raw_high = max(low, period.start), min(high, period.end)
        unfolded = raw_parts(period.start, period.end, raw_low, raw_high, mark)
        days = [rollup.day_start >= low, rollup.day_start < high] if low < high else []
    for condition in removed:
        for key, count in await session.execute(
            among(scope.of(Impression, select(raw_key, func.count())), raw_key, keys)
            .where(*condition)
            .group_by(raw_key)
        ):
            counts[key] -= int(count)
    if period is None or days:
        for key, count in await session.execute(
            among(scope.of(rollup, select(rollup_key, func.sum(rollup.count))), rollup_key, keys)
            .where(*days)
            .group_by(rollup_key)
        ):
            counts[key] += int(count)
    for condition in unfolded:
        for key, count in await session.execute(
            among(scope.of(Impression, select(raw_key, func.count())), raw_key, keys)
            .where(*condition)
            .group_by(raw_key)
        ):
            counts[key] += int(count)
    return counts


def _whole_edge_days(
    period: Range, low: datetime, high: datetime, mark: str
) -> tuple[datetime, datetime, list[list[ColumnElement[bool]]]]:
    """Where the range covers most of a partial day at an edge (Europe/Berlin's last day is 23
    hours of a UTC day), take that whole day from the rollup and subtract the rolled-up rows of
    the day outside the range, fewer than those inside (exact: the rollup's day is those rows).
    Returns the rollup's days and the parts to subtract."""
    at, folded = Impression.scanned_at, Impression.id < mark
    removed = []
    if period.start < low and low - period.start > period.start - (low - rollups.DAY):
        low -= rollups.DAY
        removed.append([folded, at >= low, at < period.start])
    if high < period.end and period.end - high > high + rollups.DAY - period.end:
        high += rollups.DAY
        removed.append([folded, at >= period.end, at < high])
    return low, high, removed


def raw_parts(
    start: datetime, end: datetime, low: datetime, high: datetime, mark: str
) -> list[list[ColumnElement[bool]]]:
    """The impressions in [start, end) the rollup over [low, high) does not hold, as disjoint
    parts each served by an index: stored since the watermark (primary key), and older ones
    scanned in [start, low) or [high, end) (program_id, scanned_at)."""
    at = Impression.scanned_at
    parts = [[Impression.id >= mark, at >= start, at < end]]
    if start < low:
        parts.append([Impression.id < mark, at >= start, at < low])
    if high < end:
        parts.append([Impression.id < mark, at >= high, at < end])
    return parts
