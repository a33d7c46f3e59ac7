"""Rate limits: both header families on every response, 429 with Retry-After, counters in memory
or shared through Redis."""

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from tests.conftest import make_settings
from tests.helpers import Api, Tenant, make_program
from vantio.app import create_app
from vantio.runtime import Runtime

REDIS_URL = "redis://127.0.0.1:6379/0"
IETF = ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset")
LEGACY = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")


def assert_headers(response: httpx.Response) -> None:
    for name in IETF + LEGACY:
        assert name in response.headers, f"{name} missing on {response.status_code}"
        assert response.headers[name].isdigit(), response.headers[name]
    assert response.headers["RateLimit-Limit"] == response.headers["X-RateLimit-Limit"]
    assert response.headers["RateLimit-Remaining"] == response.headers["X-RateLimit-Remaining"]
    reset_in = int(response.headers["RateLimit-Reset"])
    reset_at = int(response.headers["X-RateLimit-Reset"])
    assert 0 <= reset_in <= 3600
    assert abs(reset_at - (time.time() + reset_in)) <= 2  # epoch seconds vs seconds from now


@asynccontextmanager
async def separate_app(database_url: str, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    """An app with its own Runtime (its own limiter), as a second server process would have."""
    settings = make_settings(database_url, **overrides)
    runtime = Runtime.create(settings)
    transport = httpx.ASGITransport(app=create_app(settings, runtime), client=("198.51.100.9", 1))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client
    finally:
        await runtime.close()


async def test_headers_on_success_and_on_errors(api: Api, client: httpx.AsyncClient) -> None:
    program = await make_program(api)
    responses = [
        await api.get("/api/v1/programs"),
        await api.get(f"/api/v1/programs/{program['id']}"),
        await api.get("/api/v1/programs/prog_doesnotexist"),  # 404
        await api.get("/api/v1/programs/nope"),  # 400
        await api.post("/api/v1/programs", {"name": ""}),  # 400 from the body
        await api.put(f"/api/v1/programs/{program['id']}", {"name": "Renamed"}),
        await client.get("/api/v1/programs"),  # 401 without a key
        await client.get("/api/v1/programs", headers={"Authorization": "Bearer sk_test_x"}),
    ]
    assert [r.status_code for r in responses] == [200, 200, 404, 400, 400, 200, 401, 401]
    for response in responses:
        assert_headers(response)


async def test_remaining_counts_down_per_key(database_url: str, tenant: Tenant) -> None:
    async with separate_app(database_url, rate_limit_referrals="5/minute") as client:
        test_headers = {"Authorization": f"Bearer {tenant.test.key}"}
        live_headers = {"Authorization": f"Bearer {tenant.live.key}"}
        remaining = [
            (await client.get("/api/v1/programs", headers=test_headers)).headers[
                "RateLimit-Remaining"
            ]
            for _ in range(3)
        ]
        assert remaining == ["4", "3", "2"]
        # Another key has its own counter.
        other = await client.get("/api/v1/programs", headers=live_headers)
        assert other.headers["RateLimit-Remaining"] == "4"
        assert other.headers["RateLimit-Limit"] == "5"


async def test_429_with_retry_after_and_documented_body(database_url: str, tenant: Tenant) -> None:
    async with separate_app(database_url, rate_limit_referrals="3/minute") as client:
        headers = {"Authorization": f"Bearer {tenant.test.key}"}
        answers = [await client.get("/api/v1/programs", headers=headers) for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        refused = answers[-1]
        assert_headers(refused)
        assert refused.headers["RateLimit-Remaining"] == "0"
        retry_after = int(refused.headers["Retry-After"])
        assert 1 <= retry_after <= 60
        body = refused.json()
        assert body["error"] == "Too Many Requests"
        assert body["code"] == "rate_limit_exceeded"
        assert "3" in body["message"]
        assert body["details"]["limit"] == 3
        # A refused POST creates nothing.
        create = await client.post(
            "/api/v1/programs",
            json={"name": "Too many", "landing_url": "https://example.com"},
            headers=headers,
        )
        assert create.status_code == 429
    listed = await tenant.test.ok("GET", "/api/v1/programs")
    assert listed["programs"] == []


async def test_requests_without_a_key_are_counted_per_ip(database_url: str) -> None:
    async with separate_app(database_url, rate_limit_referrals="2/minute") as client:
        answers = [await client.get("/api/v1/programs") for _ in range(3)]
        assert [a.status_code for a in answers] == [401, 401, 429]
        for answer in answers:
            assert_headers(answer)
        assert "Retry-After" in answers[-1].headers


async def test_memory_counters_are_per_process(database_url: str, tenant: Tenant) -> None:
    headers = {"Authorization": f"Bearer {tenant.test.key}"}
    async with (
        separate_app(database_url, rate_limit_referrals="2/minute") as first,
        separate_app(database_url, rate_limit_referrals="2/minute") as second,
    ):
        for _ in range(2):
            assert (await first.get("/api/v1/programs", headers=headers)).status_code == 200
        assert (await first.get("/api/v1/programs", headers=headers)).status_code == 429
        assert (await second.get("/api/v1/programs", headers=headers)).status_code == 200


@pytest.fixture
async def redis_available() -> None:
    import redis.asyncio as redis

    connection = redis.from_url(REDIS_URL)
    try:
        await connection.ping()
    finally:
        await connection.aclose()


@pytest.mark.usefixtures("redis_available")
async def test_redis_counters_are_shared_between_processes(
    database_url: str, tenant: Tenant
) -> None:
    # The counter key is the API key's id, new for this test: no other run shares it.
    headers = {"Authorization": f"Bearer {tenant.test.key}"}
    settings = {"rate_limit_referrals": "3/minute", "redis_url": REDIS_URL}
    async with (
        separate_app(database_url, **settings) as first,
        separate_app(database_url, **settings) as second,
    ):
        statuses = [
            (await first.get("/api/v1/programs", headers=headers)).status_code,
            (await second.get("/api/v1/programs", headers=headers)).status_code,
            (await first.get("/api/v1/programs", headers=headers)).status_code,
        ]
        assert statuses == [200, 200, 200]
        refused = await second.get("/api/v1/programs", headers=headers)
        assert refused.status_code == 429
        assert "Retry-After" in refused.headers
        assert_headers(refused)
        assert (await first.get("/api/v1/programs", headers=headers)).status_code == 429
        # Another key is not affected.
        live = {"Authorization": f"Bearer {tenant.live.key}"}
        assert (await second.get("/api/v1/programs", headers=live)).status_code == 200
