"""The poster, program and ambassador pages show the figures GET /api/v1/analytics/funnel answers
for the same poster, program or ambassador and range (scans, unique scanners, signups,
conversions, earnings, each day), the poster's rank as /analytics/posters orders them, and the
program's top lists as /leaderboard and /posters rank them."""

import re
from datetime import timedelta
from html import unescape
from typing import Any

from tests.dashboard.test_dashboard_figures import build, noise, ranked
from tests.dashboard_helpers import Browser
from tests.helpers import Api, Tenant, new_tenant
from vantio.auth.context import AuthContext
from vantio.dashboard import charts, insight
from vantio.db import repository
from vantio.impressions import service as impression_service
from vantio.kit.money import to_major
from vantio.kit.time import utc_now
from vantio.posters.models import Poster
from vantio.runtime import Runtime


def activity_figures(html: str) -> dict[str, str]:
    found = re.findall(r'data-activity="(\w+)">([^<]*)<', html)
    return {name: unescape(value) for name, value in found}


async def repeat_scans(runtime: Runtime, tenant: Tenant, poster_id: str) -> None:
    """Three scans of one poster by two devices (as the scan path records them: one
    fingerprint a device), days apart."""
    async with runtime.sessionmaker() as session, session.begin():
        owner = AuthContext(account_id=tenant.account_id, livemode=False, api_key_id="")
        poster = await repository.get(session, Poster, owner, poster_id)
        assert poster is not None
        for days_ago, device in ((2, "device-a"), (1, "device-a"), (1, "device-b")):
            impression = impression_service.build(
                poster,
                scanned_at=utc_now() - timedelta(days=days_ago),
                user_agent="phone",
                ip_address="203.0.113.9",
                fingerprint=device,
                metadata={},
            )
            await impression_service.add(session, impression)


async def api_activity(api: Api, **params: str) -> tuple[dict[str, str], str, str]:
    body = await api.ok("GET", "/api/v1/analytics/funnel", unique_scanners="true", **params)
    total, currency = body["total"], body["currency"]
    figures = {
        "scans": f"{total['impressions']:,}",
        "unique_scanners": f"{total['unique_scanners']:,}",
        "signups": f"{total['referrals']:,}",
        "conversions": f"{total['converted']:,}",
        "earnings": f"{to_major(total['earnings_amount'], currency)} {currency}",
    }
    days = {
        i["start"][:10]: {
            "scans": i["impressions"],
            "unique scanners": i["unique_scanners"],
            "signups": i["referrals"],
            "conversions": i["converted"],
        }
        for i in body["intervals"]
    }
    money = {i["start"][:10]: {"earnings": i["earnings_amount"]} for i in body["intervals"]}
    chart = str(charts.series_svg(days, insight.SERIES))
    earnings_chart = str(
        charts.series_svg(
            money,
            ("earnings",),
            fmt=lambda amount: f"{to_major(amount, currency)} {currency}",
            empty="No earnings in this period.",
        )
    )
    return figures, chart, earnings_chart


async def check(browser: Browser, api: Api, path: str, dates: dict[str, str], **narrow: str) -> str:
    page = await browser.get(path, **dates)
    assert page.status_code == 200, page.text
    expected, chart, earnings_chart = await api_activity(api, **narrow, **dates)
    shown = activity_figures(page.text)
    shown.pop("rank", None)
    assert shown == expected, (path, dates)
    assert chart in page.text, (path, dates)
    assert earnings_chart in page.text, (path, dates)
    return page.text


async def test_poster_program_and_ambassador_pages_show_the_api_figures(
    signed_in: Browser, runtime: Runtime, client: Any, tenant: Tenant, api: Api
) -> None:
    world = await build(api)
    campus = world["programs"][0]
    posters = (await api.ok("GET", "/api/v1/analytics/posters", program_id=campus))["posters"]
    library = next(p for p in posters if p["location"] == "Library")["poster_id"]
    await repeat_scans(runtime, tenant, library)
    await noise(tenant.live)
    await noise((await new_tenant(runtime, client)).test)
    today = utc_now().date()
    ranges = [
        {},
        {"from": (today - timedelta(days=1)).isoformat(), "to": today.isoformat()},
        {"from": "2020-01-01", "to": "2020-01-31"},
    ]
    for dates in ranges:
        order = await api.ok("GET", "/api/v1/analytics/posters", program_id=campus, **dates)
        ids = [row["poster_id"] for row in order["posters"]]
        for place, poster_id in enumerate(ids, start=1):
            html = await check(
                signed_in, api, f"/dashboard/posters/{poster_id}", dates, poster_id=poster_id
            )
            assert activity_figures(html)["rank"] == f"{place} of {len(ids)}"
        for user_id in world["ambassadors"].values():
            await check(
                signed_in, api, f"/dashboard/ambassadors/{user_id}", dates, student_id=user_id
            )
        for program_id in world["programs"][:2]:
            html = await check(
                signed_in, api, f"/dashboard/programs/{program_id}", dates, program_id=program_id
            )
            board = await api.ok(
                "GET", "/api/v1/analytics/leaderboard", program_id=program_id, **dates
            )
            assert ranked(html, "top-amb-h", "ambassadors") == [
                (row["student_id"], row["referrals"]) for row in board["ambassadors"]
                if row["referrals"]
            ][:5]  # fmt: skip
            places = await api.ok(
                "GET", "/api/v1/analytics/posters", program_id=program_id, **dates
            )
            assert (
                ranked(html, "top-post-h", "posters")
                == [(row["poster_id"], row["scans"]) for row in places["posters"] if row["scans"]][
                    :5
                ]
            )


async def test_unique_scanners_count_devices(runtime: Runtime, tenant: Tenant, api: Api) -> None:
    """Two devices scanning three times are two scanners; a scan without a fingerprint (an
    impression recorded through the API) is one device of its own."""
    world = await build(api)
    campus = world["programs"][0]
    posters = (await api.ok("GET", "/api/v1/analytics/posters", program_id=campus))["posters"]
    library = next(p for p in posters if p["location"] == "Library")
    await repeat_scans(runtime, tenant, library["poster_id"])
    body = await api.ok(
        "GET", "/api/v1/analytics/funnel", poster_id=library["poster_id"], unique_scanners="true"
    )
    assert body["total"]["impressions"] == 3 + 3
    assert body["total"]["unique_scanners"] == 3 + 2
    assert body["total"]["referrals"] == 3
    assert body["program_id"] == campus
    plain = await api.ok("GET", "/api/v1/analytics/funnel", poster_id=library["poster_id"])
    assert plain["total"]["unique_scanners"] is None


async def test_a_foreign_poster_or_ambassador_is_not_found(
    runtime: Runtime, client: Any, api: Api
) -> None:
    other = await new_tenant(runtime, client)
    world = await build(other.test)
    user_id = world["ambassadors"]["maya"]
    response = await api.get("/api/v1/analytics/funnel", student_id=user_id)
    assert response.status_code == 404
