"""The referral rollups (vantio/referrals/rollups.py) equal a count of the referral rows at all
times: after sign-ups, status changes through the API (a sale converting, verifying, rejecting),
a refused move, in each account and mode apart; and what `rebuild` recounts is the same."""

import asyncio
from collections import Counter, defaultdict
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select, text

from tests.helpers import (
    Api,
    Tenant,
    make_funnel,
    make_impression,
    make_poster,
    make_referral,
    new_tenant,
)
from vantio.analytics import counting
from vantio.db import repository
from vantio.db.session import transaction
from vantio.impressions.models import Impression
from vantio.kit.time import floor_to
from vantio.referrals import rollups as referral_rollups
from vantio.referrals.models import Referral, ReferralDay, ReferralPosterDay, ReferralSlot
from vantio.runtime import Runtime

Rows = dict[str, dict[tuple[Any, ...], dict[str, int]]]
DETAIL = {ReferralSlot: None, ReferralDay: "student_id", ReferralPosterDay: "poster_id"}
WHEN = {ReferralSlot: "slot_start", ReferralDay: "day_start", ReferralPosterDay: "day_start"}


async def stored(runtime: Runtime, account_id: str, livemode: bool) -> Rows:
    """The rollups' rows of one account and mode, as {table: {key: {status: n}}}."""
    found: Rows = {}
    async with transaction(runtime.sessionmaker) as session:
        for model in referral_rollups.ROLLUPS:
            rows = {}
            for row in await session.scalars(
                select(model).where(
                    repository.owned_by(model, repository.Tenant(account_id, livemode))
                )
            ):
                detail = DETAIL[model]
                key = (row.program_id, getattr(row, WHEN[model]).isoformat()) + (
                    (getattr(row, detail),) if detail else ()
                )
                rows[key] = {s: getattr(row, s) for s in referral_rollups.STATUSES}
            found[model.__tablename__] = rows
    return found


async def counted(runtime: Runtime, account_id: str, livemode: bool) -> Rows:
    """The same, counted from the referral rows (their poster through their scan)."""
    found: dict[str, dict[tuple[Any, ...], Counter[str]]] = defaultdict(dict)
    async with transaction(runtime.sessionmaker) as session:
        rows = await session.execute(
            select(
                Referral.program_id,
                Referral.student_id,
                Impression.poster_id,
                Referral.created_at,
                Referral.status,
            )
            .join(Impression, Impression.id == Referral.impression_id)
            .where(repository.owned_by(Referral, repository.Tenant(account_id, livemode)))
        )
        for program, student, poster, created, status in rows:
            day = floor_to(created, referral_rollups.DAY).isoformat()
            slot = floor_to(created, referral_rollups.SLOT).isoformat()
            for table, key in (
                (ReferralSlot.__tablename__, (program, slot)),
                (ReferralDay.__tablename__, (program, day, student)),
                (ReferralPosterDay.__tablename__, (program, day, poster)),
            ):
                found[table].setdefault(key, Counter())[status] += 1
    return {
        model.__tablename__: {
            key: {s: n[s] for s in referral_rollups.STATUSES}
            for key, n in found[model.__tablename__].items()
        }
        for model in referral_rollups.ROLLUPS
    }


async def some_referrals(api: Api) -> list[dict[str, Any]]:
    """A program with two posters of one ambassador, and five sign-ups from their scans."""
    funnel = await make_funnel(api, commission={"type": "percentage", "rate": 10})
    second = await make_poster(api, funnel.program["id"], funnel.user["id"], location="Gym")
    referrals = []
    for poster in (funnel.poster, second, funnel.poster, second, funnel.poster):
        impression = await make_impression(api, poster["id"])
        referrals.append(await make_referral(api, impression["id"]))
    return referrals


async def move(api: Api, referral: dict[str, Any], status: str) -> None:
    await api.ok("PUT", f"/api/v1/referrals/{referral['id']}", {"status": status})


async def test_rollups_follow_every_status_change_in_each_account_and_mode(
    tenant: Tenant, runtime: Runtime
) -> None:
    other_tenant = await new_tenant(runtime, tenant.test.client)
    test = await some_referrals(tenant.test)
    live = await some_referrals(tenant.live)
    foreign = await some_referrals(other_tenant.test)
    # A sale converts a pending referral (the earnings service moves it).
    await tenant.test.ok("POST", "/api/v1/earnings", {"referral_id": test[0]["id"], "amount": 500})
    await move(tenant.test, test[1], "converted")
    await move(tenant.test, test[1], "verified")
    await move(tenant.test, test[1], "rejected")
    await move(tenant.test, test[2], "rejected")
    refused = await tenant.test.client.put(
        f"/api/v1/referrals/{test[2]['id']}", json={"status": "converted"},
        headers=tenant.test.headers,
    )  # fmt: skip
    assert refused.status_code == 400  # rejected is final: nothing counted either
    await move(tenant.live, live[3], "converted")
    await move(other_tenant.test, foreign[4], "rejected")

    for account_id, livemode in (
        (tenant.account_id, False),
        (tenant.account_id, True),
        (other_tenant.account_id, False),
    ):
        expected = await counted(runtime, account_id, livemode)
        assert await stored(runtime, account_id, livemode) == expected
        assert sum(len(rows) for rows in expected.values()) > 0
    test_totals: Counter[str] = Counter()
    for counts in (await stored(runtime, tenant.account_id, False))[
        ReferralSlot.__tablename__
    ].values():
        test_totals.update(counts)
    assert test_totals == Counter(pending=2, converted=1, rejected=2)

    # Recounting from the rows gives what the service kept.
    before = await stored(runtime, tenant.account_id, False)
    async with transaction(runtime.sessionmaker) as session:
        await referral_rollups.rebuild(session, repository.Tenant(tenant.account_id, False))
    assert await stored(runtime, tenant.account_id, False) == before
    assert await stored(runtime, tenant.account_id, True) == await counted(
        runtime, tenant.account_id, True
    )


async def test_the_funnel_counts_each_mode_apart(tenant: Tenant) -> None:
    test = await some_referrals(tenant.test)
    await some_referrals(tenant.live)
    await move(tenant.test, test[0], "converted")
    await move(tenant.test, test[1], "rejected")
    for api, expected in ((tenant.test, (5, 1, 1)), (tenant.live, (5, 0, 0))):
        body = await api.ok("GET", "/api/v1/analytics/funnel", interval="day")
        total = body["total"]
        assert (total["referrals"], total["converted"], total["rejected"]) == expected


async def test_impressions_beyond_the_watermark_are_a_range_of_the_tenants_ids(
    runtime: Runtime, backend: str
) -> None:
    """What the readers count from `impressions` beside the rollups (stored since the
    watermark) is found by a range of (account, mode, id), not by walking every impression of
    the account (what SQLite did with an index on the account alone: 0013a)."""
    if backend != "sqlite":
        pytest.skip("PostgreSQL chooses from its statistics; SQLite from the indexes alone")
    start, end = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC)
    (unfolded,) = counting.raw_parts(start, end, start, end, "imp_01kyzwad00")
    query = (
        select(Impression.student_id, func.count())
        .where(repository.owned_by(Impression, repository.Tenant("acct_x", False)), *unfolded)
        .group_by(Impression.student_id)
    )
    async with transaction(runtime.sessionmaker) as session:
        compiled = query.compile(
            dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True}
        )
        plan = " ".join(
            str(row[-1]) for row in await session.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))
        )
    assert "ix_impressions_account_id_livemode_id (account_id=? AND livemode=? AND id>?)" in plan


async def test_concurrent_sign_ups_on_one_row_are_all_counted(
    tenant: Tenant, runtime: Runtime
) -> None:
    """Sign-ups at once from one poster land on the same rollup rows: the first creates each row
    and the others add to it (on PostgreSQL some race to create it and go back to adding)."""
    api = tenant.test
    funnel = await make_funnel(api)
    scans = [await make_impression(api, funnel.poster["id"]) for _ in range(12)]
    made = await asyncio.gather(*(make_referral(api, scan["id"]) for scan in scans))
    assert len({referral["id"] for referral in made}) == 12
    await asyncio.gather(*(move(api, referral, "converted") for referral in made[:6]))
    expected = await counted(runtime, tenant.account_id, False)
    assert await stored(runtime, tenant.account_id, False) == expected
    (row,) = expected[ReferralPosterDay.__tablename__].values()
    assert row == {"pending": 6, "converted": 6, "verified": 0, "rejected": 0}
