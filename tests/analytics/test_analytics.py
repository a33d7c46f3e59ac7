"""Analytics agree exactly with counts made directly over the raw rows.

A seeded generator writes impressions (many of them on the minutes around local midnights and
across daylight-saving changes), referrals in every status and earnings in two currencies; the
expected figures are then computed here from the rows read back with plain SELECTs, bucketed by
the local calendar (zoneinfo), and compared with the API's answers: with nothing rolled up,
with part of the impressions rolled up, and with all of them rolled up.
"""

import asyncio
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tests.helpers import Api, Tenant, make_poster, make_program, make_user
from vantio.analytics import rollups
from vantio.db import repository
from vantio.db.session import transaction
from vantio.earnings.models import Earning
from vantio.impressions.models import Impression
from vantio.kit.time import utc_now
from vantio.referrals import rollups as referral_rollups
from vantio.referrals.models import Referral
from vantio.runtime import Runtime

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
STATUSES = ("pending", "converted", "verified", "rejected")


def stored_at(at_ms: int, rnd: random.Random, prefix: str) -> str:
    """An ID as kit.ids makes it, for an object stored at `at_ms`."""
    chars, value = [], at_ms
    for _ in range(10):
        value, rem = divmod(value, 32)
        chars.append(_ALPHABET[rem])
    tail = "".join(rnd.choice(_ALPHABET) for _ in range(16))
    return f"{prefix}_{''.join(reversed(chars))}{tail}"


@dataclass
class World:
    program: dict[str, Any]
    other_program: dict[str, Any]
    users: list[dict[str, Any]]
    posters: list[dict[str, Any]]
    impression_ms: list[int] = field(default_factory=list)  # when each was stored


def near_midnights(rnd: random.Random, tz: ZoneInfo, first: date, days: int) -> datetime:
    """A time within a minute of a local midnight, or anywhere in the span."""
    day = first + timedelta(days=rnd.randrange(days))
    if rnd.random() < 0.5:
        midnight = datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)
        return midnight + timedelta(seconds=rnd.choice([-61, -60, -1, 0, 1, 59, 60]))
    return datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC) + timedelta(
        seconds=rnd.randrange(86400)
    )


async def build_world(api: Api, tenant: Tenant, runtime: Runtime, seed: int) -> World:
    rnd = random.Random(seed)
    program = await make_program(api, currency="USD")
    other_program = await make_program(api, currency="USD")
    users = [await make_user(api, program["id"]) for _ in range(4)]
    outsider = await make_user(api, other_program["id"])
    posters = []
    for index in range(7):
        owner = users[index % len(users)]
        location = ["Library", "Cafeteria", "Gym", None][index % 4]
        fields = {"location": location} if location else {"location": None}
        posters.append(await make_poster(api, program["id"], owner["id"], **fields))
    foreign_poster = await make_poster(api, other_program["id"], outsider["id"])
    world = World(program, other_program, users, posters)

    zones = [ZoneInfo(name) for name in ("Europe/Berlin", "Asia/Kathmandu", "America/St_Johns")]
    first = date(2026, 3, 15)  # spans the March change (Europe 29th, America 8th-ish) and more
    async with transaction(runtime.sessionmaker) as session:
        mark = await rollups.watermark(session)
    # Stored between the current watermark and now, so a refresh can fold part of them.
    low_ms = max(_ms_of(mark) + 1, int((utc_now() - timedelta(minutes=10)).timestamp() * 1000))
    assert low_ms < int(utc_now().timestamp() * 1000), "the rollup watermark is ahead of the clock"
    while int(utc_now().timestamp() * 1000) - low_ms < 2000:  # room for distinct storage times
        await asyncio.sleep(0.1)
    high_ms = int(utc_now().timestamp() * 1000) - 1

    impressions, referrals, earnings = [], [], []
    for _ in range(900):
        poster = rnd.choice([*posters, foreign_poster])
        at = near_midnights(rnd, rnd.choice(zones), first, 50)
        ms = rnd.randrange(low_ms, high_ms)
        impressions.append(
            Impression(
                id=stored_at(ms, rnd, "imp"),
                account_id=tenant.account_id,
                livemode=False,
                poster_id=poster["id"],
                program_id=poster["program_id"],
                student_id=poster["student_id"],
                scanned_at=at,
                created_at=at,
                metadata_={},
            )
        )
        world.impression_ms.append(ms)
    for number, impression in enumerate(rnd.sample(impressions, 250)):
        at = impression.scanned_at + timedelta(minutes=rnd.choice([0, 1, 30, 600, 3000]))
        status = rnd.choice(STATUSES)
        referral = Referral(
            id=stored_at(int(at.timestamp() * 1000), rnd, "ref"),
            account_id=tenant.account_id,
            livemode=False,
            impression_id=impression.id,
            program_id=impression.program_id,
            student_id=impression.student_id,
            first_name="R",
            last_name=str(number),
            email=f"r{number}@example.com",
            email_normalized=f"r{number}@example.com",
            status=status,
            verified_at=at if status == "verified" else None,
            metadata_={},
            created_at=at,
            updated_at=at,
        )
        referrals.append(referral)
        if status in ("converted", "verified") and rnd.random() < 0.8:
            earned = near_midnights(rnd, rnd.choice(zones), first, 50)
            earnings.append(
                Earning(
                    id=stored_at(int(earned.timestamp() * 1000), rnd, "earn"),
                    account_id=tenant.account_id,
                    livemode=False,
                    referral_id=referral.id,
                    program_id=referral.program_id,
                    student_id=referral.student_id,
                    amount=rnd.randrange(1, 10_000),
                    currency=rnd.choice(["USD", "USD", "USD", "EUR"]),
                    status=rnd.choice(["pending", "paid", "failed"]),
                    metadata_={},
                    created_at=earned,
                    updated_at=earned,
                )
            )
    async with transaction(runtime.sessionmaker) as session:
        session.add_all(impressions)
        await session.flush()
        session.add_all(referrals)
        await session.flush()
        session.add_all(earnings)
        # Stored behind the referrals service's back: count them into its rollups as a bulk
        # load does (the service keeps them in each change's transaction).
        await referral_rollups.rebuild(session, repository.Tenant(tenant.account_id, False))
    return world


def _ms_of(identifier: str) -> int:
    code = identifier.split("_", 1)[1][:10]
    value = 0
    for char in code.ljust(10, "0"):
        value = value * 32 + _ALPHABET.index(char)
    return value


# --- the expected figures, straight from the rows --------------------------------------------


@dataclass
class Rows:
    impressions: list[tuple[str, str, str, datetime]]  # program, poster, student, scanned_at
    referrals: list[
        tuple[str, str, str, datetime, str]
    ]  # program, poster, student, created, status
    # program, student, created, currency, amount: the counted earnings (failed ones are not)
    earnings: list[tuple[str, str, datetime, str, int]]


async def raw_rows(runtime: Runtime, tenant: Tenant) -> Rows:
    async with transaction(runtime.sessionmaker) as session:
        mine = (Impression.account_id == tenant.account_id, Impression.livemode.is_(False))
        impressions = [
            (r[0], r[1], r[2], r[3])
            for r in await session.execute(
                select(
                    Impression.program_id,
                    Impression.poster_id,
                    Impression.student_id,
                    Impression.scanned_at,
                ).where(*mine)
            )
        ]
        referrals = [
            (r[0], r[1], r[2], r[3], r[4])
            for r in await session.execute(
                select(
                    Referral.program_id,
                    Impression.poster_id,
                    Referral.student_id,
                    Referral.created_at,
                    Referral.status,
                )
                .join(Impression, Impression.id == Referral.impression_id)
                .where(Referral.account_id == tenant.account_id, Referral.livemode.is_(False))
            )
        ]
        earnings = [
            (r[0], r[1], r[2], r[3], r[4])
            for r in await session.execute(
                select(
                    Earning.program_id,
                    Earning.student_id,
                    Earning.created_at,
                    Earning.currency,
                    Earning.amount,
                    Earning.status,
                ).where(Earning.account_id == tenant.account_id, Earning.livemode.is_(False))
            )
            if r[5] != "failed"
        ]
    return Rows(impressions, referrals, earnings)


def local_key(at: datetime, tz: ZoneInfo, interval: str) -> Any:
    day = at.astimezone(tz).date()
    if interval == "day":
        return day
    if interval == "week":
        return day - timedelta(days=day.weekday())
    return (day.year, day.month)


FIGURES = (
    "impressions",
    "referrals",
    "converted",
    "verified",
    "rejected",
    "earnings_count",
    "earnings_amount",
)


def expected_funnel(
    rows: Rows, program_id: str, start: datetime, end: datetime, tz: ZoneInfo, interval: str
) -> dict[Any, dict[str, int]]:
    buckets: dict[Any, dict[str, int]] = defaultdict(lambda: dict.fromkeys(FIGURES, 0))
    inside = lambda at: start <= at < end  # noqa: E731
    for program, _, _, at in rows.impressions:
        if program == program_id and inside(at):
            buckets[local_key(at, tz, interval)]["impressions"] += 1
    for program, _, _, at, status in rows.referrals:
        if program == program_id and inside(at):
            figures = buckets[local_key(at, tz, interval)]
            figures["referrals"] += 1
            figures["converted"] += status in ("converted", "verified")
            figures["verified"] += status == "verified"
            figures["rejected"] += status == "rejected"
    for program, _, at, currency, amount in rows.earnings:
        if program == program_id and inside(at) and currency == "USD":
            figures = buckets[local_key(at, tz, interval)]
            figures["earnings_count"] += 1
            figures["earnings_amount"] += amount
    return buckets


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def check_funnel(
    api: Api, rows: Rows, world: World, tz_name: str, interval: str, raw_from: str, raw_to: str
) -> None:
    tz = ZoneInfo(tz_name)
    body = await api.ok(
        "GET",
        "/api/v1/analytics/funnel",
        program_id=world.program["id"],
        interval=interval,
        tz=tz_name,
        **{"from": raw_from, "to": raw_to},
    )
    start, end = parse_time(body["start"]), parse_time(body["end"])
    expected = expected_funnel(rows, world.program["id"], start, end, tz, interval)
    answered = {}
    previous_end = start
    for item in body["intervals"]:
        assert parse_time(item["start"]) == previous_end  # the intervals tile the range
        previous_end = parse_time(item["end"])
        key = local_key(parse_time(item["start"]), tz, interval)
        assert key not in answered
        answered[key] = {name: item[name] for name in FIGURES}
        # each interval is one local calendar unit
        assert local_key(previous_end - timedelta(microseconds=1), tz, interval) == key
    assert previous_end == end
    for key, figures in expected.items():
        assert answered.get(key) == figures, (tz_name, interval, key)
    assert all(
        figures == dict.fromkeys(FIGURES, 0)
        for key, figures in answered.items()
        if key not in expected
    )
    total = {name: sum(f[name] for f in expected.values()) for name in FIGURES}
    assert {name: body["total"][name] for name in FIGURES} == total
    if total["impressions"]:
        assert body["total"]["scan_to_signup_rate"] == round(
            total["referrals"] / total["impressions"], 4
        )


async def check_leaderboard(
    api: Api, rows: Rows, world: World, tz_name: str, raw_from: str, raw_to: str
) -> None:
    body = await api.ok(
        "GET",
        "/api/v1/analytics/leaderboard",
        program_id=world.program["id"],
        tz=tz_name,
        sort="conversions",
        **{"from": raw_from, "to": raw_to},
    )
    start, end = parse_time(body["start"]), parse_time(body["end"])
    expected = {u["id"]: dict.fromkeys(FIGURES, 0) for u in world.users}
    for program, _, student, at in rows.impressions:
        if program == world.program["id"] and start <= at < end:
            expected[student]["impressions"] += 1
    for program, _, student, at, status in rows.referrals:
        if program == world.program["id"] and start <= at < end:
            expected[student]["referrals"] += 1
            expected[student]["converted"] += status in ("converted", "verified")
            expected[student]["verified"] += status == "verified"
            expected[student]["rejected"] += status == "rejected"
    for program, student, at, currency, amount in rows.earnings:
        if program == world.program["id"] and start <= at < end and currency == "USD":
            expected[student]["earnings_count"] += 1
            expected[student]["earnings_amount"] += amount
    got = {row["student_id"]: {name: row[name] for name in FIGURES} for row in body["ambassadors"]}
    assert got == expected
    ranks = [(row["converted"], row["rank"]) for row in body["ambassadors"]]
    assert [rank for _, rank in ranks] == list(range(1, len(ranks) + 1))
    assert [c for c, _ in ranks] == sorted((c for c, _ in ranks), reverse=True)


async def check_posters(api: Api, rows: Rows, world: World, **params: str) -> None:
    body = await api.ok(
        "GET", "/api/v1/analytics/posters", program_id=world.program["id"], **params
    )
    if params:
        start, end = parse_time(body["start"]), parse_time(body["end"])
    else:
        start, end = datetime(1970, 1, 1, tzinfo=UTC), datetime(9999, 1, 1, tzinfo=UTC)
    expected = {p["id"]: {"scans": 0, "referrals": 0, "converted": 0} for p in world.posters}
    for program, poster, _, at in rows.impressions:
        if program == world.program["id"] and start <= at < end:
            expected[poster]["scans"] += 1
    for program, poster, _, at, status in rows.referrals:
        if program == world.program["id"] and start <= at < end:
            expected[poster]["referrals"] += 1
            expected[poster]["converted"] += status in ("converted", "verified")
    got = {
        row["poster_id"]: {name: row[name] for name in ("scans", "referrals", "converted")}
        for row in body["posters"]
    }
    assert got == expected
    places: dict[str | None, dict[str, int]] = defaultdict(
        lambda: {"scans": 0, "referrals": 0, "converted": 0}
    )
    for poster in world.posters:
        for name, value in expected[poster["id"]].items():
            places[poster["location"]][name] += value
    got_places = {
        row["location"]: {name: row[name] for name in ("scans", "referrals", "converted")}
        for row in body["locations"]
    }
    assert got_places == dict(places)
    for row in body["posters"]:
        if row["scans"]:
            assert row["conversion_rate"] == round(row["converted"] / row["scans"], 4)


RANGES = [
    ("Europe/Berlin", "day", "2026-03-20", "2026-04-05"),
    ("Europe/Berlin", "week", "2026-03-16T13:07:11", "2026-04-20"),
    ("Asia/Kathmandu", "day", "2026-03-25", "2026-03-31"),
    ("America/St_Johns", "month", "2026-03-01", "2026-04-30"),
    ("UTC", "day", "2026-03-17T00:00:00Z", "2026-04-02T12:34:56Z"),
]


@pytest.mark.parametrize("seed", [1, 2])
async def test_figures_agree_with_the_raw_rows(
    api: Api, tenant: Tenant, runtime: Runtime, seed: int
) -> None:
    world = await build_world(api, tenant, runtime, seed)
    rows = await raw_rows(runtime, tenant)
    stored = sorted(world.impression_ms)
    # Nothing of ours rolled up yet, then half of it, then all of it: the answers never change.
    for fold_until in (None, stored[len(stored) // 2], stored[-1] + 1):
        if fold_until is not None:
            async with transaction(runtime.sessionmaker) as session:
                await rollups.refresh(
                    session, up_to=datetime.fromtimestamp(fold_until / 1000, tz=UTC)
                )
        for tz_name, interval, raw_from, raw_to in RANGES:
            await check_funnel(api, rows, world, tz_name, interval, raw_from, raw_to)
            await check_leaderboard(api, rows, world, tz_name, raw_from, raw_to)
        await check_posters(api, rows, world)
        await check_posters(
            api, rows, world, tz="Europe/Berlin", **{"from": "2026-03-22", "to": "2026-04-01"}
        )
