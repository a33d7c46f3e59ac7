"""Analytics endpoints: their shape, defaults, bad input in the documented error shape, tenancy,
and the rollup refresh that runs behind the writes."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from tests.helpers import (
    Api,
    Tenant,
    make_funnel,
    make_poster,
    make_program,
    make_referral,
    make_user,
)
from vantio.analytics import rollups
from vantio.db.session import transaction
from vantio.runtime import Runtime


async def test_api_made_objects_show_up_today(api: Api) -> None:
    funnel = await make_funnel(api)
    program_id = funnel.program["id"]
    referral = await make_referral(api, funnel.impression["id"])
    await api.ok("POST", "/api/v1/earnings", {"referral_id": referral["id"], "amount": 700})
    second = await make_referral(api, funnel.impression["id"])
    await api.ok("PUT", f"/api/v1/referrals/{second['id']}", {"status": "rejected"})

    body = await api.ok("GET", "/api/v1/analytics/funnel", programId=program_id)

    assert body["interval"] == "day"
    assert body["tz"] == "UTC"
    assert body["currency"] == "USD"
    assert len(body["intervals"]) == 30  # the last 30 days, today included
    today = body["intervals"][-1]
    assert today == {
        "start": today["start"],
        "end": body["end"],
        "impressions": 1,
        "referrals": 2,
        "converted": 1,
        "verified": 0,
        "rejected": 1,
        "earnings_count": 1,
        "earnings_amount": 700,
        "unique_scanners": None,  # counted only when asked (unique_scanners=true)
    }
    assert body["total"]["scan_to_signup_rate"] == 2.0
    assert body["total"]["signup_to_conversion_rate"] == 0.5
    assert body["total"]["conversion_to_verification_rate"] == 0.0
    assert body["total"]["rejection_rate"] == 0.5

    board = await api.ok("GET", "/api/v1/analytics/leaderboard", program_id=program_id)
    [row] = board["ambassadors"]
    assert (row["student_id"], row["rank"], row["impressions"], row["referrals"]) == (
        funnel.user["id"],
        1,
        1,
        2,
    )
    assert row["scan_to_signup_rate"] == 2.0
    assert board["has_more"] is False

    places = await api.ok("GET", "/api/v1/analytics/posters", program_id=program_id)
    assert [
        (p["poster_id"], p["scans"], p["referrals"], p["converted"]) for p in places["posters"]
    ] == [(funnel.poster["id"], 1, 2, 1)]
    assert places["posters"][0]["conversion_rate"] == 1.0
    assert places["locations"] == [
        {
            "location": "Library - First Floor",
            "posters": 1,
            "scans": 1,
            "referrals": 2,
            "converted": 1,
            "scan_to_signup_rate": 2.0,
            "conversion_rate": 1.0,
        }
    ]


async def test_intervals_weeks_and_months(api: Api) -> None:
    program = await make_program(api)
    weeks = await api.ok(
        "GET",
        "/api/v1/analytics/funnel",
        program_id=program["id"],
        interval="week",
        tz="Europe/Berlin",
        **{"from": "2026-03-04", "to": "2026-03-31"},
    )
    assert [i["start"] for i in weeks["intervals"]] == [
        "2026-03-03T23:00:00Z",  # the range starts on a Wednesday: a partial first week
        "2026-03-08T23:00:00Z",
        "2026-03-15T23:00:00Z",
        "2026-03-22T23:00:00Z",
        "2026-03-29T22:00:00Z",  # summer time from 29 March
    ]
    assert weeks["end"] == "2026-03-31T22:00:00Z"
    months = await api.ok(
        "GET",
        "/api/v1/analytics/funnel",
        program_id=program["id"],
        interval="month",
        **{"from": "2026-01-15", "to": "2026-03-01"},
    )
    assert [i["start"] for i in months["intervals"]] == [
        "2026-01-15T00:00:00Z",
        "2026-02-01T00:00:00Z",
        "2026-03-01T00:00:00Z",
    ]
    assert months["total"]["scan_to_signup_rate"] is None  # nothing to divide


async def test_bad_input_answers_400_and_foreign_programs_404(api: Api, tenant: Tenant) -> None:
    program = await make_program(api)
    foreign = await make_program(tenant.live)
    funnel = "/api/v1/analytics/funnel"
    cases = [
        ({"from": "2026-03-10", "to": "2026-03-01"}, "from", "invalid_range"),
        ({"from": "2026-03-10T10:00:00Z", "to": "2026-03-10T10:00:00Z"}, "from", "invalid_range"),
        ({"interval": "hour"}, "interval", "invalid_request"),
        ({"tz": "Mars/Olympus"}, "tz", "invalid_request"),
        ({"from": "yesterday"}, "from", "invalid_request"),
        ({"from": "2026-02-30"}, "from", "invalid_request"),
        ({"from": "2000-01-01", "to": "2026-01-01"}, "interval", "invalid_request"),
        ({"currency": "XXX"}, "currency", "invalid_request"),
        ({"program_id": "user_123"}, "program_id", "invalid_request"),
    ]
    for params, field, code in cases:
        response = await api.get(funnel, **{"program_id": program["id"], **params})
        assert response.status_code == 400, (params, response.text)
        body = response.json()
        assert body["error"] == "Bad Request"
        assert body["code"] in (code, "invalid_id"), body
        assert body["message"].startswith(f"{field}:"), body
    for path in ("funnel", "leaderboard", "posters"):
        missing = await api.get(f"/api/v1/analytics/{path}", program_id=foreign["id"])
        assert missing.status_code == 404
        assert missing.json()["code"] == "not_found"
    for extreme in (
        {"from": "0001-01-01", "to": "0001-01-02"},
        {"from": "9999-12-30T00:00:00", "to": "9999-12-31T23:59:59"},
        {"to": "0001-01-03"},
        {"from": "9999-12-31"},
        {"from": "0001-01-01T00:00:00+05:00"},
    ):
        for path in ("funnel", "leaderboard", "posters"):
            answer = await api.get(f"/api/v1/analytics/{path}", tz="Asia/Tokyo", **extreme)
            assert answer.status_code in (200, 400), (path, extreme, answer.text)
    bad_sort = await api.get("/api/v1/analytics/leaderboard", sort="fame")
    assert bad_sort.status_code == 400


async def test_leaderboard_ranks_and_pages(api: Api) -> None:
    program = await make_program(api)
    counts = {}
    for referrals in (1, 3, 2):
        user = await make_user(api, program["id"])
        poster = await make_poster(api, program["id"], user["id"])
        scan = await api.ok("POST", "/api/v1/impressions", {"poster_id": poster["id"]})
        for _ in range(referrals):
            await make_referral(api, scan["id"])
        counts[user["id"]] = referrals
    first = await api.ok(
        "GET", "/api/v1/analytics/leaderboard", program_id=program["id"], limit="2"
    )
    second = await api.ok(
        "GET", "/api/v1/analytics/leaderboard", program_id=program["id"], limit="2", offset="2"
    )
    rows = first["ambassadors"] + second["ambassadors"]
    assert [r["referrals"] for r in rows] == [3, 2, 1]
    assert [r["rank"] for r in rows] == [1, 2, 3]
    assert (first["has_more"], second["has_more"]) == (True, False)


async def test_refresh_is_exact_once_and_the_worker_runs_it(api: Api, runtime: Runtime) -> None:
    assert "analytics.rollups" in runtime.jobs  # filled by the composition root
    funnel = await make_funnel(api)
    # Folded up to this moment, never later: an impression stored afterwards must stay above
    # the watermark (the readers' one assumption).
    await asyncio.sleep(0.01)
    now = datetime.now(UTC)
    async with transaction(runtime.sessionmaker) as first:
        folded = await rollups.refresh(first, up_to=now)
    assert folded >= 1  # at least our impression
    async with transaction(runtime.sessionmaker) as again:
        assert await rollups.refresh(again, up_to=now) == 0  # already folded: nothing twice
    body = await api.ok("GET", "/api/v1/analytics/funnel", program_id=funnel.program["id"])
    assert body["total"]["impressions"] == 1
    assert (await api.ok("GET", "/api/v1/analytics/posters", program_id=funnel.program["id"]))[
        "posters"
    ][0]["scans"] == 1
    async with transaction(runtime.sessionmaker) as session:
        assert await rollups.watermark(session) == rollups.first_id_at(now)
    assert rollups.first_id_at(now - timedelta(milliseconds=1)) < rollups.first_id_at(now)


@pytest.mark.slow
async def test_refresh_folds_a_bounded_batch_and_stays_exact(api: Api, runtime: Runtime) -> None:
    funnel = await make_funnel(api)
    for _ in range(3):
        await api.ok("POST", "/api/v1/impressions", {"poster_id": funnel.poster["id"]})
    await asyncio.sleep(0.01)
    up_to = datetime.now(UTC)
    folded = []
    for _ in range(200):
        async with transaction(runtime.sessionmaker) as session:
            step = await rollups.refresh(session, up_to=up_to, limit=2)
        if step == 0:
            break
        folded.append(step)
        body = await api.ok("GET", "/api/v1/analytics/funnel", program_id=funnel.program["id"])
        assert body["total"]["impressions"] == 4  # exact at every step of the catch-up
    assert folded
    assert max(folded) <= 2
