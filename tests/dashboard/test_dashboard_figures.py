"""Every figure the dashboard shows is the one the analytics API answers for the same account,
mode and range: the overview (funnel, totals, the series per day, top ambassadors and posters
with their figures), the ambassadors list and an ambassador's page.

The data holds pending, processing, paid and failed earnings in two currencies, ties in the
rankings, an idle ambassador, and the same account's live mode and another account (neither
of which may count)."""

import re
from datetime import timedelta
from html import unescape
from typing import Any

from tests.dashboard_helpers import Browser
from tests.helpers import (
    Api,
    Tenant,
    make_funnel,
    make_impression,
    make_poster,
    make_program,
    make_referral,
    make_user,
    new_tenant,
)
from vantio.dashboard import charts
from vantio.kit.money import to_major
from vantio.kit.time import utc_now
from vantio.runtime import Runtime

CURRENCIES = ("EUR", "USD")


async def earn(api: Api, referral: dict[str, Any], amount: int, *moves: str, **fields: Any) -> None:
    """An earning on the referral, moved along its workflow (`processing`, `paid`, `failed`)."""
    earning = await api.ok(
        "POST", "/api/v1/earnings", {"referral_id": referral["id"], "amount": amount, **fields}
    )
    for status in moves:
        await api.ok("PUT", f"/api/v1/earnings/{earning['id']}", {"status": status})


async def build(api: Api) -> dict[str, Any]:
    """Two programs: Campus (USD) with three ambassadors, Downtown (EUR) with one."""
    campus = await make_program(api, name="Campus", currency="USD")
    # Lena comes first in ID order; Maya first in the ranking (a tie on referrals, broken by
    # conversions), so a ranking that breaks ties by ID alone shows them the other way round.
    lena = await make_user(api, campus["id"], first_name="Lena")
    maya = await make_user(api, campus["id"], first_name="Maya")
    idle = await make_user(api, campus["id"], first_name="Idle")
    library = await make_poster(api, campus["id"], maya["id"], location="Library")
    cafe = await make_poster(api, campus["id"], maya["id"], location="Cafe")
    gym = await make_poster(api, campus["id"], lena["id"], location="Gym")
    await make_poster(api, campus["id"], idle["id"], location=None)
    scans = {
        poster["id"]: [await make_impression(api, poster["id"]) for _ in range(count)]
        for poster, count in ((library, 3), (cafe, 1), (gym, 4))
    }
    m1, m2, m3 = [await make_referral(api, imp["id"]) for imp in scans[library["id"]]]
    m4 = await make_referral(api, scans[cafe["id"]][0]["id"])
    l1, l2, _, _ = [await make_referral(api, imp["id"]) for imp in scans[gym["id"]]]
    await earn(api, m1, 1000)  # pending, converts m1
    await earn(api, m1, 2000, "processing", "paid")
    await earn(api, m2, 4000, "failed")  # not earned
    await earn(api, m2, 800, "processing")
    await earn(api, m3, 500, currency="EUR")
    await api.ok("PUT", f"/api/v1/referrals/{m1['id']}", {"status": "verified"})
    await earn(api, l1, 3000, "processing", "failed")  # failed after processing
    await api.ok("PUT", f"/api/v1/referrals/{l2['id']}", {"status": "rejected"})
    assert m4["student_id"] == maya["id"]
    downtown = await make_funnel(api, name="Downtown", currency="EUR")
    d1 = await make_referral(api, downtown.impression["id"])
    await earn(api, d1, 700)
    await earn(api, d1, 300, "failed")
    return {
        "programs": [campus["id"], downtown.program["id"], None],
        "ambassadors": {"maya": maya["id"], "lena": lena["id"], "idle": idle["id"],
                        "downtown": downtown.user["id"]},
    }  # fmt: skip


async def noise(api: Api) -> None:
    """Data that must not count: another account's, or this account's other mode."""
    funnel = await make_funnel(api, name="Elsewhere")
    referral = await make_referral(api, funnel.impression["id"])
    await earn(api, referral, 99_900)


def dashboard_figures(html: str) -> dict[str, str]:
    return {
        name: unescape(value) for name, value in re.findall(r'data-figure="(\w+)">([^<]*)<', html)
    }


def ranked(html: str, heading: str, link: str) -> list[tuple[str, int]]:
    section = html[html.index(f'id="{heading}"') :]
    section = section[: section.index("</section>")]
    return [
        (item_id, int(count))
        for item_id, count in re.findall(
            rf'href="/dashboard/{link}/([^"]+)">[^<]*</a> <span class="muted">(\d+) ', section
        )
    ]


def earned_text(amounts: dict[str, int]) -> dict[str, str]:
    return {cur: to_major(amount, cur) for cur, amount in amounts.items() if amount}


async def check_overview(browser: Browser, api: Api, program_id: str | None, **dates: str) -> None:
    params = {"program": program_id or "", **dates}
    page = await browser.get("/dashboard/", **params)
    assert page.status_code == 200
    shown = dashboard_figures(page.text)
    currency = shown["earnings"].split(" ")[1]
    query = {"currency": currency, **({"program_id": program_id} if program_id else {}), **dates}
    funnel = await api.ok("GET", "/api/v1/analytics/funnel", interval="day", **query)
    total = funnel["total"]
    assert shown == {
        "scans": f"{total['impressions']:,}",
        "referrals": f"{total['referrals']:,}",
        "converted": f"{total['converted']:,}",
        "verified": f"{total['verified']:,}",
        "earnings": f"{to_major(total['earnings_amount'], currency)} {currency}",
    }, (params, total)
    days = {
        interval["start"][:10]: {"scans": interval["impressions"], "signups": interval["referrals"]}
        for interval in funnel["intervals"]
    }
    assert str(charts.series_svg(days, ("scans", "signups"))) in page.text
    board = await api.ok("GET", "/api/v1/analytics/leaderboard", sort="referrals", **query)
    expected_ambassadors = [
        (row["student_id"], row["referrals"]) for row in board["ambassadors"] if row["referrals"]
    ][:5]
    assert ranked(page.text, "top-amb-h", "ambassadors") == expected_ambassadors
    query.pop("currency")
    places = await api.ok("GET", "/api/v1/analytics/posters", **query)
    expected_posters = [
        (row["poster_id"], row["scans"]) for row in places["posters"] if row["scans"]
    ]
    assert ranked(page.text, "top-post-h", "posters") == expected_posters[:5]


async def lifetime_of_ambassadors(api: Api) -> dict[str, dict[str, Any]]:
    """The API's figures of each ambassador over all time: from 1970 to tomorrow."""
    tomorrow = (utc_now() + timedelta(days=1)).date().isoformat()
    span = {"from": "1970-01-01", "to": tomorrow, "limit": "100"}
    figures: dict[str, dict[str, Any]] = {}
    for currency in CURRENCIES:
        board = await api.ok("GET", "/api/v1/analytics/leaderboard", currency=currency, **span)
        for row in board["ambassadors"]:
            mine = figures.setdefault(row["student_id"], {"earned": {}})
            mine.update(scans=row["impressions"], referrals=row["referrals"])
            mine.update(converted=row["converted"])
            mine["earned"][currency] = row["earnings_amount"]
    places = await api.ok("GET", "/api/v1/analytics/posters")
    for mine in figures.values():
        mine["posters"] = 0
    for row in places["posters"]:
        figures[row["student_id"]]["posters"] += 1
    return figures


def earned_on_page(text: str) -> dict[str, str]:
    return {cur: amount for amount, cur in re.findall(r"([\d.,]+) ([A-Z]{3})", text)}


async def check_ambassadors(browser: Browser, api: Api) -> None:
    expected = await lifetime_of_ambassadors(api)
    listing = await browser.get("/dashboard/ambassadors")
    rows = re.findall(r'<a href="/dashboard/ambassadors/(user_\w+)">(.*?)</tr>', listing.text, re.S)
    assert {user_id for user_id, _ in rows} == set(expected)
    for user_id, row in rows:
        cells = dict(re.findall(r'data-label="(\w+)"[^>]*>(.*?)</td>', row, re.S))
        want = expected[user_id]
        assert {
            "posters": int(cells["Posters"]),
            "scans": int(cells["Scans"]),
            "referrals": int(cells["Referrals"]),
            "converted": int(cells["Converted"]),
            "earned": earned_on_page(cells["Earned"]),
        } == {**{k: want[k] for k in ("posters", "scans", "referrals", "converted")},
              "earned": earned_text(want["earned"])}, user_id  # fmt: skip
        page = dashboard_figures((await browser.get(f"/dashboard/ambassadors/{user_id}")).text)
        assert {
            "posters": int(page["posters"]),
            "scans": int(page["scans"]),
            "referrals": int(page["referrals"]),
            "converted": int(page["converted"]),
            "earned": earned_on_page(page["earned"]),
        } == {**{k: want[k] for k in ("posters", "scans", "referrals", "converted")},
              "earned": earned_text(want["earned"])}, user_id  # fmt: skip


async def test_the_dashboard_shows_the_figures_of_the_analytics_api(
    signed_in: Browser, runtime: Runtime, client: Any, tenant: Tenant, api: Api
) -> None:
    world = await build(api)
    await noise(tenant.live)
    await noise((await new_tenant(runtime, client)).test)
    today = utc_now().date()
    ranges = [
        {},  # the default: the last 30 days
        {"from": (today - timedelta(days=3)).isoformat(), "to": today.isoformat()},
        {"from": "2020-01-01", "to": "2020-01-31"},  # nothing then
    ]
    for program_id in world["programs"]:
        for dates in ranges:
            await check_overview(signed_in, api, program_id, **dates)
    await check_ambassadors(signed_in, api)


async def test_failed_earnings_are_not_counted(api: Api) -> None:
    """The rule both sides follow (docs/API.md): pending, processing and paid count; failed not."""
    world = await build(api)
    for currency, count, amount in (("USD", 3, 3800), ("EUR", 2, 1200)):
        body = await api.ok("GET", "/api/v1/analytics/funnel", currency=currency)
        assert (body["total"]["earnings_count"], body["total"]["earnings_amount"]) == (
            count,
            amount,
        )
    board = await api.ok("GET", "/api/v1/analytics/leaderboard", currency="USD")
    names = {user_id: name for name, user_id in world["ambassadors"].items()}
    earned = {names[row["student_id"]]: row["earnings_amount"] for row in board["ambassadors"]}
    assert earned == {"maya": 3800, "lena": 0, "idle": 0, "downtown": 0}
