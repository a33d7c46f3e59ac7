"""Read-only queries the dashboard needs beyond the services' lists: date filters and figures.

Every query is scoped to the operator's account and mode through vantio.db.repository; the
writes all go through the domain services.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from vantio.auth.context import AuthContext
from vantio.db import repository
from vantio.earnings.models import Earning
from vantio.impressions.models import Impression
from vantio.kit.pagination import Page
from vantio.posters.models import Poster
from vantio.referrals.models import Referral
from vantio.referrals.service import CONVERTED_STATUSES
from vantio.users.models import User


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


def _scope(model: Any, auth: AuthContext, program_id: str | None) -> list[ColumnElement[bool]]:
    clauses = [model.account_id == auth.account_id, model.livemode == auth.livemode]
    if program_id:
        clauses.append(model.program_id == program_id)
    return clauses


@dataclass(frozen=True)
class Ranked:
    id: str
    label: str
    detail: str
    count: int


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
