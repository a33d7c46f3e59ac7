"""Redis stops while the API serves with `VANTIO_REDIS_URL` set: requests keep succeeding, counted
in the process; the outage is logged once, and once more when Redis is back and counts again."""

import logging

import httpx
import pytest
import redis.asyncio as aioredis

from tests.conftest import make_settings
from tests.faults.harness import RedisServer, until
from tests.helpers import new_tenant
from vantio.app import create_app
from vantio.composition import create_runtime
from vantio.kit import ratelimit
from vantio.runtime import Runtime


async def test_requests_keep_succeeding_while_redis_is_down(
    database_url: str,
    runtime: Runtime,
    redis_server: RedisServer,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.INFO, logger="vantio.ratelimit")
    monkeypatch.setattr(ratelimit, "REDIS_RETRY_SECONDS", 0.5)  # the test's own patience
    settings = make_settings(
        database_url, redis_url=redis_server.url, rate_limit_referrals="1000/minute"
    )
    own = create_runtime(settings)
    transport = httpx.ASGITransport(app=create_app(settings, own))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            api = (await new_tenant(runtime, client)).test
            assert (await api.get("/api/v1/programs")).status_code == 200
            redis_server.kill()
            answers = [await api.get("/api/v1/programs") for _ in range(20)]
            assert {a.status_code for a in answers} == {200}
            assert answers[-1].headers["RateLimit-Limit"] == "1000"
            redis_server.start()  # the same port

            async def counted_in_redis() -> bool:
                assert (await api.get("/api/v1/programs")).status_code == 200
                probe = aioredis.from_url(redis_server.url)
                try:
                    return bool(await probe.keys("*referrals*"))
                finally:
                    await probe.aclose()

            await until(counted_in_redis, 10, "requests counted in Redis again")
    finally:
        await own.close()
    lines = [r.getMessage() for r in caplog.records if r.name == "vantio.ratelimit"]
    assert len([m for m in lines if "lost" in m]) == 1, lines
    assert len([m for m in lines if "recovered" in m]) == 1, lines
