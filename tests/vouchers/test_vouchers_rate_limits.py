"""The voucher docs' rate limits as configurable defaults: validate 200/min, apply 100/min,
create 50/min, everything else 10/s, 100/min, 1000/h; X-RateLimit-* on every /v1 response and
429 RATE_LIMIT_EXCEEDED with {limit, reset_at} and Retry-After."""

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import httpx

from tests.conftest import make_settings
from tests.helpers import Api, Tenant
from tests.vouchers.test_vouchers import cart, make_voucher
from vantio.app import create_app
from vantio.config import Settings
from vantio.runtime import Runtime

HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")


@asynccontextmanager
async def separate_app(database_url: str, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    """An app with its own Runtime (its own limiter) and the given settings."""
    settings = make_settings(database_url, **overrides)
    runtime = Runtime.create(settings)
    transport = httpx.ASGITransport(app=create_app(settings, runtime), client=("198.51.100.7", 1))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client
    finally:
        await runtime.close()


def test_defaults_are_the_documented_limits() -> None:
    settings = Settings()
    assert settings.rate_limit_vouchers_validate == "200/minute"
    assert settings.rate_limit_vouchers_apply == "100/minute"
    assert settings.rate_limit_vouchers_create == "50/minute"
    assert settings.rate_limit_vouchers_default == "10/second;100/minute;1000/hour"


def assert_headers(response: httpx.Response) -> None:
    for name in HEADERS:
        assert response.headers[name].isdigit(), f"{name} on {response.status_code}"
    assert int(response.headers["X-RateLimit-Reset"]) >= int(time.time())


async def test_headers_on_every_voucher_response(api: Api, client: httpx.AsyncClient) -> None:
    v = await make_voucher(api)
    applied = await api.post(
        "/v1/vouchers/apply", {"code": v["code"], "order_id": "o1", "order": cart(1000)}
    )
    responses = [
        await api.get("/v1/vouchers"),
        await api.get(f"/v1/vouchers/{v['id']}"),
        await api.get("/v1/vouchers/v_doesnotexist0000"),  # 404
        await api.get("/v1/vouchers/nope"),  # 400
        await api.post("/v1/vouchers", {"code": "X"}),  # 400
        await api.put(f"/v1/vouchers/{v['id']}", {"value": 30}),
        await api.post("/v1/vouchers/validate", {"code": v["code"], "order": cart(1000)}),
        await api.post("/v1/vouchers/validate", {"code": "NOPE0", "order": cart(1000)}),  # 404
        applied,
        await api.post(f"/v1/vouchers/applications/{applied.json()['id']}/rollback"),
        await api.post(f"/v1/vouchers/applications/{applied.json()['id']}/rollback"),  # 409
        await api.delete(f"/v1/vouchers/{v['id']}"),
        await client.get("/v1/vouchers"),  # 401
    ]
    assert [r.status_code for r in responses] == [
        200, 200, 404, 400, 400, 200, 200, 404, 200, 200, 409, 200, 401
    ]  # fmt: skip
    for response in responses:
        assert_headers(response)


async def _count_until_refused(
    client: httpx.AsyncClient, headers: dict[str, str], send: Any, limit: int
) -> httpx.Response:
    for n in range(limit):
        response = await send()
        assert response.status_code != 429, f"refused after {n}"
        assert response.headers["X-RateLimit-Limit"] == str(limit)
        assert response.headers["X-RateLimit-Remaining"] == str(limit - n - 1)
    refused: httpx.Response = await send()
    return refused


async def test_each_route_class_has_its_own_limit(database_url: str, tenant: Tenant) -> None:
    async with separate_app(
        database_url,
        rate_limit_vouchers_validate="4/minute",
        rate_limit_vouchers_apply="3/minute",
        rate_limit_vouchers_create="2/minute",
        rate_limit_vouchers_default="5/minute",
    ) as client:
        headers = {"Authorization": f"Bearer {tenant.test.key}"}
        created = []

        async def create() -> httpx.Response:
            body = {
                "code": f"RL{len(created)}X{time.time_ns() % 10**6}",
                "type": "fixed",
                "value": 5,
            }
            response = await client.post("/v1/vouchers", json=body, headers=headers)
            created.append(response)
            return response

        refused = await _count_until_refused(client, headers, create, 2)
        assert refused.status_code == 429
        error = refused.json()["error"]
        assert error["code"] == "RATE_LIMIT_EXCEEDED"
        assert error["details"]["limit"] == 2
        # voucher-docs: an ISO 8601 time (it was epoch seconds), the same moment as the header
        reset_at = datetime.fromisoformat(error["details"]["reset_at"].replace("Z", "+00:00"))
        assert reset_at.tzinfo is not None
        assert int(reset_at.timestamp()) == int(refused.headers["X-RateLimit-Reset"])
        assert int(refused.headers["Retry-After"]) >= 1
        assert_headers(refused)
        code = created[0].json()["code"]

        async def validate() -> httpx.Response:
            body = {"code": code, "order": cart(1000), "preview": True}
            return await client.post("/v1/vouchers/validate", json=body, headers=headers)

        assert (await _count_until_refused(client, headers, validate, 4)).status_code == 429
        orders = iter(range(100))

        async def apply() -> httpx.Response:
            body = {"code": code, "order_id": f"o{next(orders)}", "order": cart(1000)}
            return await client.post("/v1/vouchers/apply", json=body, headers=headers)

        assert (await _count_until_refused(client, headers, apply, 3)).status_code == 429

        async def read() -> httpx.Response:
            return await client.get("/v1/vouchers", headers=headers)

        assert (await _count_until_refused(client, headers, read, 5)).status_code == 429
