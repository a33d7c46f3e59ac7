"""Scheduled payouts: each program's `payout_schedule` runs once per period (weekly, biweekly,
monthly; never for manual), however many times or by however many workers it is called."""

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from tests.helpers import Api, make_program
from tests.payouts.test_payouts import ambassador, earn
from vantio.db.session import transaction
from vantio.kit.time import freeze
from vantio.payouts.models import ScheduledPayoutRun
from vantio.payouts.schedule import BIWEEKLY_ANCHOR, period_of, run_due_payouts
from vantio.runtime import Runtime
from vantio.worker import runner

SCHEDULES = ("weekly", "biweekly", "monthly", "manual")


def a_biweekly_start_early_in_a_month(after: date) -> datetime:
    """A Monday that starts a biweekly period and is one of the first 7 days of its month, so
    that T+7 days is in the same week-pair and month, and T+14 days starts the next pair."""
    day = BIWEEKLY_ANCHOR + timedelta(days=((after - BIWEEKLY_ANCHOR).days // 14 + 1) * 14)
    while day.day > 7:
        day += timedelta(days=14)
    return datetime(day.year, day.month, day.day, 0, 30, tzinfo=UTC)


def test_periods() -> None:
    monday = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
    sunday_night = datetime(2026, 11, 29, 23, 59, tzinfo=UTC)
    assert period_of("weekly", monday) == period_of("weekly", sunday_night) == "2026-11-23/1w"
    assert period_of("weekly", monday - timedelta(seconds=1)) == "2026-11-16/1w"
    assert period_of("monthly", sunday_night) == "2026-11-01/1m"
    assert period_of("monthly", datetime(2026, 12, 1, tzinfo=UTC)) == "2026-12-01/1m"
    assert period_of("manual", monday) is None
    start = a_biweekly_start_early_in_a_month(date(2030, 1, 1))
    key = period_of("biweekly", start)
    assert key == f"{start.date().isoformat()}/2w"
    assert period_of("biweekly", start + timedelta(days=13, hours=23)) == key
    assert period_of("biweekly", start - timedelta(minutes=31)) != key
    assert period_of("biweekly", start + timedelta(days=14)) != key


async def programs_with_pending_earnings(api: Api) -> dict[str, dict[str, Any]]:
    """One program per schedule, each with an ambassador owed 1000."""
    found = {}
    for schedule in SCHEDULES:
        program = await make_program(api, payout_schedule=schedule)
        _, scan = await ambassador(api, program["id"])
        await earn(api, scan, 1000)
        found[schedule] = {"program": program, "scan": scan}
    return found


async def run(runtime: Runtime, at: datetime, programs: dict[str, dict[str, Any]]) -> set[str]:
    """One scheduled run at `at`; the schedules of our programs that got a run."""
    ours = {p["program"]["id"]: schedule for schedule, p in programs.items()}
    async with transaction(runtime.sessionmaker) as session:
        summaries = await run_due_payouts(session, at=at)
    return {ours[s.program_id] for s in summaries if s.program_id in ours}


async def payouts_of(api: Api, program: dict[str, Any]) -> list[dict[str, Any]]:
    body = await api.ok("GET", "/api/v1/payouts", program_id=program["id"])
    payouts: list[dict[str, Any]] = body["payouts"]
    return payouts


async def test_each_schedule_runs_once_per_period(api: Api, runtime: Runtime) -> None:
    programs = await programs_with_pending_earnings(api)
    start = a_biweekly_start_early_in_a_month(date(2031, 1, 1))

    assert await run(runtime, start, programs) == {"weekly", "biweekly", "monthly"}
    for schedule in ("weekly", "biweekly", "monthly"):
        [payout] = await payouts_of(api, programs[schedule]["program"])
        assert (payout["amount"], payout["status"]) == (1000, "processing")
        assert payout["metadata"]["scheduled_period"] == period_of(schedule, start)
    assert await payouts_of(api, programs["manual"]["program"]) == []

    # New earnings; the same period again (a second call, a restarted worker) pays nothing.
    for p in programs.values():
        await earn(api, p["scan"], 500)
    assert await run(runtime, start, programs) == set()
    assert await run(runtime, start + timedelta(days=1, hours=3), programs) == set()
    # A week later only the weekly program is due; two weeks later the biweekly one too.
    assert await run(runtime, start + timedelta(days=7), programs) == {"weekly"}
    assert await run(runtime, start + timedelta(days=14), programs) == {"weekly", "biweekly"}
    next_month = (start.replace(day=1) + timedelta(days=32)).replace(day=2)
    assert "monthly" in await run(runtime, next_month, programs)
    amounts = {
        s: sorted(x["amount"] for x in await payouts_of(api, programs[s]["program"]))
        for s in SCHEDULES
    }
    # The second week's run found the 500 pending; the biweekly one got it at day 14.
    assert amounts == {
        "weekly": [500, 1000],
        "biweekly": [500, 1000],
        "monthly": [500, 1000],
        "manual": [],
    }
    manual = await api.ok("GET", "/api/v1/earnings", program_id=programs["manual"]["program"]["id"])
    assert {e["status"] for e in manual["earnings"]} == {"pending"}


async def test_two_workers_at_once_run_a_period_once(api: Api, runtime: Runtime) -> None:
    programs = await programs_with_pending_earnings(api)
    at = a_biweekly_start_early_in_a_month(date(2032, 1, 1))

    async def worker() -> set[str]:
        return await run(runtime, at, programs)

    first, second = await asyncio.gather(worker(), worker())

    assert sorted([*first, *second]) == ["biweekly", "monthly", "weekly"]
    for schedule in ("weekly", "biweekly", "monthly"):
        assert len(await payouts_of(api, programs[schedule]["program"])) == 1
    async with transaction(runtime.sessionmaker) as session:
        rows = await session.scalar(
            select(func.count())
            .select_from(ScheduledPayoutRun)
            .where(
                ScheduledPayoutRun.program_id.in_([p["program"]["id"] for p in programs.values()])
            )
        )
    assert rows == 3


async def test_the_worker_runs_the_schedule(api: Api, runtime: Runtime) -> None:
    assert "payouts.scheduled" in runtime.jobs  # filled by the composition root
    program = await make_program(api, payout_schedule="weekly")
    _, scan = await ambassador(api, program["id"])
    await earn(api, scan, 1000)
    later = datetime(2033, 3, 7, 9, 0, tzinfo=UTC)  # a schedule row first, then its due time
    with freeze(later):
        await runner.run_due(runtime, names={"payouts.scheduled"})
    with freeze(later + timedelta(hours=2)):
        await runner.run_due(runtime, names={"payouts.scheduled"})
        await runner.run_due(runtime, names={"payouts.scheduled"})
    [payout] = await payouts_of(api, program)
    assert payout["metadata"]["scheduled_period"] == "2033-03-07/1w"
