"""The program's money rules applied to a new earning: the recurring window, the cap per
ambassador and period, and the month's conversions for monthly tiers."""

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from vantio.auth.context import AuthContext
from vantio.db import repository
from vantio.earnings.errors import (
    CommissionWindowEnded,
)
from vantio.earnings.models import Earning
from vantio.earnings.schemas import (
    EarningStatus,
)
from vantio.programs.models import Program
from vantio.users.models import User


async def first_earning_at(
    session: AsyncSession, auth: AuthContext, *, referral_id: str
) -> datetime | None:
    """When the referral converted: its first earning (a clawback is no conversion)."""
    query = select(func.min(Earning.created_at)).where(
        repository.owned_by(Earning, auth),
        Earning.referral_id == referral_id,
        Earning.reverses.is_(None),
    )
    first = (await session.execute(query)).scalar_one_or_none()
    if first is not None and first.tzinfo is None:
        first = first.replace(tzinfo=UTC)
    return first


def add_months(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months later (the last day of a shorter month)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    for day in range(moment.day, 27, -1):
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    return moment.replace(year=year, month=month, day=min(moment.day, 28))


def check_window(program: Program, *, converted_at: datetime | None, now: datetime) -> None:
    """A recurring commission pays for `commission_months` after the referral converted."""
    if program.commission_months is None or converted_at is None:
        return
    ends_at = add_months(converted_at, program.commission_months)
    if now >= ends_at:
        raise CommissionWindowEnded(
            f"referral_id: the program pays commission for {program.commission_months} months "
            f"after a referral converts; this referral converted at {converted_at.isoformat()} "
            f"and its window ended at {ends_at.isoformat()}: this sale earns nothing",
            details={
                "field": "referral_id",
                "commission_months": program.commission_months,
                "converted_at": converted_at.isoformat(),
                "window_ended_at": ends_at.isoformat(),
            },
        )


def period_start(period: str, now: datetime) -> datetime:
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "day":
        return day
    if period == "week":
        return day - timedelta(days=day.weekday())  # ISO weeks start on Monday
    return day.replace(day=1)


async def conversions_this_month(
    session: AsyncSession, auth: AuthContext, *, program_id: str, student_id: str, now: datetime
) -> int:
    """The ambassador's referrals whose first earning (their conversion) is in this UTC month."""
    firsts = (
        select(func.min(Earning.created_at).label("first"))
        .where(
            repository.owned_by(Earning, auth),
            Earning.program_id == program_id,
            Earning.student_id == student_id,
            Earning.reverses.is_(None),
        )
        .group_by(Earning.referral_id)
        .subquery()
    )
    query = (
        select(func.count()).select_from(firsts).where(firsts.c.first >= period_start("month", now))
    )
    return int((await session.execute(query)).scalar_one())


async def capped(
    session: AsyncSession,
    auth: AuthContext,
    *,
    program: Program,
    student_id: str,
    amount: int,
    currency: str,
    now: datetime,
) -> int:
    """The amount cut to what the ambassador's cap for the period still allows."""
    cap: dict[str, Any] | None = program.commission_cap
    if not cap or currency != program.currency:
        return amount
    # One earning of an ambassador at a time while a cap applies (PostgreSQL: the row lock;
    # SQLite has one writer), so two concurrent earnings cannot both take the last of it.
    await repository.get(session, User, auth, student_id, for_update=True)
    used_query = select(func.coalesce(func.sum(Earning.amount), 0)).where(
        repository.owned_by(Earning, auth),
        Earning.program_id == program.id,
        Earning.student_id == student_id,
        Earning.currency == currency,
        Earning.reverses.is_(None),
        Earning.status != EarningStatus.REVERSED,
        Earning.created_at >= period_start(str(cap["period"]), now),
    )
    used = int((await session.execute(used_query)).scalar_one())
    return max(0, min(amount, int(cap["amount"]) - used))
