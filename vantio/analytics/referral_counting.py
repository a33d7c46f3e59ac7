"""Referrals counted per status from their rollups (vantio/referrals/rollups.py), plus the rows
of a range's partial slots or days counted from `referrals` itself.

The referral rollups are kept in the transaction of every referral's creation and status change,
so unlike the impressions' there is no watermark: whatever a query reads of them is exact. A
rollup answers the whole slots (funnel) or UTC days (leaderboard, posters) of the range; the
ends of a range that cut through a slot or day are counted from the rows, each served by an
index (`program_id, created_at`).
"""

from collections.abc import Collection, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from vantio.analytics.counting import Scope, among, bucket, rollup_span
from vantio.analytics.periods import Range
from vantio.impressions.models import Impression
from vantio.referrals import rollups as referral_rollups
from vantio.referrals.models import Referral, ReferralDay, ReferralPosterDay, ReferralSlot

Counted = Iterator[tuple[Any, str, int]]  # (bucket or key, status, referrals)


def _sums(model: Any) -> list[Any]:
    return [func.sum(getattr(model, status)) for status in referral_rollups.STATUSES]


def _spread(rows: Any) -> Counted:
    """(key, pending, converted, verified, rejected) rows as (key, status, count)."""
    for key, *sums in rows:
        for status, total in zip(referral_rollups.STATUSES, sums, strict=True):
            if total:
                yield key, status, int(total)


def _edges(
    start: datetime, end: datetime, low: datetime, high: datetime
) -> list[list[ColumnElement[bool]]]:
    """The parts of [start, end) outside the rollups' [low, high), as conditions on the rows."""
    at = Referral.created_at
    if low >= high:
        return [[at >= start, at < end]]
    parts = []
    if start < low:
        parts.append([at >= start, at < low])
    if high < end:
        parts.append([at >= high, at < end])
    return parts


async def by_bucket(session: AsyncSession, scope: Scope, cuts: Sequence[datetime]) -> Counted:
    """Referrals created in each interval [cuts[i], cuts[i+1]) per status, as (i, status, n)."""
    start, end = cuts[0], cuts[-1]
    low, high = rollup_span(start, end, referral_rollups.SLOT, cuts[1:-1])
    found: list[tuple[Any, str, int]] = []
    if low < high:
        slot = bucket(ReferralSlot.slot_start, cuts)
        found += _spread(
            await session.execute(
                scope.of(ReferralSlot, select(slot, *_sums(ReferralSlot)))
                .where(ReferralSlot.slot_start >= low, ReferralSlot.slot_start < high)
                .group_by(literal_column("bucket"))
            )
        )
    created = bucket(Referral.created_at, cuts)
    for condition in _edges(start, end, low, high):
        found += [
            (index, status, int(count))
            for index, status, count in await session.execute(
                scope.of(Referral, select(created, Referral.status, func.count()))
                .where(*condition)
                .group_by(literal_column("bucket"), Referral.status)
            )
        ]
    return iter(found)


async def by_ambassador(
    session: AsyncSession, scope: Scope, period: Range | None, keys: Collection[str] | None
) -> Counted:
    """Referrals per ambassador and status created in the range (None: all time)."""
    return await _by(
        session, scope, period, keys, ReferralDay, ReferralDay.student_id, Referral.student_id
    )


async def by_poster(
    session: AsyncSession, scope: Scope, period: Range | None, keys: Collection[str] | None
) -> Counted:
    """Referrals per poster (of the scan each came from) and status created in the range."""
    return await _by(
        session,
        scope,
        period,
        keys,
        ReferralPosterDay,
        ReferralPosterDay.poster_id,
        Impression.poster_id,
    )


async def _by(
    session: AsyncSession,
    scope: Scope,
    period: Range | None,
    keys: Collection[str] | None,
    rollup: type[ReferralDay] | type[ReferralPosterDay],
    rollup_key: Any,
    raw_key: Any,
) -> Counted:
    found: list[tuple[Any, str, int]] = []
    if period is None:  # every day of the rollup, nothing from the rows
        low, high, edges = None, None, []
    else:
        low, high = rollup_span(period.start, period.end, referral_rollups.DAY)
        edges = _edges(period.start, period.end, low, high)
    if low is None or (high is not None and low < high):
        days = [] if low is None else [rollup.day_start >= low, rollup.day_start < high]
        found += _spread(
            await session.execute(
                among(scope.of(rollup, select(rollup_key, *_sums(rollup))), rollup_key, keys)
                .where(*days)
                .group_by(rollup_key)
            )
        )
    for condition in edges:
        query = scope.of(Referral, select(raw_key, Referral.status, func.count()))
        if raw_key is Impression.poster_id:
            query = query.join(Impression, Impression.id == Referral.impression_id)
        found += [
            (key, status, int(count))
            for key, status, count in await session.execute(
                among(query, raw_key, keys).where(*condition).group_by(raw_key, Referral.status)
            )
        ]
    return iter(found)
