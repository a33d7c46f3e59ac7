"""Program analytics: the funnel over time, the ambassadors' leaderboard, posters and places.

What each figure counts (docs/API.md, "Payouts and analytics"):
- impressions: scans whose `scanned_at` falls in the interval;
- referrals: referrals created in the interval; converted / verified / rejected: those of them
  whose status is now `converted` or `verified` / `verified` / `rejected` (a cohort: the fate of
  the interval's sign-ups, so every rate is a share of the same people);
- earnings_count / earnings_amount: earnings created in the interval, in the answer's currency,
  except `failed` ones (`counted_earnings`).

The dashboard shows these same figures through these functions, so the two cannot disagree.
"""

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, literal_column, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from vantio.analytics import counting, referral_counting, rollups
from vantio.analytics.models import ImpressionDay, PosterDay
from vantio.analytics.narrowing import Narrow, scanned_within
from vantio.analytics.periods import Range, boundaries
from vantio.auth.context import AuthContext
from vantio.earnings.models import Earning
from vantio.impressions.models import Impression
from vantio.posters.models import Poster
from vantio.referrals.models import Referral
from vantio.referrals.service import CONVERTED_STATUSES
from vantio.users.models import User

# A failed earning is a voided commission or a payment that did not go through: not earned. It
# counts again once the operator moves it back to `pending` to retry it (docs/API.md).
NOT_EARNED = "failed"
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
    # Distinct devices that scanned, per interval and over the whole range (when asked): a
    # device is an impression's fingerprint (poster, IP, user agent), so one phone scanning two
    # posters counts once per poster; an impression recorded without one counts on its own.
    unique_scanners: list[int] | None = None
    unique_scanners_total: int | None = None


@dataclass(frozen=True, slots=True)
class Ambassador:
    """What the figures show of an ambassador: read as columns, not as `User` objects (2,000
    ORM objects with their JSON metadata cost more than the figures' queries)."""

    id: str
    program_id: str
    first_name: str
    last_name: str
    email: str


@dataclass(frozen=True, slots=True)
class PosterInfo:
    """What the figures show of a poster (columns, as for `Ambassador`)."""

    id: str
    program_id: str
    student_id: str
    location: str | None
    code: str


@dataclass
class AmbassadorFigures:
    user: Ambassador
    figures: Figures = field(default_factory=Figures)
    # The amount earned in each currency (`figures` holds the asked currency's count and sum).
    earned: dict[str, int] = field(default_factory=dict)


@dataclass
class PosterFigures:
    poster: PosterInfo
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
    poster_id: str | None = None,
    student_id: str | None = None,
    unique_scanners: bool = False,
) -> Funnel:
    """The figures per interval of the program (or the account), narrowed to one poster (its
    scans, the referrals they made and their earnings) or one ambassador when asked."""
    cuts = boundaries(period, interval)
    await _plan_for_these_values(session)
    narrow = Narrow(poster_id, student_id)
    for _ in range(_ATTEMPTS):
        mark = await rollups.watermark(session)
        intervals = [Figures() for _ in cuts[:-1]]
        scope = counting.Scope(auth, program_id)
        if narrow.any:  # one poster's or ambassador's rows: few, counted from the rows
            for index, count in await session.execute(
                narrow.impressions(
                    scope.of(
                        Impression,
                        select(counting.bucket(Impression.scanned_at, cuts), func.count()),
                    )
                )
                .where(*scanned_within(cuts))
                .group_by(literal_column("bucket"))
            ):
                intervals[index].impressions += count
        else:
            for index, count in await counting.impressions_by_bucket(session, scope, cuts, mark):
                intervals[index].impressions += count
        if narrow.any:
            referrals = await session.execute(
                narrow.referrals(
                    scope.of(
                        Referral,
                        select(
                            counting.bucket(Referral.created_at, cuts),
                            Referral.status,
                            func.count(),
                        ),
                    )
                )
                .where(Referral.created_at >= cuts[0], Referral.created_at < cuts[-1])
                .group_by(literal_column("bucket"), Referral.status)
            )
        else:
            referrals = await referral_counting.by_bucket(session, scope, cuts)
        for index, status, count in referrals:
            _count_referrals(intervals[index], status, count)
        for index, count, amount in await session.execute(
            narrow.earnings(
                counted_earnings(
                    scope,
                    counting.bucket(Earning.created_at, cuts),
                    func.count(),
                    func.sum(Earning.amount),
                )
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
            result = Funnel(cuts, intervals, total)
            if unique_scanners:
                await _count_scanners(session, scope, narrow, cuts, result)
            return result
    raise RuntimeError("the analytics rollups kept moving; try again")  # pragma: no cover


async def _count_scanners(
    session: AsyncSession,
    scope: counting.Scope,
    narrow: Narrow,
    cuts: list[datetime],
    result: Funnel,
) -> None:
    """Distinct devices per interval and over the range, from the impressions themselves (the
    rollups hold counts, not devices)."""
    device = func.count(func.distinct(func.coalesce(Impression.fingerprint, Impression.id)))
    per_interval = [0] * (len(cuts) - 1)
    for index, count in await session.execute(
        narrow.impressions(
            scope.of(Impression, select(counting.bucket(Impression.scanned_at, cuts), device))
        )
        .where(*scanned_within(cuts))
        .group_by(literal_column("bucket"))
    ):
        per_interval[index] = int(count)
    total = await session.scalar(
        narrow.impressions(scope.of(Impression, select(device))).where(*scanned_within(cuts))
    )
    result.unique_scanners = per_interval
    result.unique_scanners_total = int(total or 0)


async def leaderboard(
    session: AsyncSession,
    auth: AuthContext,
    *,
    program_id: str | None,
    currency: str | None,
    period: Range | None,
    user_ids: Collection[str] | None = None,
) -> list[AmbassadorFigures]:
    """Every ambassador of the program (or the account), or those of `user_ids`, with their
    figures in the range (None: all time); earnings in `currency` in `figures`, in every
    currency in `earned`."""
    scope = counting.Scope(auth, program_id)
    query = scope.of(
        User, select(User.id, User.program_id, User.first_name, User.last_name, User.email)
    ).order_by(User.id)
    if user_ids is not None:
        query = query.where(User.id.in_(user_ids))
    await _plan_for_these_values(session)
    users = [Ambassador(*row) for row in await session.execute(query)]
    if not users:
        return []
    only = None if user_ids is None else [user.id for user in users]
    for _ in range(_ATTEMPTS):
        mark = await rollups.watermark(session)
        rows = {user.id: AmbassadorFigures(user) for user in users}
        scans = await counting.impressions_by(
            session,
            scope,
            period,
            mark,
            ImpressionDay,
            ImpressionDay.student_id,
            Impression.student_id,
            only,
        )
        for student, count in scans.items():
            if student in rows:
                rows[student].figures.impressions = count
        for student, status, count in await referral_counting.by_ambassador(
            session, scope, period, only
        ):
            if student in rows:
                _count_referrals(rows[student].figures, status, count)
        for student, money, count, amount in await session.execute(
            counting.among(
                counted_earnings(
                    scope,
                    Earning.student_id,
                    Earning.currency,
                    func.count(),
                    func.sum(Earning.amount),
                ),
                Earning.student_id,
                only,
            )
            .where(*counting.within(Earning.created_at, period))
            .group_by(Earning.student_id, Earning.currency)
        ):
            if student in rows:
                rows[student].earned[money] = int(amount or 0)
                if money == currency:
                    rows[student].figures.earnings_count = count
                    rows[student].figures.earnings_amount = int(amount or 0)
        if await rollups.watermark(session) == mark:
            return list(rows.values())
    raise RuntimeError("the analytics rollups kept moving; try again")  # pragma: no cover


async def posters(
    session: AsyncSession,
    auth: AuthContext,
    *,
    program_id: str | None,
    period: Range | None,
    poster_ids: Collection[str] | None = None,
) -> list[PosterFigures]:
    """Every poster of the program (or the account), or those of `poster_ids`, with its scans
    and the referrals they made in the range (None: all time)."""
    scope = counting.Scope(auth, program_id)
    query = scope.of(
        Poster,
        select(Poster.id, Poster.program_id, Poster.student_id, Poster.location, Poster.code),
    ).order_by(Poster.id)
    if poster_ids is not None:
        query = query.where(Poster.id.in_(poster_ids))
    await _plan_for_these_values(session)
    found = [PosterInfo(*row) for row in await session.execute(query)]
    if not found:
        return []
    only = None if poster_ids is None else [poster.id for poster in found]
    for _ in range(_ATTEMPTS):
        mark = await rollups.watermark(session)
        rows = {poster.id: PosterFigures(poster) for poster in found}
        scans = await counting.impressions_by(
            session, scope, period, mark, PosterDay, PosterDay.poster_id, Impression.poster_id, only
        )
        for poster_id, count in scans.items():
            if poster_id in rows:
                rows[poster_id].figures.impressions = count
        for poster_id, status, count in await referral_counting.by_poster(
            session, scope, period, only
        ):
            if poster_id in rows:
                _count_referrals(rows[poster_id].figures, status, count)
        if await rollups.watermark(session) == mark:
            return list(rows.values())
    raise RuntimeError("the analytics rollups kept moving; try again")  # pragma: no cover


RANKINGS: dict[str, Callable[[Figures], tuple[int, int, int]]] = {
    "referrals": lambda f: (f.referrals, f.converted, f.earnings_amount),
    "conversions": lambda f: (f.converted, f.referrals, f.earnings_amount),
    "earnings": lambda f: (f.earnings_amount, f.converted, f.referrals),
}


def rank_ambassadors(rows: list[AmbassadorFigures], sort: str) -> list[AmbassadorFigures]:
    """Highest first by `sort` (one of RANKINGS), ties broken by the other two figures and then
    the ambassador id."""
    key = RANKINGS[sort]
    return sorted(rows, key=lambda row: (tuple(-n for n in key(row.figures)), row.user.id))


def rank_posters(rows: list[PosterFigures]) -> list[PosterFigures]:
    """Most scanned first, then most referrals, then by poster id."""
    return sorted(rows, key=lambda r: (-r.figures.impressions, -r.figures.referrals, r.poster.id))


def counted_earnings(scope: counting.Scope, *columns: Any) -> Select[Any]:
    """The earnings every earnings figure counts (the funnel's, the leaderboard's, the
    dashboard's): the scope's, except failed ones."""
    return scope.of(Earning, select(*columns)).where(Earning.status != NOT_EARNED)


async def _plan_for_these_values(session: AsyncSession) -> None:
    """PostgreSQL only: plan each statement for its own values. asyncpg prepares statements and,
    after five runs, PostgreSQL may switch to a generic plan that cannot see that `id >= mark`
    selects a few unfolded rows and scans the whole table instead (measured: 100x slower)."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


def _count_referrals(figures: Figures, status: str, count: int) -> None:
    figures.referrals += count
    if status in CONVERTED_STATUSES:
        figures.converted += count
    if status == "verified":
        figures.verified += count
    if status == "rejected":
        figures.rejected += count
