"""The public scan `GET /s/{code}`, its group commit, and the poster's QR codes."""

import asyncio
import json
import re
import secrets
from datetime import UTC, datetime, timedelta
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import png
import pytest
import segno
import zxingcpp
from fastapi import FastAPI
from sqlalchemy import text

from tests.conftest import make_settings
from tests.helpers import Api, make_poster, make_program, make_referral, make_user
from vantio.app import create_app
from vantio.config import Settings
from vantio.events import jobs as event_jobs
from vantio.kit.time import freeze
from vantio.runtime import Runtime
from vantio.scans import service
from vantio.scans.endpoints import ScanFastPath
from vantio.scans.writer import writer_of

IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"
IPAD = "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"
ANDROID_TABLET = (
    "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 Chrome/120 Safari/537.36"
)
DESKTOP = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120 Safari/537.36"
BOTS = [
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "Slack-ImgProxy (+https://api.slack.com/robots)",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Twitterbot/1.0",
    "WhatsApp/2.23.20.0",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "TelegramBot (like TwitterBot)",
    "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/120.0 Safari/537.36",
    "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
    "Mozilla/5.0 (Macintosh) AppleWebKit/605.1.15 (KHTML, like Gecko) Applebot/0.1",
    "Pinterestbot/1.0",
    "Mozilla/5.0 (compatible; Embedly/0.2; +http://support.embed.ly/)",
]


# -- the app under test: the same app with its lifespan running, so scans are group-committed ---


def scanner(app: FastAPI, ip: str = "203.0.113.7", **headers: str) -> httpx.AsyncClient:
    """A client that keeps no cookie: the requests of one client may be several devices (a
    test's device that has a cookie sends it in its headers)."""
    transport = httpx.ASGITransport(app=app, client=(ip, 4321))
    no_cookies = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
    return httpx.AsyncClient(
        transport=transport,
        base_url="http://testserver",
        headers=headers,
        cookies=httpx.Cookies(no_cookies),
    )


async def scan(
    app: FastAPI, code: str, *, ip: str = "203.0.113.7", **headers: str
) -> httpx.Response:
    async with scanner(app, ip, **headers) as client:
        return await client.get(f"/s/{code}")


def impression_id_of(response: httpx.Response) -> str:
    assert response.status_code == 302, response.text
    ids = parse_qs(urlsplit(response.headers["location"]).query).get("impression_id", [])
    assert len(ids) == 1, response.headers["location"]
    return ids[0]


async def poster_for(api: Api, **fields: Any) -> dict[str, Any]:
    program = await make_program(
        api, landing_url=fields.pop("landing_url", "https://example.com/signup?ref=campus&x=1")
    )
    user = await make_user(api, program["id"])
    return await make_poster(api, program["id"], user["id"], **fields)


async def impressions_of(api: Api, poster_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    while True:
        page = await api.ok(
            "GET", "/api/v1/impressions", poster_id=poster_id, limit=100, offset=len(found)
        )
        found.extend(page["impressions"])
        if not page["has_more"]:
            return found


# -- what one scan does ----------------------------------------------------------------------------


async def test_scan_redirects_to_the_landing_page_with_the_stored_impression(
    api: Api, served: FastAPI
) -> None:
    poster = await poster_for(api, location="Library - First Floor")
    async with scanner(served, "198.51.100.23", **{"user-agent": IPHONE}) as client:
        response = await client.get(
            f"/s/{poster['code']}?utm_source=poster&utm_campaign=spring&other=x",
            headers={"referer": "https://campus.example.edu/events"},
        )
    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    assert (location.scheme, location.netloc, location.path) == ("https", "example.com", "/signup")
    query = parse_qs(location.query)
    assert query["ref"] == ["campus"]  # the landing page's own parameters are kept
    assert query["x"] == ["1"]
    assert location.query.startswith("ref=campus&x=1&impression_id=imp_")
    assert response.headers["cache-control"] == "no-store"

    impression = await api.ok("GET", f"/api/v1/impressions/{impression_id_of(response)}")
    assert impression["poster_id"] == poster["id"]
    assert impression["program_id"] == poster["program_id"]
    assert impression["student_id"] == poster["student_id"]
    assert impression["user_agent"] == IPHONE
    assert impression["ip_address"] == "198.51.100.23"
    assert impression["metadata"] == {
        "device_type": "mobile",
        "referrer": "https://campus.example.edu/events",
        "location": "Library - First Floor",
        "utm_source": "poster",
        "utm_campaign": "spring",
    }

    events = await api.ok("GET", "/api/v1/events", type="impression.created", limit=100)
    [event] = [e for e in events["events"] if e["data"]["id"] == impression["id"]]
    assert event["data"] == impression


async def test_scan_uses_the_posters_own_destination(api: Api, served: FastAPI) -> None:
    poster = await poster_for(api, destination_url="https://shop.example.com/welcome#top")
    response = await scan(served, poster["code"], **{"user-agent": DESKTOP})
    impression_id = impression_id_of(response)
    assert response.headers["location"] == (
        f"https://shop.example.com/welcome?impression_id={impression_id}#top"
    )
    impression = await api.ok("GET", f"/api/v1/impressions/{impression_id}")
    assert impression["metadata"]["device_type"] == "desktop"
    assert impression["metadata"]["referrer"] == "direct"


@pytest.mark.parametrize(
    ("agent", "device"),
    [
        (IPHONE, "mobile"),
        (IPAD, "tablet"),
        (ANDROID_TABLET, "tablet"),
        (DESKTOP, "desktop"),
        ("Mozilla/5.0", "desktop"),
    ],
)
async def test_device_type(api: Api, served: FastAPI, agent: str, device: str) -> None:
    poster = await poster_for(api)
    response = await scan(served, poster["code"], **{"user-agent": agent})
    impression = await api.ok("GET", f"/api/v1/impressions/{impression_id_of(response)}")
    assert impression["metadata"]["device_type"] == device


async def test_bots_and_link_previews_are_redirected_but_not_counted(
    api: Api, served: FastAPI
) -> None:
    poster = await poster_for(api)
    for agent in BOTS:
        response = await scan(served, poster["code"], **{"user-agent": agent})
        assert response.status_code == 302, agent
        assert response.headers["location"] == "https://example.com/signup?ref=campus&x=1", agent
    assert await impressions_of(api, poster["id"]) == []


async def test_head_is_redirected_but_not_counted(api: Api, served: FastAPI) -> None:
    poster = await poster_for(api)
    async with scanner(served, **{"user-agent": IPHONE}) as client:
        response = await client.head(f"/s/{poster['code']}")
    assert response.status_code == 302
    assert "impression_id" not in response.headers["location"]
    assert await impressions_of(api, poster["id"]) == []


async def test_a_repeat_scan_within_30_minutes_reuses_the_impression(
    api: Api, served: FastAPI
) -> None:
    poster = await poster_for(api)
    start = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    device = {"user-agent": IPHONE}
    with freeze(start):
        first = impression_id_of(await scan(served, poster["code"], **device))
    with freeze(start + timedelta(minutes=29, seconds=59)):
        assert impression_id_of(await scan(served, poster["code"], **device)) == first
        # Another device (user agent or IP) is another impression.
        other_agent = impression_id_of(await scan(served, poster["code"], **{"user-agent": IPAD}))
        other_ip = impression_id_of(await scan(served, poster["code"], ip="192.0.2.1", **device))
    with freeze(start + timedelta(minutes=30, seconds=1)):
        later = impression_id_of(await scan(served, poster["code"], **device))
    assert len({first, other_agent, other_ip, later}) == 4
    stored = {i["id"]: i["scanned_at"] for i in await impressions_of(api, poster["id"])}
    assert stored == {
        first: "2026-03-02T12:00:00Z",
        other_agent: "2026-03-02T12:29:59Z",
        other_ip: "2026-03-02T12:29:59Z",
        later: "2026-03-02T12:30:01Z",
    }


async def test_a_repeat_scan_of_another_poster_is_another_impression(
    api: Api, served: FastAPI
) -> None:
    one, two = await poster_for(api), await poster_for(api)
    device = {"user-agent": IPHONE}
    first = impression_id_of(await scan(served, one["code"], **device))
    assert impression_id_of(await scan(served, two["code"], **device)) != first


@pytest.mark.parametrize(
    "path",
    ["/s/NOPE000000", "/s/" + "x" * 200, "/s/bad%00code", "/s/%E2%98%83", "/s/a.b"],
)
async def test_an_unknown_poster_answers_a_404_page(served: FastAPI, path: str) -> None:
    async with scanner(served, **{"user-agent": IPHONE}) as client:
        for method in ("GET", "HEAD"):
            response = await client.request(method, path)
            assert response.status_code == 404
            assert response.headers["content-type"].startswith("text/html")
        assert "not valid" in (await client.get(path)).text
        for image in ("qr.svg", "qr.png"):
            assert (await client.get(f"{path}/{image}")).status_code == 404


async def test_nul_bytes_and_long_values_are_cleaned(api: Api, served: FastAPI) -> None:
    poster = await poster_for(api)
    async with scanner(served, **{"user-agent": "Mozilla/5.0 " + "z" * 3000}) as client:
        response = await client.get(
            f"/s/{poster['code']}?utm_source=a%00b&utm_medium={'m' * 900}&utm_%00=x"
        )
    impression = await api.ok("GET", f"/api/v1/impressions/{impression_id_of(response)}")
    assert impression["metadata"]["utm_source"] == "ab"
    assert impression["metadata"]["utm_medium"] == "m" * 500
    assert "utm_\x00" not in impression["metadata"]
    assert len(impression["user_agent"]) == 1000


async def test_the_documented_route_answers_like_the_fast_path(
    api: Api, settings: Settings, runtime: Runtime
) -> None:
    """`ScanFastPath` answers first; the FastAPI route behind it (in OpenAPI) answers the same."""
    poster = await poster_for(api)
    app = create_app(settings, runtime)
    assert "/s/{code}" in app.openapi()["paths"]
    app.front_middleware.remove(ScanFastPath)
    async with scanner(app) as client:
        found = await client.get(f"/s/{poster['code']}", headers={"user-agent": IPHONE})
        head = await client.head(f"/s/{poster['code']}", headers={"user-agent": IPHONE})
        missing = await client.get("/s/NOPE000000")
    impression = await api.ok("GET", f"/api/v1/impressions/{impression_id_of(found)}")
    assert impression["poster_id"] == poster["id"]
    assert head.status_code == 302
    assert head.headers["location"] == "https://example.com/signup?ref=campus&x=1"
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("text/html")


async def test_a_referral_is_created_from_the_redirects_impression(
    api: Api, served: FastAPI
) -> None:
    poster = await poster_for(api)
    impression_id = impression_id_of(await scan(served, poster["code"], **{"user-agent": IPHONE}))
    referral = await make_referral(api, impression_id)
    assert referral["program_id"] == poster["program_id"]
    assert referral["student_id"] == poster["student_id"]


async def test_another_accounts_key_does_not_see_the_impression(
    api: Api, tenant: Any, served: FastAPI
) -> None:
    poster = await poster_for(api)
    impression_id = impression_id_of(await scan(served, poster["code"], **{"user-agent": IPHONE}))
    assert (await tenant.live.get(f"/api/v1/impressions/{impression_id}")).status_code == 404


async def test_a_subscribed_webhook_endpoint_gets_a_delivery_job(
    api: Api, served: FastAPI, runtime: Runtime
) -> None:
    endpoint = await api.ok(
        "POST",
        "/api/v1/webhook_endpoints",
        {"url": "https://hooks.example.com/vantio", "events": ["impression.created"]},
    )
    everything = await api.ok(
        "POST",
        "/api/v1/webhook_endpoints",
        {"url": "https://hooks.example.com/all", "events": ["*"]},
    )
    poster = await poster_for(api)
    impression_id = impression_id_of(await scan(served, poster["code"], **{"user-agent": IPHONE}))
    events = await api.ok("GET", "/api/v1/events", type="impression.created", limit=100)
    [event] = [e for e in events["events"] if e["data"]["id"] == impression_id]
    async with runtime.engine.connect() as connection:
        payloads = (
            await connection.execute(
                text("SELECT payload FROM jobs WHERE name = 'webhooks.deliver'")
            )
        ).scalars()
        targets = [
            p["endpoint_id"] for p in (_json(p) for p in payloads) if p["event_id"] == event["id"]
        ]
    # "*" leaves impression.created out: only the endpoint that names it gets the event.
    assert targets == [endpoint["id"]]
    assert everything["id"] not in targets


def _json(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else json.loads(value)


async def test_without_the_lifespan_each_scan_is_its_own_transaction(
    api: Api, client: httpx.AsyncClient
) -> None:
    poster = await poster_for(api)
    response = await client.get(f"/s/{poster['code']}", headers={"user-agent": IPHONE})
    impression = await api.ok("GET", f"/api/v1/impressions/{impression_id_of(response)}")
    assert impression["poster_id"] == poster["id"]


# -- inflation: who counts, the device cookie, the limit of new devices per IP -------------------

NON_BROWSERS = [
    "curl/8.5.0",
    "Wget/1.21.4",
    "python-requests/2.31.0",
    "python-httpx/0.27.0",
    "Python-urllib/3.12",
    "Go-http-client/1.1",
    "Go-http-client/2.0",
    "okhttp/4.12.0",
    "Java/17.0.2",
    "Apache-HttpClient/4.5.14 (Java/17.0.2)",
    "axios/1.6.7",
    "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/120.0 Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0 Headless",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 PhantomJS/2.1.1 Safari/538.1",
    "",  # no User-Agent header at all
]


@pytest.mark.parametrize("agent", NON_BROWSERS)
async def test_non_browser_clients_are_redirected_but_not_counted(
    api: Api, served: FastAPI, agent: str
) -> None:
    poster = await poster_for(api)
    async with scanner(served) as client:
        headers = [(b"user-agent", agent.encode())] if agent else []
        response = await client.get(f"/s/{poster['code']}", headers=headers)
    assert response.status_code == 302
    assert response.headers["location"] == "https://example.com/signup?ref=campus&x=1"
    assert await impressions_of(api, poster["id"]) == []
    assert await impression_events_of(api, poster["id"]) == []


async def impression_events_of(api: Api, poster_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    while True:
        page = await api.ok(
            "GET", "/api/v1/events", type="impression.created", limit=100, offset=len(found)
        )
        found.extend(page["events"])
        if not page["has_more"]:
            return [e for e in found if e["data"]["poster_id"] == poster_id]


def device_cookie_of(response: httpx.Response) -> str:
    [cookie] = response.headers.get_list("set-cookie")
    match = re.fullmatch(r"vantio_device=([A-Za-z0-9_-]{22}); (.*)", cookie)
    assert match is not None, cookie
    return match.group(1)


def new_device() -> dict[str, str]:
    return {"cookie": f"vantio_device={secrets.token_urlsafe(16)}"}


async def test_the_redirect_hands_out_a_long_lived_first_party_device_cookie(
    api: Api, served: FastAPI
) -> None:
    poster = await poster_for(api)
    first = await scan(served, poster["code"], **{"user-agent": IPHONE})
    [cookie] = first.headers.get_list("set-cookie")
    device = device_cookie_of(first)
    attributes = cookie.split("; ")[1:]
    assert attributes == ["Max-Age=34560000", "Path=/s", "HttpOnly", "SameSite=Lax"]
    # Not https here: no `Secure`. A device that sent its cookie is not given another one; a bot
    # and a HEAD get one too (they are redirected like anyone).
    again = await scan(
        served, poster["code"], **{"user-agent": IPHONE, "cookie": f"vantio_device={device}"}
    )
    assert "set-cookie" not in again.headers
    assert impression_id_of(again) == impression_id_of(first)
    bot = await scan(served, poster["code"], **{"user-agent": BOTS[0]})
    assert bot.status_code == 302
    device_cookie_of(bot)


async def test_the_device_cookie_is_secure_when_the_public_url_is_https(
    api: Api, database_url: str
) -> None:
    poster = await poster_for(api)
    settings = make_settings(database_url, public_url="https://scan.example.org")
    runtime = Runtime.create(settings)
    app = create_app(settings, runtime)
    try:
        async with app.router.lifespan_context(app):
            response = await scan(app, poster["code"], **{"user-agent": IPHONE})
    finally:
        await runtime.close()
    [cookie] = response.headers.get_list("set-cookie")
    assert cookie.endswith("; Path=/s; HttpOnly; SameSite=Lax; Secure"), cookie


async def test_a_repeat_scan_is_recognised_by_the_device_cookie_from_another_network(
    api: Api, served: FastAPI
) -> None:
    poster = await poster_for(api)
    first = await scan(served, poster["code"], ip="198.51.100.1", **{"user-agent": IPHONE})
    device = {"user-agent": IPHONE, "cookie": f"vantio_device={device_cookie_of(first)}"}
    # The phone left the campus wifi for its mobile network: another IP, the same cookie.
    moved = await scan(served, poster["code"], ip="192.0.2.200", **device)
    assert impression_id_of(moved) == impression_id_of(first)
    # A malformed cookie is no cookie: recognised by IP and user agent, and given a new cookie.
    odd = await scan(
        served, poster["code"], ip="198.51.100.1", **{**device, "cookie": "vantio_device=x"}
    )
    assert impression_id_of(odd) == impression_id_of(first)
    device_cookie_of(odd)
    assert len(await impressions_of(api, poster["id"])) == 1


async def test_300_user_agents_from_one_ip_in_a_second_count_at_most_the_limit(
    api: Api, served: FastAPI
) -> None:
    """The audit's finding: rotating the User-Agent gave 300 impressions in 0.9 s from one IP."""
    poster = await poster_for(api)
    start = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    with freeze(start):
        responses = await asyncio.gather(
            *(
                scan(
                    served, poster["code"], ip="198.51.100.66", **{"user-agent": f"{IPHONE} r/{n}"}
                )
                for n in range(300)
            )
        )
    assert [r.status_code for r in responses] == [302] * 300  # everyone is redirected
    counted = [r for r in responses if "impression_id" in r.headers["location"]]
    assert len(counted) == 30
    assert all(
        r.headers["location"] == "https://example.com/signup?ref=campus&x=1"
        for r in responses
        if r not in counted
    )
    stored = await impressions_of(api, poster["id"])
    assert sorted(i["id"] for i in stored) == sorted(impression_id_of(r) for r in counted)
    # No event (and so no webhook) for a scan that was not counted.
    assert len(await impression_events_of(api, poster["id"])) == 30
    # Another IP is not held back; this one counts again once its minute has passed.
    with freeze(start + timedelta(seconds=1)):
        other = await scan(served, poster["code"], ip="192.0.2.77", **{"user-agent": IPHONE})
        assert "impression_id" in other.headers["location"]
    with freeze(start + timedelta(seconds=60, microseconds=1)):
        later = await scan(served, poster["code"], ip="198.51.100.66", **{"user-agent": IPAD})
        assert "impression_id" in later.headers["location"]
    assert len(await impressions_of(api, poster["id"])) == 32


async def test_20_students_behind_one_nat_each_on_their_own_phone_all_count(
    api: Api, served: FastAPI
) -> None:
    """A class behind the campus NAT: one IP, identical phones (one user agent), one cookie each,
    scanning over three minutes; then each scans again and keeps its impression."""
    poster = await poster_for(api)
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    phones = [{"user-agent": IPHONE, **new_device()} for _ in range(20)]
    first: list[str] = []
    for n, phone in enumerate(phones):
        with freeze(start + timedelta(seconds=9 * n)):
            first.append(
                impression_id_of(await scan(served, poster["code"], ip="203.0.113.99", **phone))
            )
    assert len(set(first)) == 20
    with freeze(start + timedelta(minutes=5)):
        again = [
            impression_id_of(await scan(served, poster["code"], ip="203.0.113.99", **phone))
            for phone in phones
        ]
    assert again == first
    assert len(await impressions_of(api, poster["id"])) == 20
    assert len(await impression_events_of(api, poster["id"])) == 20


@pytest.mark.parametrize(("limit", "counted"), [(5, 5), (0, 40)])
async def test_the_limit_of_new_devices_is_a_setting(
    api: Api, database_url: str, limit: int, counted: int
) -> None:
    poster = await poster_for(api)
    settings = make_settings(database_url, scan_new_devices_per_minute=limit)
    runtime = Runtime.create(settings)
    app = create_app(settings, runtime)
    try:
        async with app.router.lifespan_context(app):
            responses = await asyncio.gather(
                *(scan(app, poster["code"], **{"user-agent": f"{IPHONE} n/{n}"}) for n in range(40))
            )
    finally:
        await runtime.close()
    assert sum("impression_id" in r.headers["location"] for r in responses) == counted
    assert len(await impressions_of(api, poster["id"])) == counted


def test_the_new_device_window_slides() -> None:
    from vantio.scans.limits import NewDeviceLimit

    limit = NewDeviceLimit(3)
    start = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    at = [start + timedelta(seconds=s) for s in (0, 20, 40, 50, 60, 61, 79, 80)]
    assert [limit("pst_1", "192.0.2.1", t) for t in at] == [
        True,
        True,
        True,
        False,
        True,
        False,
        False,
        True,
    ]
    # Per poster and per IP.
    assert limit("pst_2", "192.0.2.1", at[-1])
    assert limit("pst_1", "192.0.2.2", at[-1])
    # Windows idle for a minute are dropped.
    limit("pst_3", None, start + timedelta(hours=1))
    assert len(limit) == 1


# -- group commit ------------------------------------------------------------------------------


async def test_concurrent_scans_share_transactions_and_every_redirect_is_stored(
    api: Api, served: FastAPI
) -> None:
    poster = await poster_for(api)
    writer = writer_of(served)
    batches_before = writer.batches
    # 200 people, each on their own network (one IP adds at most 30 new devices a minute).
    responses = await asyncio.gather(
        *(
            scan(served, poster["code"], ip=f"198.51.100.{n}", **{"user-agent": f"{IPHONE} n/{n}"})
            for n in range(200)
        )
    )
    redirected = [impression_id_of(r) for r in responses]
    assert len(set(redirected)) == 200
    stored = await impressions_of(api, poster["id"])
    assert sorted(i["id"] for i in stored) == sorted(redirected)
    assert {i["user_agent"] for i in stored} == {f"{IPHONE} n/{n}" for n in range(200)}
    # Group commit: far fewer transactions than scans.
    assert writer.batches - batches_before < 100


async def test_one_device_twice_in_one_batch_is_one_impression(
    api: Api, served: FastAPI, runtime: Runtime
) -> None:
    poster = await poster_for(api)
    # Through HTTP: scans sent at once land in the same or consecutive batches.
    async with scanner(served, **{"user-agent": IPHONE}) as client:
        responses = await asyncio.gather(*(client.get(f"/s/{poster['code']}") for _ in range(10)))
    assert len({impression_id_of(r) for r in responses}) == 1
    # And within one batch by construction.
    other = await poster_for(api)
    now = datetime.now(UTC)
    visits = [
        service.visit(
            other["code"],
            user_agent=agent,
            ip_address="192.0.2.9",
            referrer=None,
            query=(),
            count=True,
            at=now,
        )
        for agent in (IPHONE, DESKTOP, IPHONE, "Twitterbot/1.0", DESKTOP)
    ]
    async with runtime.engine.begin() as connection:
        outcomes = await connection.run_sync(
            service.record_scans, visits=visits, dedupe=timedelta(minutes=30)
        )
    ids = [o.impression_id if o else None for o in outcomes]
    assert ids[0] == ids[2]
    assert ids[1] == ids[4]
    assert ids[0] != ids[1]
    assert ids[3] is None  # the bot is redirected, not counted
    assert sorted(i["id"] for i in await impressions_of(api, other["id"])) == sorted(
        {ids[0], ids[1]}
    )


async def test_a_device_in_concurrent_batches_is_still_one_impression(
    api: Api, database_url: str
) -> None:
    """Small batches written side by side (PostgreSQL): a device's next scan waits for the batch
    that holds its first one, so the de-duplication sees it."""
    poster = await poster_for(api)
    settings = make_settings(database_url, scan_batch_max=2, scan_batch_concurrency=4)
    runtime = Runtime.create(settings)
    app = create_app(settings, runtime)
    try:
        async with app.router.lifespan_context(app), scanner(app) as client:
            agents = [IPHONE, DESKTOP] * 10 + [f"{IPAD} n/{n}" for n in range(10)]
            responses = await asyncio.gather(
                *(client.get(f"/s/{poster['code']}", headers={"user-agent": a}) for a in agents)
            )
        assert writer_of(app).batches >= 15
    finally:
        await runtime.close()
    ids = [impression_id_of(r) for r in responses]
    assert len(set(ids[0:20:2])) == 1  # the iPhone
    assert len(set(ids[1:20:2])) == 1  # the desktop
    assert len(set(ids)) == 12
    assert len(await impressions_of(api, poster["id"])) == 12


async def test_a_scan_the_database_refuses_fails_alone(
    api: Api, served: FastAPI, runtime: Runtime, backend: str
) -> None:
    """A batch that fails is retried scan by scan: the refused one gets a 503, never a redirect."""
    poster = await poster_for(api)
    async with runtime.engine.begin() as connection:
        for statement in _POISON[backend]:
            await connection.execute(text(statement))
    try:
        async with scanner(served) as client:
            agents = [f"{IPHONE} n/{n}" for n in range(19)] + [f"{IPHONE} poison"]
            responses = await asyncio.gather(
                *(client.get(f"/s/{poster['code']}", headers={"user-agent": a}) for a in agents)
            )
    finally:
        async with runtime.engine.begin() as connection:
            for statement in _UNPOISON[backend]:
                await connection.execute(text(statement))
    *good, refused = responses
    assert refused.status_code == 503
    assert "location" not in refused.headers
    assert refused.headers["retry-after"] == "1"
    redirected = sorted(impression_id_of(r) for r in good)
    stored = await impressions_of(api, poster["id"])
    assert sorted(i["id"] for i in stored) == redirected
    assert all("poison" not in i["user_agent"] for i in stored)


_POISON = {
    "sqlite": [
        "CREATE TRIGGER scan_poison BEFORE INSERT ON impressions WHEN NEW.user_agent LIKE '%poison%' "
        "BEGIN SELECT RAISE(ABORT, 'poisoned scan'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION scan_poison() RETURNS trigger AS $$ BEGIN "
        "IF NEW.user_agent LIKE '%poison%' THEN RAISE EXCEPTION 'poisoned scan'; END IF; "
        "RETURN NEW; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER scan_poison BEFORE INSERT ON impressions FOR EACH ROW "
        "EXECUTE FUNCTION scan_poison()",
    ],
}
_UNPOISON = {
    "sqlite": ["DROP TRIGGER scan_poison"],
    "postgresql": ["DROP TRIGGER scan_poison ON impressions", "DROP FUNCTION scan_poison()"],
}


async def test_a_scan_waits_while_another_transaction_holds_the_write_lock(
    api: Api, served: FastAPI, runtime: Runtime, backend: str
) -> None:
    poster = await poster_for(api)
    async with scanner(served, **{"user-agent": IPHONE}) as client:
        async with runtime.sessionmaker() as session:
            # On SQLite this takes the database's single write lock (BEGIN IMMEDIATE).
            await session.execute(
                text("UPDATE posters SET location = location WHERE id = :id"), {"id": poster["id"]}
            )
            pending = asyncio.create_task(client.get(f"/s/{poster['code']}"))
            await asyncio.sleep(0.3)
            if backend == "sqlite":
                assert not pending.done()  # waiting for the lock, without blocking the loop
            await session.commit()
        response = await pending
    impression = await api.ok("GET", f"/api/v1/impressions/{impression_id_of(response)}")
    assert impression["poster_id"] == poster["id"]


async def test_an_unreachable_database_answers_503_to_every_scan(
    backend: str, tmp_path: Any
) -> None:
    url = (
        f"sqlite+aiosqlite:///{tmp_path}/missing/dir/vantio.db"
        if backend == "sqlite"
        else "postgresql+asyncpg://postgres@127.0.0.1:1/vantio"
    )
    settings = make_settings(url)
    app = create_app(settings)
    async with app.router.lifespan_context(app), scanner(app) as client:
        responses = await asyncio.gather(
            *(client.get("/s/abcdefghij", headers={"user-agent": f"n/{n}"}) for n in range(5))
        )
    assert [r.status_code for r in responses] == [503] * 5
    assert all("location" not in r.headers for r in responses)


async def test_stopping_the_writer_records_the_waiting_scans_and_leaves_no_task(
    api: Api, settings: Settings, runtime: Runtime
) -> None:
    poster = await poster_for(api)
    before = {t for t in asyncio.all_tasks() if t.get_name() == "vantio-scan-writer"}
    app = create_app(settings, runtime)
    async with app.router.lifespan_context(app):
        writer = writer_of(app)
        now = datetime.now(UTC)
        waiting = [
            asyncio.create_task(
                writer.record(
                    service.visit(
                        poster["code"],
                        user_agent=f"{IPHONE} drain/{n}",
                        ip_address="192.0.2.3",
                        referrer=None,
                        query=(),
                        count=True,
                        at=now,
                    )
                )
            )
            for n in range(20)
        ]
        await asyncio.sleep(0)  # queued, not yet written
    # The lifespan has ended: every waiting scan was written before the writer stopped.
    outcomes = [task.result() for task in waiting if task.done()]
    assert len(outcomes) == 20
    ids = sorted(o.impression_id for o in outcomes if o and o.impression_id)
    assert sorted(i["id"] for i in await impressions_of(api, poster["id"])) == ids
    assert len(ids) == 20
    after = {t for t in asyncio.all_tasks() if t.get_name() == "vantio-scan-writer"}
    assert after == before
    assert not writer.running


async def test_a_bug_in_the_scan_answers_an_error_page_with_the_request_id(
    api: Api, served: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fast path answers in front of the middleware stack: it adds their headers itself."""
    poster = await poster_for(api)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(service, "record_scans", broken)
    response = await scan(served, poster["code"], **{"user-agent": IPHONE})
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-request-id"] in response.text
    assert "location" not in response.headers
    monkeypatch.undo()
    ok = await scan(served, poster["code"], **{"user-agent": IPHONE, "x-request-id": "scan-42"})
    assert (ok.status_code, ok.headers["x-request-id"]) == (302, "scan-42")
    assert ok.headers["x-content-type-options"] == "nosniff"


# -- QR codes ------------------------------------------------------------------------------------


async def test_qr_codes_encode_the_posters_scan_url(api: Api, served: FastAPI) -> None:
    poster = await poster_for(api)
    assert poster["scan_url"] == f"http://testserver/s/{poster['code']}"
    assert poster["qr_code_url"] == f"{poster['scan_url']}/qr.png"
    async with scanner(served) as client:
        png_answer = await client.get(f"/s/{poster['code']}/qr.png")
        svg_answer = await client.get(f"/s/{poster['code']}/qr.svg")
    assert png_answer.status_code == 200
    assert png_answer.headers["content-type"] == "image/png"
    assert decode_png(png_answer.content) == poster["scan_url"]
    assert svg_answer.status_code == 200
    assert svg_answer.headers["content-type"] == "image/svg+xml"
    assert decode_svg(svg_answer.text) == poster["scan_url"]
    expected = segno.make(poster["scan_url"], error="m").matrix
    assert svg_modules(svg_answer.text) == {
        (x, y) for y, row in enumerate(expected) for x, dark in enumerate(row) if dark
    }


def decode_png(data: bytes) -> str:
    width, height, rows, info = png.Reader(bytes=data).asDirect()
    top, planes = 2 ** info["bitdepth"] - 1, info["planes"]
    grey = bytes(row[i] * 255 // top for row in rows for i in range(0, len(row), planes))
    return _decode(grey, width, height)


def svg_modules(svg: str) -> set[tuple[int, int]]:
    """The dark modules of segno's SVG: one path of horizontal runs (`h`) and moves (`M`, `m`)."""
    path = re.search(r' d="([^"]+)"', svg)
    assert path is not None
    x = y = 0.0
    dark: set[tuple[int, int]] = set()
    for command, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?:\s+(-?[\d.]+))?", path.group(1)):
        if command == "M":
            x, y = float(a), float(b)
        elif command == "m":
            x, y = x + float(a), y + float(b)
        else:
            dark.update((int(x) + i - 4, int(y)) for i in range(int(float(a))))
            x += float(a)
    # The path draws each run along the middle of its row, inside a 4-module border.
    return {(col, int(row - 4)) for col, row in dark}


def decode_svg(svg: str) -> str:
    modules = svg_modules(svg)
    size = max(max(c, r) for c, r in modules) + 1
    scale, border = 4, 4
    side = (size + 2 * border) * scale
    pixels = bytearray(b"\xff" * side * side)
    for col, row in modules:
        for dy in range(scale):
            start = ((row + border) * scale + dy) * side + (col + border) * scale
            pixels[start : start + scale] = b"\x00" * scale
    return _decode(bytes(pixels), side, side)


def _decode(grey: bytes, width: int, height: int) -> str:
    found = zxingcpp.read_barcodes(memoryview(grey).cast("B", (height, width)))
    assert [r.format for r in found] == [zxingcpp.BarcodeFormat.QRCode]
    text_: str = found[0].text
    return text_


# -- IDs made in bulk by the writer --------------------------------------------------------------


def test_ids_made_in_bulk_have_the_usual_shape() -> None:
    from vantio.kit.ids import _encode, _encode26, new_ids

    for millis, noise in [
        (0, 0),
        (2**50 - 1, 2**80 - 1),
        (1_763_870_000_123, 0x1234_5678_9ABC_DEF0_1234),
    ]:
        assert _encode26(millis, noise) == _encode(millis, 10) + _encode(noise, 16)
    ids = new_ids("imp", 50)
    assert len(set(ids)) == 50
    assert all(re.fullmatch(r"imp_[0-9a-hjkmnp-tv-z]{26}", i) for i in ids)


async def test_an_unsubscribed_impression_event_is_serialized_when_first_delivered(
    api: Api, served: FastAPI, runtime: Runtime
) -> None:
    """No endpoint listens at scan time, so the scan stores no body; a later redelivery to a
    new subscriber builds it from the stored event, with the event's id, type and data."""
    poster = await poster_for(api)
    impression_id = impression_id_of(await scan(served, poster["code"], **{"user-agent": IPHONE}))
    events = await api.ok("GET", "/api/v1/events", type="impression.created", limit=100)
    [event] = [e for e in events["events"] if e["data"]["id"] == impression_id]
    endpoint = await api.ok(
        "POST",
        "/api/v1/webhook_endpoints",
        {"url": "https://hooks.example.com/later", "events": ["impression.created"]},
    )
    async with runtime.sessionmaker() as session:
        loaded = await event_jobs.load_delivery(
            session, event_id=event["id"], endpoint_id=endpoint["id"]
        )
    assert loaded is not None
    body = json.loads(loaded.body)
    assert (body["id"], body["type"], body["event"]) == (
        event["id"],
        "impression.created",
        "impression.created",
    )
    assert body["data"] == event["data"]
    assert json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode() == loaded.body
