"""The Python SDK (sdk/, package vantio_client) against the real app in-process (ASGI transport)."""

import asyncio
import importlib.metadata
import json
import secrets
import subprocess
import sys
import tomllib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import vantio_client
from vantio_client import (
    AsyncVantio,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    RateLimitError,
    RetryPolicy,
    TTLCache,
    VantioError,
)
from vantio_client._base import parse_retry_after
from vantio_client._errors import error_from_response

from tests.helpers import Tenant, unique_email
from vantio.errors import Conflict, NotFound, RateLimited
from vantio.http.surfaces import referral_surface, voucher_surface

ROOT = Path(__file__).resolve().parents[2]


class CountingTransport(httpx.AsyncBaseTransport):
    """The real ASGI transport, counting the requests that reach the app."""

    def __init__(self, app: Any) -> None:
        self.inner = httpx.ASGITransport(app=app, client=("203.0.113.9", 5555))
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return await self.inner.handle_async_request(request)


@pytest.fixture
def transport(app: Any) -> CountingTransport:
    return CountingTransport(app)


def make_sdk(tenant: Tenant, transport: CountingTransport, **options: Any) -> AsyncVantio:
    return AsyncVantio(
        api_key=tenant.test.key,
        base_url="http://testserver",
        transport=transport,
        retry=RetryPolicy(initial_delay=0.01, max_delay=0.05),
        **options,
    )


@pytest.fixture
async def sdk(tenant: Tenant, transport: CountingTransport) -> AsyncIterator[AsyncVantio]:
    async with make_sdk(tenant, transport) as client:
        yield client


async def funnel(sdk: AsyncVantio, **program: Any) -> dict[str, Any]:
    created = await sdk.programs.create(
        name="Campus Ambassadors", landing_url="https://example.com/signup", **program
    )
    user = await sdk.users.create(
        program_id=created["id"], first_name="Maya", last_name="Okafor", email=unique_email("amb")
    )
    poster = await sdk.posters.create(
        program_id=created["id"], student_id=user["id"], location="Library"
    )
    impression = await sdk.impressions.create(poster_id=poster["id"], user_agent="pytest")
    return {"program": created, "user": user, "poster": poster, "impression": impression}


async def test_referral_api_end_to_end(sdk: AsyncVantio) -> None:
    f = await funnel(sdk, commission={"type": "percentage", "rate": 10})
    program_id = f["program"]["id"]
    assert (await sdk.programs.get(program_id))["name"] == "Campus Ambassadors"
    renamed = await sdk.programs.update(program_id, name="Ambassadors 2026")
    assert renamed["name"] == "Ambassadors 2026"
    assert (await sdk.users.update(f["user"]["id"], last_name="Okoro"))["last_name"] == "Okoro"
    poster = await sdk.posters.update(f["poster"]["id"], location="Cafeteria")
    assert poster["location"] == "Cafeteria"
    assert poster["scan_url"].endswith("/s/" + poster["code"])
    assert (await sdk.impressions.get(f["impression"]["id"]))["poster_id"] == poster["id"]

    referral = await sdk.referrals.create(
        impression_id=f["impression"]["id"],
        first_name="John",
        last_name="Doe",
        email=unique_email(),
        metadata={"source": "poster_qr_code"},
    )
    assert referral["status"] == "pending"
    assert referral["student_id"] == f["user"]["id"]

    earning = await sdk.earnings.create(referral_id=referral["id"], sale_amount=12345)
    assert earning["amount"] == 1235  # minor units: 10% of 123.45 USD, half-up
    assert (await sdk.referrals.get(referral["id"]))["status"] == "converted"
    verified = await sdk.referrals.update(referral["id"], status="verified")
    assert verified["verified_at"] is not None

    assert [r["id"] for r in await sdk.referrals.list(program_id=program_id)] == [referral["id"]]
    assert await sdk.referrals.list(program_id=program_id, status="pending") == []
    assert [e["id"] for e in await sdk.earnings.list(referral_id=referral["id"])] == [earning["id"]]
    assert [u["id"] for u in await sdk.users.list(program_id=program_id)] == [f["user"]["id"]]
    assert [p["id"] for p in await sdk.posters.list(student_id=f["user"]["id"])] == [poster["id"]]
    impressions = await sdk.impressions.list(poster_id=poster["id"])
    assert [i["id"] for i in impressions] == [f["impression"]["id"]]
    assert program_id in [p["id"] for p in await sdk.programs.list()]
    updated = await sdk.earnings.update(earning["id"], description="Order #1")
    assert updated["description"] == "Order #1"

    events = [e async for e in sdk.events.list_all(type="referral.created")]
    assert [e["data"]["id"] for e in events] == [referral["id"]]
    assert (await sdk.events.get(events[0]["id"]))["type"] == "referral.created"


async def test_payouts(sdk: AsyncVantio) -> None:
    f = await funnel(sdk, minimum_payout=500)
    referral = await sdk.referrals.create(
        impression_id=f["impression"]["id"], first_name="A", last_name="B", email=unique_email()
    )
    earning = await sdk.earnings.create(referral_id=referral["id"], amount=1000)
    run = await sdk.payouts.create(program_id=f["program"]["id"])
    assert [(p["student_id"], p["amount"]) for p in run["payouts"]] == [(f["user"]["id"], 1000)]
    payout = run["payouts"][0]
    assert (await sdk.payouts.get(payout["id"]))["status"] == "processing"
    assert payout["id"] in (await sdk.payouts.csv(payout["id"]))
    assert [p["id"] async for p in sdk.payouts.list_all(program_id=f["program"]["id"])] == [
        payout["id"]
    ]
    assert (await sdk.payouts.update(payout["id"], status="paid"))["status"] == "paid"
    assert (await sdk.earnings.get(earning["id"]))["status"] == "paid"


async def test_referral_api_errors_are_typed(sdk: AsyncVantio, tenant: Tenant) -> None:
    with pytest.raises(NotFoundError) as missing:
        await sdk.referrals.get("ref_" + "0" * 26)
    assert missing.value.status == 404
    assert missing.value.code == "not_found"
    assert (missing.value.request_id or "").startswith("req_")

    with pytest.raises(BadRequestError) as bad:
        await sdk.referrals.create(
            impression_id="imp_x", first_name="A", last_name="B", email="not-an-email"
        )
    assert bad.value.status == 400
    assert isinstance(bad.value.details, list)
    assert {d["field"] for d in bad.value.details} >= {"email"}

    f = await funnel(sdk)
    email = unique_email()
    first = await sdk.referrals.create(
        impression_id=f["impression"]["id"], first_name="A", last_name="B", email=email
    )
    with pytest.raises(ConflictError) as duplicate:
        await sdk.referrals.create(
            impression_id=f["impression"]["id"], first_name="A", last_name="B", email=email
        )
    assert duplicate.value.code == "duplicate_referral"
    assert first["id"] in json.dumps(duplicate.value.details)

    async with AsyncVantio(
        api_key="sk_test_nope", base_url="http://testserver", transport=sdk._http.client._transport
    ) as stranger:
        with pytest.raises(AuthenticationError) as denied:
            await stranger.referrals.list()
    assert (denied.value.status, denied.value.code) == (401, "invalid_api_key")
    assert isinstance(denied.value, VantioError)


async def test_voucher_surface_errors_parse(transport: CountingTransport) -> None:
    """The Voucher API's error envelope, as the server renders it, and over the wire."""
    rendered = voucher_surface.render(
        NotFound("Voucher not found", code="voucher_not_found", details={"voucher_id": "v_1"})
    )
    error = error_from_response(rendered.status_code, bytes(rendered.body), request_id="req_1")
    assert isinstance(error, NotFoundError)
    assert (error.status, error.code, error.message) == (
        404,
        "VOUCHER_NOT_FOUND",
        "Voucher not found",
    )
    assert error.details == {"voucher_id": "v_1"}

    rendered = referral_surface.render(Conflict("Taken", code="duplicate_user", details={"x": 1}))
    error = error_from_response(rendered.status_code, bytes(rendered.body))
    assert isinstance(error, ConflictError)
    assert (error.code, error.message, error.details) == ("duplicate_user", "Taken", {"x": 1})

    rendered = voucher_surface.render(RateLimited(limit=10, reset_at=1, retry_after=3))
    error = error_from_response(429, bytes(rendered.body), retry_after=3)
    assert isinstance(error, RateLimitError)
    assert (error.code, error.retry_after) == ("RATE_LIMIT_EXCEEDED", 3)

    assert isinstance(
        error_from_response(502, b"<html>Bad gateway</html>"), vantio_client.ServerError
    )

    async with AsyncVantio(
        api_key="sk_test_nope", base_url="http://testserver", transport=transport
    ) as stranger:
        with pytest.raises(NotFoundError) as unknown:
            await stranger.request("GET", "/v1/no-such-route")
    assert (unknown.value.status, unknown.value.code) == (404, "NOT_FOUND")


async def test_list_all_fetches_pages_lazily(
    sdk: AsyncVantio, transport: CountingTransport
) -> None:
    program = await sdk.programs.create(name="P", landing_url="https://example.com")
    ids = [
        (
            await sdk.users.create(
                program_id=program["id"], first_name="U", last_name=str(i), email=unique_email()
            )
        )["id"]
        for i in range(5)
    ]
    first = await sdk.users.list(program_id=program["id"], limit=2)
    assert ([u["id"] for u in first], first.has_more) == (ids[::-1][:2], True)
    last = await sdk.users.list(program_id=program["id"], limit=2, offset=4)
    assert ([u["id"] for u in last], last.has_more) == (ids[:1], False)
    transport.requests.clear()
    iterator = sdk.users.list_all(program_id=program["id"], page_size=2)
    taken = [await anext(iterator), await anext(iterator), await anext(iterator)]
    await iterator.aclose()
    assert [u["id"] for u in taken] == ids[::-1][:3]  # newest first
    assert [(r.url.params["limit"], r.url.params["offset"]) for r in transport.requests] == [
        ("2", "0"),
        ("2", "2"),
    ]
    transport.requests.clear()
    assert [u["id"] async for u in sdk.users.list_all(program_id=program["id"], page_size=2)] == (
        ids[::-1]
    )
    assert len(transport.requests) == 3  # has_more ends it: no empty page fetched


async def test_post_idempotency_keys(sdk: AsyncVantio, transport: CountingTransport) -> None:
    program = await sdk.programs.create(name="P", landing_url="https://example.com")
    keys = {r.headers["idempotency-key"] for r in transport.requests if r.method == "POST"}
    assert len(keys) == 1
    fields = {"program_id": program["id"], "first_name": "A", "last_name": "B"}
    email = unique_email()
    key = "signup-" + secrets.token_hex(4)
    first = await sdk.users.create(**fields, email=email, idempotency_key=key)
    again = await sdk.users.create(**fields, email=email, idempotency_key=key)
    assert again == first
    assert transport.requests[-1].headers["idempotency-key"] == key
    with pytest.raises(ConflictError) as reused:
        await sdk.users.create(**fields, email=unique_email(), idempotency_key=key)
    assert reused.value.code == "idempotency_key_reused"
    # Without a key each call gets its own: a second identical call is a new request.
    with pytest.raises(ConflictError) as duplicate:
        await sdk.users.create(**fields, email=email)
    assert duplicate.value.code == "duplicate_user"
    sent = [r.headers["idempotency-key"] for r in transport.requests if r.method == "POST"]
    assert len(set(sent)) == len(sent) - 2  # only the two calls that passed `key` share one


async def test_get_cache_is_off_by_default_and_invalidated_by_writes(
    tenant: Tenant, transport: CountingTransport
) -> None:
    async with make_sdk(tenant, transport) as plain:
        program = await plain.programs.create(name="P", landing_url="https://example.com")
        transport.requests.clear()
        await plain.programs.get(program["id"])
        await plain.programs.get(program["id"])
        assert len(transport.requests) == 2
        assert plain.cache is None

    async with make_sdk(tenant, transport, cache_ttl=60) as sdk:
        f = await funnel(sdk)
        other = await sdk.programs.create(name="Other", landing_url="https://example.com")
        referral = await sdk.referrals.create(
            impression_id=f["impression"]["id"], first_name="A", last_name="B", email=unique_email()
        )
        transport.requests.clear()
        assert (await sdk.referrals.get(referral["id"]))["status"] == "pending"
        await sdk.programs.get(f["program"]["id"])
        await sdk.referrals.get(referral["id"])
        await sdk.programs.get(f["program"]["id"])
        assert len(transport.requests) == 2  # the second reads came from the cache

        await sdk.programs.update(other["id"], name="Changed")  # another object
        await sdk.programs.get(f["program"]["id"])
        assert len(transport.requests) == 3  # still cached

        # An earning names the referral and converts it: the cached referral is dropped.
        await sdk.earnings.create(referral_id=referral["id"], amount=100)
        assert (await sdk.referrals.get(referral["id"]))["status"] == "converted"
        await sdk.referrals.update(referral["id"], status="verified")
        assert (await sdk.referrals.get(referral["id"]))["status"] == "verified"
        cached = await sdk.referrals.get(referral["id"])
        cached["status"] = "mutated by the caller"
        assert (await sdk.referrals.get(referral["id"]))["status"] == "verified"


def test_cache_expires_after_ttl() -> None:
    now = [100.0]
    cache = TTLCache(30, clock=lambda: now[0])
    cache.set("/api/v1/users/user_1?", "/api/v1/users/user_1", {"id": "user_1"})
    assert cache.get("/api/v1/users/user_1?") == {"id": "user_1"}
    now[0] += 29.9
    assert cache.get("/api/v1/users/user_1?") == {"id": "user_1"}
    now[0] += 0.2
    assert cache.get("/api/v1/users/user_1?") is None


async def test_batch_keeps_input_order_and_bounds_concurrency(sdk: AsyncVantio) -> None:
    f = await funnel(sdk)
    emails = [
        unique_email(),
        "broken",
        unique_email(),
        unique_email(),
        "also broken",
        unique_email(),
    ]
    running = 0
    peak = 0

    async def signup(email: str) -> dict[str, Any]:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        try:
            await asyncio.sleep(0.01)
            return dict(
                await sdk.referrals.create(
                    impression_id=f["impression"]["id"], first_name="A", last_name="B", email=email
                )
            )
        finally:
            running -= 1

    outcome = await sdk.batch(emails, signup, concurrency=2)
    assert peak <= 2
    assert [r["email"] if r else None for r in outcome.results] == [
        e if "@" in e else None for e in emails
    ]
    assert [(e.index, e.item) for e in outcome.errors] == [(1, "broken"), (4, "also broken")]
    assert all(isinstance(e.error, BadRequestError) for e in outcome.errors)
    assert not outcome.ok
    assert len(outcome.succeeded()) == 4


def test_retry_policy_backoff_and_retry_after() -> None:
    policy = RetryPolicy(max_retries=3, initial_delay=0.5, max_delay=4)
    for retry, ceiling in [(0, 0.5), (1, 1.0), (2, 2.0), (5, 4.0)]:
        delays = {policy.delay(retry) for _ in range(50)}
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(delays) > 1  # jittered
    assert policy.delay(0, retry_after=7) == 7
    assert policy.should_retry(0, 503, None)
    assert policy.should_retry(2, 429, 5)
    assert not policy.should_retry(3, 503, None)  # the maximum
    assert not policy.should_retry(0, 429, 120)  # longer than max_retry_after: raise now
    assert not any(policy.should_retry(0, s, None) for s in (400, 401, 404, 409, 413, 422))
    assert policy.should_retry(0, None, None)  # no answer at all
    assert parse_retry_after("3") == 3
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0
    assert parse_retry_after("soon") is None


def test_sync_modules_are_generated_from_the_async_ones() -> None:
    done = subprocess.run(  # noqa: S603 (our own interpreter and script)
        [sys.executable, str(ROOT / "sdk" / "tools" / "unasync.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_sdk_imports_nothing_from_the_server() -> None:
    code = (
        "import sys, vantio_client, vantio_client.webhooks;"
        "print(sorted(m for m in sys.modules if m == 'vantio' or m.startswith('vantio.')))"
    )
    done = subprocess.run(  # noqa: S603 (our own interpreter and script)
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd="/"
    )
    assert done.stdout.strip() == "[]"
    project = tomllib.loads((ROOT / "sdk" / "pyproject.toml").read_text())["project"]
    assert (project["name"], project["dependencies"]) == ("vantio-client", ["httpx>=0.27"])
    assert importlib.metadata.requires("vantio-client") == ["httpx>=0.27"]  # what pip installed


def test_every_public_method_has_a_docstring() -> None:
    missing = []
    for client in (vantio_client.Vantio, vantio_client.AsyncVantio):
        instance = client(api_key="sk_test_x")
        for name, resource in vars(instance).items():
            if name.startswith("_"):
                continue
            for attr in dir(resource):
                method = getattr(resource, attr)
                if not attr.startswith("_") and callable(method) and not method.__doc__:
                    missing.append(f"{client.__name__}.{name}.{attr}")
        for attr in dir(client):
            method = getattr(client, attr)
            if not attr.startswith("_") and callable(method) and not method.__doc__:
                missing.append(f"{client.__name__}.{attr}")
    assert missing == []


async def test_webhook_endpoints_and_events(sdk: AsyncVantio) -> None:
    endpoint = await sdk.webhook_endpoints.create(
        url="http://127.0.0.1:9/hooks", events=["referral.created"], description="CRM"
    )
    secret = endpoint["secret"]
    assert secret.startswith("whsec_")
    fetched = await sdk.webhook_endpoints.get(endpoint["id"])
    assert (fetched["events"], "secret" in fetched) == (["referral.created"], False)
    assert [e["id"] for e in await sdk.webhook_endpoints.list()] == [endpoint["id"]]
    assert [e["id"] async for e in sdk.webhook_endpoints.list_all()] == [endpoint["id"]]
    disabled = await sdk.webhook_endpoints.update(endpoint["id"], disabled=True, events=["*"])
    assert (disabled["disabled"], disabled["events"]) == (True, ["*"])
    rotated = await sdk.webhook_endpoints.rotate_secret(endpoint["id"])
    assert rotated["secret"].startswith("whsec_")
    assert rotated["secret"] != secret
    await sdk.webhook_endpoints.update(endpoint["id"], disabled=False)

    f = await funnel(sdk)
    referral = await sdk.referrals.create(
        impression_id=f["impression"]["id"], first_name="A", last_name="B", email=unique_email()
    )
    [event] = await sdk.events.list(type="referral.created")
    assert event["data"]["id"] == referral["id"]
    redelivery = await sdk.events.redeliver(event["id"])
    assert redelivery["event_id"] == event["id"]
    assert "delivery_attempts" in await sdk.events.get(event["id"])

    assert await sdk.webhook_endpoints.delete(endpoint["id"]) == {
        "id": endpoint["id"],
        "deleted": True,
    }
    with pytest.raises(NotFoundError):
        await sdk.webhook_endpoints.get(endpoint["id"])


async def test_money_rules(sdk: AsyncVantio) -> None:
    f = await funnel(sdk, hold_days=0, commission_cap={"amount": 5000, "period": "month"})
    assert f["program"]["commission_cap"] == {"amount": 5000, "period": "month"}
    referral = await sdk.referrals.create(
        impression_id=f["impression"]["id"], first_name="A", last_name="B", email=unique_email()
    )
    earning = await sdk.earnings.create(
        referral_id=referral["id"], amount=1000, external_id="order-1"
    )
    with pytest.raises(ConflictError) as duplicate:
        await sdk.earnings.create(referral_id=referral["id"], amount=1000, external_id="order-1")
    assert duplicate.value.code == "duplicate_conversion"
    details = await sdk.payouts.set_details(
        f["user"]["id"], method="paypal", paypal_email="maya@example.com"
    )
    assert (await sdk.payouts.get_details(f["user"]["id"])) == details
    run = await sdk.payouts.create(program_id=f["program"]["id"], method="paypal")
    run_id = run["run_id"]
    assert run_id is not None
    assert b"maya@example.com" in await sdk.payouts.run_file(run_id)
    done = await sdk.payouts.reconcile(
        run_id, items=[{"payout_id": run["payouts"][0]["id"], "status": "paid"}]
    )
    assert done["paid"] == [run["payouts"][0]["id"]]
    reversal = await sdk.earnings.reverse(earning["id"], reason="refund")
    assert reversal["clawback"] is not None
    assert reversal["clawback"]["amount"] == -1000
    assert (await sdk.payouts.delete_details(f["user"]["id"]))["deleted"] is True
