"""Program analytics: the funnel over time, the ambassadors' leaderboard, posters and places.

What each figure counts (docs/API.md, "Payouts and analytics"):
- impressions: scans whose `scanned_at` falls in the interval;
- referrals: referrals created in the interval; converted / verified / rejected: those of them
  whose status is now `converted` or `verified` / `verified` / `rejected` (a cohort: the fate of
  the interval's sign-ups, so every rate is a share of the same people);
- earnings_count / earnings_amount: earnings created in the interval, in the answer's currency,
  whatever their status.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, case, func, literal_column, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement as Expr

from vantio.analytics import rollups
from vantio.analytics.models import ImpressionDay, ImpressionSlot, PosterDay
from vantio.analytics.periods import Range, boundaries
from vantio.auth.context import AuthContext
from vantio.db import repository
from vantio.earnings.models import Earning
from vantio.impressions.models import Impression
from vantio.posters.models import Poster
from vantio.referrals.models import Referral
from vantio.users.models import User

Q = TypeVar("Q")
CONVERTED = ("converted", "verified")
_ATTEMPTS = 5


@dataclass
class Figures:
    impressions: int = 0
    referrals: int = 0
    converted: int = 0
    verified: int = 0
    rejected: int = 0
    earnings_count: int = 0
    earnings_amount: int = 0

    def add(self, other: "Figures") -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def rates(self) -> dict[str, float | None]:
        return {
            "scan_to_signup_rate": rate(self.referrals, self.impressions),
            "signup_to_conversion_rate": rate(self.converted, self.referrals),
            "conversion_to_verification_rate": rate(self.verified, self.converted),
            "rejection_rate": rate(self.rejected, self.referrals),
        }


@dataclass
class Funnel:
    cuts: list[datetime]
    intervals: list[Figures]
    total: Figures


@dataclass
class AmbassadorFigures:
    user: User
    figures: Figures = field(default_factory=Figures)


@dataclass
class PosterFigures:
    poster: Poster
    figures: Figures = field(default_factory=Figures)


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


async def funnel(
    session: AsyncSession,
    auth: AuthContext,
    *,
    program_id: str | None,
    currency: str,
    period: Range,
    interval: str,
) -> Funnel:
    cuts = boundaries(period, interval)
    await _plan_for_these_values(session)
    for _ in range(_ATTEMPTS):
        mark = await rollups.watermark(session)
        intervals = [Figures() for _ in cuts[:-1]]
        scope = Scope(auth, program_id)
        for index, count in await _impressions_by_bucket(session, scope, cuts, mark):
            intervals[index].impressions += count
        for index, status, count in await session.execute(
            scope.of(
                Referral, select(_bucket(Referral.created_at, cuts), Referral.status, func.count())
            )
            .where(Referral.created_at >= cuts[0], Referral.created_at < cuts[-1])
            .group_by(literal_column("bucket"), Referral.status)
        ):
            _count_referrals(intervals[index], status, count)
        for index, count, amount in await session.execute(
            scope.of(
                Earning,
                select(_bucket(Earning.created_at, cuts), func.count(), func.sum(Earning.amount)),
            )
            .where(
                Earning.currency == currency,
                Earning.created_at >= cuts[0],
                Earning.created_at < cuts[-1],
            )
            .group_by(literal_column("bucket"))
        ):
            intervals[index].earnings_count += count
            intervals[index].earnings_amount += int(amount or 0)
        if await rollups.watermark(session) == mark:  # no refresh committed meanwhile
            total = Figures()
            for figures in intervals:
                total.add(figures)
            return Funnel(cuts, intervals, total)
    raise RuntimeError("the analytics rollups kept moving; try again")  # pragma: no cover


async def leaderboard(
    session: AsyncSession,
    auth: AuthContext,
    *,
    program_id: str | None,
    currency: str,
    period: Range,
) -> list[AmbassadorFigures]:
    """Every ambassador of the program (or the account) with their figures in the range."""
    scope = Scope(auth, program_id)
    await _plan_for_these_values(session)
    users = (await session.scalars(scope.of(User, select(User)).order_by(User.id))).all()
    for _ in range(_ATTEMPTS):
        mark = await rollups.watermark(session)
        rows = {user.id: AmbassadorFigures(user) for user in users}
        scans = await _impressions_by(
            session,
            scope,
            period,
            mark,
            ImpressionDay,
            ImpressionDay.student_id,
            Impression.student_id,
        )
        for student, count in scans.items():
            if student in rows:
                rows[student].figures.impressions = count
        for student, status, count in await session.execute(
            scope.of(Referral, select(Referral.student_id, Referral.status, func.count()))
            .where(Referral.created_at >= period.start, Referral.created_at < period.end)
            .group_by(Referral.student_id, Referral.status)
        ):
            if student in rows:
                _count_referrals(rows[student].figures, status, count)
        for student, count, amount in await session.execute(
            scope.of(Earning, select(Earning.student_id, func.count(), func.sum(Earning.amount)))
            .where(
                Earning.currency == currency,
                Earning.created_at >= period.start,
                Earning.created_at < period.end,
            )
            .group_by(Earning.student_id)
        ):
            if student in rows:
                rows[student].figures.earnings_count = count
                rows[student].figures.earnings_amount = int(amount or 0)
        if await rollups.watermark(session) == mark:
            return list(rows.values())
    raise RuntimeError("the analytics rollups kept moving; try again")  # pragma: no cover


async def posters(
    session: AsyncSession, auth: AuthContext, *, program_id: str | None, period: Range
) -> list[PosterFigures]:
    """Every poster of the program (or the account) with its scans and the referrals they made."""
    scope = Scope(auth, program_id)
    await _plan_for_these_values(session)
    found = (await session.scalars(scope.of(Poster, select(Poster)).order_by(Poster.id))).all()
    for _ in range(_ATTEMPTS):
        mark = await rollups.watermark(session)
        rows = {poster.id: PosterFigures(poster) for poster in found}
        scans = await _impressions_by(
            session, scope, period, mark, PosterDay, PosterDay.poster_id, Impression.poster_id
        )
        for poster_id, count in scans.items():
            if poster_id in rows:
                rows[poster_id].figures.impressions = count
        for poster_id, status, count in await session.execute(
            scope.of(
                Referral,
                select(Impression.poster_id, Referral.status, func.count()).join(
                    Impression, Impression.id == Referral.impression_id
                ),
            )
            .where(Referral.created_at >= period.start, Referral.created_at < period.end)
            .group_by(Impression.poster_id, Referral.status)
        ):
            if poster_id in rows:
                _count_referrals(rows[poster_id].figures, status, count)
        if await rollups.watermark(session) == mark:
            return list(rows.values())
    raise RuntimeError("the analytics rollups kept moving; try again")  # pragma: no cover


async def _plan_for_these_values(session: AsyncSession) -> None:
    """PostgreSQL only: plan each statement for its own values. asyncpg prepares statements and,
    after five runs, PostgreSQL may switch to a generic plan that cannot see that `id >= mark`
    selects a few unfolded rows and scans the whole table instead (measured: 100x slower)."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


def _count_referrals(figures: Figures, status: str, count: int) -> None:
    figures.referrals += count
    if status in CONVERTED:
        figures.converted += count
    if status == "verified":
        figures.verified += count
    if status == "rejected":
        figures.rejected += count


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


def _bucket(column: Any, cuts: Sequence[datetime]) -> ColumnElement[Any]:
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


def _rollup_span(
    start: datetime, end: datetime, step: Any, inner: Sequence[datetime] = ()
) -> tuple[datetime, datetime]:
    """The part of [start, end) the rollups of granularity `step` can answer exactly, or an
    empty span at `end` when an interval boundary falls inside a rollup slot."""
    try:
        low, high = rollups.ceil_to(start, step), rollups.floor_to(end, step)
    except OverflowError:  # a range touching year 1 or 9999: count it all from the rows
        return end, end
    if low >= high or any(rollups.floor_to(cut, step) != cut for cut in inner):
        return end, end
    return low, high


async def _impressions_by_bucket(
    session: AsyncSession, scope: Scope, cuts: list[datetime], mark: str
) -> list[tuple[int, int]]:
    start, end = cuts[0], cuts[-1]
    low, high = _rollup_span(start, end, rollups.SLOT, cuts[1:-1])
    found: list[tuple[int, int]] = []
    if low < high:
        bucket = _bucket(ImpressionSlot.slot_start, cuts)
        found += [
            (index, int(count))
            for index, count in await session.execute(
                scope.of(ImpressionSlot, select(bucket, func.sum(ImpressionSlot.count)))
                .where(ImpressionSlot.slot_start >= low, ImpressionSlot.slot_start < high)
                .group_by(literal_column("bucket"))
            )
        ]
    bucket = _bucket(Impression.scanned_at, cuts)
    for condition in _raw_parts(start, end, low, high, mark):
        found += [
            (index, int(count))
            for index, count in await session.execute(
                scope.of(Impression, select(bucket, func.count()))
                .where(*condition)
                .group_by(literal_column("bucket"))
            )
        ]
    return found


async def _impressions_by(
    session: AsyncSession,
    scope: Scope,
    period: Range,
    mark: str,
    rollup: type[ImpressionDay] | type[PosterDay],
    rollup_key: Any,
    raw_key: Any,
) -> dict[str, int]:
    """Impressions in the range per ambassador or per poster: whole UTC days from the rollup,
    the range's partial days and everything not yet rolled up from `impressions`."""
    low, high = _rollup_span(period.start, period.end, rollups.DAY)
    counts: dict[str, int] = defaultdict(int)
    if low < high:
        for key, count in await session.execute(
            scope.of(rollup, select(rollup_key, func.sum(rollup.count)))
            .where(rollup.day_start >= low, rollup.day_start < high)
            .group_by(rollup_key)
        ):
            counts[key] += int(count)
    for condition in _raw_parts(period.start, period.end, low, high, mark):
        for key, count in await session.execute(
            scope.of(Impression, select(raw_key, func.count())).where(*condition).group_by(raw_key)
        ):
            counts[key] += int(count)
    return counts


def _raw_parts(
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
