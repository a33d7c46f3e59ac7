"""Scheduled payouts: each program's `payout_schedule` run once per period, in UTC."""

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from vantio.auth.context import owner_of
from vantio.db.types import is_unique_violation
from vantio.kit.ids import new_id
from vantio.payouts import runs as payout_runs
from vantio.payouts.models import ScheduledPayoutRun
from vantio.payouts.schemas import PayoutRunSummary
from vantio.programs.models import Program

# Biweekly periods are pairs of ISO weeks counted from this Monday, so every program shares them.
BIWEEKLY_ANCHOR = date(2024, 1, 1)


def period_of(schedule: str, at: datetime) -> str | None:
    """The key of the period `at` falls in (UTC): weekly and biweekly periods start on Monday,
    monthly ones on the 1st; `manual` has none."""
    day = at.date()
    if schedule == "weekly":
        start = day - timedelta(days=day.weekday())
        return f"{start.isoformat()}/1w"
    if schedule == "biweekly":
        start = BIWEEKLY_ANCHOR + timedelta(days=(day - BIWEEKLY_ANCHOR).days // 14 * 14)
        return f"{start.isoformat()}/2w"
    if schedule == "monthly":
        return f"{day.replace(day=1).isoformat()}/1m"
    return None


async def run_due_payouts(session: AsyncSession, *, at: datetime) -> list[PayoutRunSummary]:
    """Run the scheduled payouts due at `at`: every program not on `manual` whose current period
    has no run yet gets one, in the caller's transaction. Safe to call any number of times, by
    any number of workers: the unique (program_id, period) row lets exactly one run per period."""
    programs = (
        await session.scalars(
            select(Program).where(Program.payout_schedule != "manual").order_by(Program.id)
        )
    ).all()
    current = {s: period_of(s, at) for s in ("weekly", "biweekly", "monthly")}
    done = await _periods_done(session, [period for period in current.values() if period])
    summaries = []
    for program in programs:
        period = current.get(program.payout_schedule)
        if period is None or (program.id, period) in done:
            continue
        run = ScheduledPayoutRun(
            id=new_id("spr"), program_id=program.id, period=period, payouts_count=0, created_at=at
        )
        try:
            async with session.begin_nested():
                session.add(run)
                await session.flush()
                result = await payout_runs.create_payouts(
                    session,
                    owner_of(program),
                    program_id=program.id,
                    metadata={"scheduled_period": period},
                )
                run.payouts_count = len(result.payouts)
                await session.flush()
        except IntegrityError as exc:
            if not is_unique_violation(exc):
                raise
            continue  # another worker ran this period first
        summaries.append(
            PayoutRunSummary(program_id=program.id, period=period, payouts=run.payouts_count)
        )
    return summaries


async def _periods_done(session: AsyncSession, periods: list[str]) -> set[tuple[str, str]]:
    rows = await session.execute(
        select(ScheduledPayoutRun.program_id, ScheduledPayoutRun.period).where(
            ScheduledPayoutRun.period.in_(periods)
        )
    )
    return {(row[0], row[1]) for row in rows}
