"""Read-only queries the dashboard needs beyond the services' lists: date filters and figures.

Every query is scoped to the operator's account and mode through vantio.db.repository; the
writes all go through the domain services.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, String, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from vantio.auth.context import AuthContext
from vantio.db import repository
from vantio.earnings.models import Earning
from vantio.impressions.models import Impression
from vantio.kit.pagination import Page
from vantio.posters.models import Poster
from vantio.referrals.models import Referral
from vantio.referrals.service import CONVERTED_STATUSES
from vantio.users.models import User


class utc_day(FunctionElement[str]):
    """The UTC calendar day of a UTCDateTime column as 'YYYY-MM-DD'."""

    type = String()
    inherit_cache = True


@compiles(utc_day)
def _utc_day_sqlite(element: utc_day, compiler: Any, **kw: Any) -> str:
    # SQLite stores UTCDateTime as naive UTC text.
    return f"date({compiler.process(element.clauses, **kw)})"


@compiles(utc_day, "postgresql")
def _utc_day_postgresql(element: utc_day, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"to_char(({column}) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"


@dataclass(frozen=True)
class Period:
    since: datetime | None
    until: datetime | None  # exclusive

    def where(self, column: Any) -> list[ColumnElement[bool]]:
        clauses = []
        if self.since is not None:
            clauses.append(column >= self.since)
        if self.until is not None:
            clauses.append(column < self.until)
        return clauses


@dataclass
class Funnel:
    scans: int
    referrals: int
    converted: int
    verified: int
    earnings: dict[str, int] = field(default_factory=dict)  # currency -> minor units


def _scope(model: Any, auth: AuthContext, program_id: str | None) -> list[ColumnElement[bool]]:
    clauses = [model.account_id == auth.account_id, model.livemode == auth.livemode]
    if program_id:
        clauses.append(model.program_id == program_id)
    return clauses


async def funnel(
    session: AsyncSession, auth: AuthContext, *, program_id: str | None, period: Period
) -> Funnel:
    scans = await session.scalar(
        select(func.count())
        .select_from(Impression)
        .where(*_scope(Impression, auth, program_id), *period.where(Impression.scanned_at))
    )
    status_counts: dict[str, int] = {
        status: int(count)
        for status, count in await session.execute(
            select(Referral.status, func.count())
            .where(*_scope(Referral, auth, program_id), *period.where(Referral.created_at))
            .group_by(Referral.status)
        )
    }
    earnings = {
        currency: int(total or 0)
        for currency, total in await session.execute(
            select(Earning.currency, func.sum(Earning.amount))
            .where(
                *_scope(Earning, auth, program_id),
                *period.where(Earning.created_at),
                Earning.status != "failed",
            )
            .group_by(Earning.currency)
        )
    }
    return Funnel(
        scans=int(scans or 0),
        referrals=sum(status_counts.values()),
        converted=sum(status_counts.get(s, 0) for s in CONVERTED_STATUSES),
        verified=status_counts.get("verified", 0),
        earnings=earnings,
    )


async def daily(
    session: AsyncSession, auth: AuthContext, *, program_id: str | None, period: Period
) -> dict[str, dict[str, int]]:
    """Scans and signups per UTC day: {"2026-11-01": {"scans": 3, "signups": 1}}."""
    days: dict[str, dict[str, int]] = {}
    for name, model, column in (
        ("scans", Impression, Impression.scanned_at),
        ("signups", Referral, Referral.created_at),
    ):
        day = utc_day(column)
        rows = await session.execute(
            select(day, func.count())
            .where(*_scope(model, auth, program_id), *period.where(column))
            .group_by(day)
        )
        for key, count in rows:
            days.setdefault(str(key), {"scans": 0, "signups": 0})[name] = int(count)
    return dict(sorted(days.items()))


@dataclass(frozen=True)
class Ranked:
    id: str
    label: str
    detail: str
    count: int


async def top_ambassadors(
    session: AsyncSession, auth: AuthContext, *, program_id: str | None, period: Period
) -> list[Ranked]:
    counted = (
        select(Referral.student_id, func.count().label("n"))
        .where(*_scope(Referral, auth, program_id), *period.where(Referral.created_at))
        .group_by(Referral.student_id)
        .order_by(func.count().desc(), Referral.student_id)
        .limit(5)
        .subquery()
    )
    rows = await session.execute(
        select(User, counted.c.n)
        .join(counted, counted.c.student_id == User.id)
        .order_by(counted.c.n.desc(), User.id)
    )
    return [Ranked(u.id, f"{u.first_name} {u.last_name}", u.email, int(n)) for u, n in rows]


async def top_posters(
    session: AsyncSession, auth: AuthContext, *, program_id: str | None, period: Period
) -> list[Ranked]:
    counted = (
        select(Impression.poster_id, func.count().label("n"))
        .where(*_scope(Impression, auth, program_id), *period.where(Impression.scanned_at))
        .group_by(Impression.poster_id)
        .order_by(func.count().desc(), Impression.poster_id)
        .limit(5)
        .subquery()
    )
    rows = await session.execute(
        select(Poster, counted.c.n)
        .join(counted, counted.c.poster_id == Poster.id)
        .order_by(counted.c.n.desc(), Poster.id)
    )
    return [Ranked(p.id, p.location or "(no location)", p.code, int(n)) for p, n in rows]


@dataclass
class Figures:
    posters: int = 0
    scans: int = 0
    referrals: int = 0
    converted: int = 0
    earnings: dict[str, int] = field(default_factory=dict)


async def ambassador_figures(
    session: AsyncSession, auth: AuthContext, *, user_ids: Sequence[str]
) -> dict[str, Figures]:
    """Posters, scans, referrals, conversions and earnings of each ambassador on a page."""
    figures = {user_id: Figures() for user_id in user_ids}
    if not user_ids:
        return figures
    base = [Poster.account_id == auth.account_id, Poster.livemode == auth.livemode]
    for user_id, n in await session.execute(
        select(Poster.student_id, func.count())
        .where(*base, Poster.student_id.in_(user_ids))
        .group_by(Poster.student_id)
    ):
        figures[user_id].posters = int(n)
    for user_id, n in await session.execute(
        select(Impression.student_id, func.count())
        .where(*_scope(Impression, auth, None), Impression.student_id.in_(user_ids))
        .group_by(Impression.student_id)
    ):
        figures[user_id].scans = int(n)
    for user_id, status, n in await session.execute(
        select(Referral.student_id, Referral.status, func.count())
        .where(*_scope(Referral, auth, None), Referral.student_id.in_(user_ids))
        .group_by(Referral.student_id, Referral.status)
    ):
        figures[user_id].referrals += int(n)
        if status in CONVERTED_STATUSES:
            figures[user_id].converted += int(n)
    for user_id, currency, total in await session.execute(
        select(Earning.student_id, Earning.currency, func.sum(Earning.amount))
        .where(
            *_scope(Earning, auth, None),
            Earning.student_id.in_(user_ids),
            Earning.status != "failed",
        )
        .group_by(Earning.student_id, Earning.currency)
    ):
        figures[user_id].earnings[currency] = int(total or 0)
    return figures


async def list_users(
    session: AsyncSession,
    auth: AuthContext,
    *,
    program_id: str | None,
    search: str | None,
    page: Page,
) -> tuple[Sequence[User], bool]:
    query = repository.filter_by(repository.scoped(User, auth), User, program_id=program_id)
    if search:
        pattern = f"%{search.lower()}%"
        query = query.where(
            func.lower(User.first_name + " " + User.last_name).like(pattern)
            | User.email_normalized.like(pattern)
        )
    return await repository.page(session, query, User, page)


async def list_referrals(
    session: AsyncSession,
    auth: AuthContext,
    *,
    program_id: str | None,
    student_id: str | None,
    status: str | None,
    period: Period,
    page: Page,
) -> tuple[Sequence[Referral], bool]:
    query: Select[Any] = repository.filter_by(
        repository.scoped(Referral, auth),
        Referral,
        program_id=program_id,
        student_id=student_id,
        status=status,
    ).where(*period.where(Referral.created_at))
    return await repository.page(session, query, Referral, page)


async def list_earnings(
    session: AsyncSession,
    auth: AuthContext,
    *,
    program_id: str | None,
    student_id: str | None,
    status: str | None,
    period: Period,
    page: Page,
) -> tuple[Sequence[Earning], bool]:
    query: Select[Any] = repository.filter_by(
        repository.scoped(Earning, auth),
        Earning,
        program_id=program_id,
        student_id=student_id,
        status=status,
    ).where(*period.where(Earning.created_at))
    return await repository.page(session, query, Earning, page)


async def names_of_users(
    session: AsyncSession, auth: AuthContext, *, user_ids: set[str]
) -> dict[str, str]:
    if not user_ids:
        return {}
    rows = await session.scalars(repository.scoped(User, auth).where(User.id.in_(user_ids)))
    return {u.id: f"{u.first_name} {u.last_name}" for u in rows}
