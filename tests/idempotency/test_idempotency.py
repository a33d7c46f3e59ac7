"""Idempotency of POSTs: body field or header, byte-identical replay, 409 for another body or a
key still in flight, scope per account + mode + route, errors release the key, 24 h expiry, and
N identical parallel requests creating one object."""

import asyncio
import json
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.conftest import make_settings
from tests.foreign_objects import BODIES
from tests.helpers import Api, Tenant, make_funnel, unique_email
from vantio.app import create_app
from vantio.idempotency import service as idempotency
from vantio.kit.time import freeze
from vantio.runtime import Runtime


def new_key() -> str:
    return f"key-{secrets.token_hex(8)}"


def program_body(**fields: Any) -> dict[str, Any]:
    return {"name": "Spring", "landing_url": "https://example.com/spring", **fields}


async def count_programs(api: Api) -> int:
    return len((await api.ok("GET", "/api/v1/programs"))["programs"])


async def test_body_field_replays_the_same_bytes(api: Api) -> None:
    funnel = await make_funnel(api)
    body = {
        "impression_id": funnel.impression["id"],
        "first_name": "John",
        "last_name": "Doe",
        "email": unique_email(),
        "idempotency_key": "ref_20240115_123456",
    }
    first = await api.post("/api/v1/referrals", body)
    second = await api.post("/api/v1/referrals", body)
    assert first.status_code == second.status_code == 200
    assert second.content == first.content
    assert second.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert second.headers["content-type"] == first.headers["content-type"]
    assert "idempotency_key" not in first.json()  # not echoed, as documented
    listed = await api.ok("GET", "/api/v1/referrals", programId=funnel.program["id"])
    assert [r["id"] for r in listed["referrals"]] == [first.json()["id"]]


async def test_header_replays_and_formatting_does_not_matter(api: Api) -> None:
    key = new_key()
    first = await api.post("/api/v1/programs", program_body(), headers={"Idempotency-Key": key})
    reordered = json.dumps(
        {"landing_url": "https://example.com/spring", "name": "Spring"}, indent=2
    )
    second = await api.client.post(
        "/api/v1/programs",
        content=reordered,
        headers={**api.headers, "Idempotency-Key": key, "Content-Type": "application/json"},
    )
    assert second.status_code == 200
    assert second.content == first.content
    assert second.headers["Idempotent-Replayed"] == "true"
    assert await count_programs(api) == 1


async def test_every_post_route_replays(api: Api) -> None:
    routes = sorted(BODIES)
    assert {"POST /api/v1/referrals", "POST /api/v1/earnings", "POST /api/v1/programs"} <= set(
        routes
    )
    for route in routes:
        path = route.removeprefix("POST ")
        body = await BODIES[route](api)
        key = new_key()
        first = await api.post(path, body, headers={"Idempotency-Key": key})
        second = await api.post(path, body, headers={"Idempotency-Key": key})
        assert first.status_code == 200, f"{route}: {first.text}"
        assert second.content == first.content, route
        assert second.headers.get("Idempotent-Replayed") == "true", route


async def test_reused_key_with_another_body_is_409(api: Api) -> None:
    key = new_key()
    first = await api.post("/api/v1/programs", program_body(idempotency_key=key))
    assert first.status_code == 200
    other = await api.post("/api/v1/programs", program_body(name="Autumn", idempotency_key=key))
    assert other.status_code == 409
    body = other.json()
    assert body["error"] == "Conflict"
    assert body["code"] == "idempotency_key_reused"
    assert body["message"]
    assert await count_programs(api) == 1
    # The header and the body field name the same key.
    via_header = await api.post(
        "/api/v1/programs", program_body(name="Winter"), headers={"Idempotency-Key": key}
    )
    assert via_header.json()["code"] == "idempotency_key_reused"


async def test_scope_is_account_mode_and_route(tenant: Tenant, api: Api) -> None:
    key = new_key()
    created = await api.post("/api/v1/programs", program_body(), headers={"Idempotency-Key": key})
    assert created.status_code == 200
    # The same key in the other mode, another account or on another route is another request.
    live = await tenant.live.post(
        "/api/v1/programs", program_body(), headers={"Idempotency-Key": key}
    )
    assert live.status_code == 200
    assert "Idempotent-Replayed" not in live.headers
    assert live.json()["id"] != created.json()["id"]
    user = await api.post(
        "/api/v1/users",
        {
            "program_id": created.json()["id"],
            "first_name": "A",
            "last_name": "B",
            "email": unique_email(),
        },
        headers={"Idempotency-Key": key},
    )
    assert user.status_code == 200, user.text
    assert "Idempotent-Replayed" not in user.headers


async def test_scope_excludes_other_accounts(
    api: Api, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    from tests.helpers import new_tenant

    other = (await new_tenant(runtime, client)).test
    key = new_key()
    mine = await api.post("/api/v1/programs", program_body(), headers={"Idempotency-Key": key})
    theirs = await other.post("/api/v1/programs", program_body(), headers={"Idempotency-Key": key})
    assert theirs.status_code == 200
    assert "Idempotent-Replayed" not in theirs.headers
    assert theirs.json()["id"] != mine.json()["id"]


async def test_a_key_names_one_request_not_one_route(api: Api) -> None:
    """A scope covers a route with an id in its path: the same key sent for another object is
    another request (409), never a replay of the first object's answer."""
    endpoints = [
        await api.ok(
            "POST",
            "/api/v1/webhook_endpoints",
            {"url": f"http://127.0.0.1:9/{n}", "events": ["payout.failed"]},
        )
        for n in range(2)
    ]
    key = new_key()
    paths = [f"/api/v1/webhook_endpoints/{e['id']}/rotate_secret" for e in endpoints]
    first = await api.post(paths[0], headers={"Idempotency-Key": key})
    assert first.status_code == 200, first.text
    assert first.json()["id"] == endpoints[0]["id"]
    other = await api.post(paths[1], headers={"Idempotency-Key": key})
    assert other.status_code == 409, other.text
    assert other.json()["code"] == "idempotency_key_reused"
    again = await api.post(paths[0], headers={"Idempotency-Key": key})
    assert again.content == first.content
    assert again.headers["Idempotent-Replayed"] == "true"


async def test_errors_release_the_key(api: Api) -> None:
    key = new_key()
    refused = await api.post(
        "/api/v1/referrals",
        {
            "impression_id": "imp_doesnotexist",
            "first_name": "A",
            "last_name": "B",
            "email": unique_email(),
            "idempotency_key": key,
        },
    )
    assert refused.status_code == 400
    assert refused.json()["code"] == "impression_not_found"
    invalid = await api.post("/api/v1/programs", {"name": "", "idempotency_key": key})
    assert invalid.status_code == 400
    # The corrected request with the same key runs (no 409, no replay of the error).
    funnel = await make_funnel(api)
    fixed = await api.post(
        "/api/v1/referrals",
        {
            "impression_id": funnel.impression["id"],
            "first_name": "A",
            "last_name": "B",
            "email": unique_email(),
            "idempotency_key": key,
        },
    )
    assert fixed.status_code == 200, fixed.text
    assert "Idempotent-Replayed" not in fixed.headers


async def test_bad_keys_are_400(api: Api) -> None:
    too_long = await api.post("/api/v1/programs", program_body(idempotency_key="k" * 256))
    assert too_long.status_code == 400
    assert too_long.json()["message"].startswith("idempotency_key")
    empty = await api.post("/api/v1/programs", program_body(), headers={"Idempotency-Key": ""})
    assert empty.status_code == 400
    assert "idempotency_key" in empty.json()["message"]
    # PostgreSQL refuses NUL in text: the key must be refused before it reaches the database
    nul = await api.post("/api/v1/programs", program_body(idempotency_key="a\u0000b"))
    assert nul.status_code == 400
    assert nul.json()["message"].startswith("idempotency_key")
    assert await count_programs(api) == 0


async def test_key_expires_after_the_ttl(api: Api) -> None:
    key = new_key()
    start = datetime.now(UTC)
    with freeze(start):
        first = await api.post("/api/v1/programs", program_body(idempotency_key=key))
    with freeze(start + timedelta(hours=23, minutes=59)):
        replay = await api.post("/api/v1/programs", program_body(idempotency_key=key))
        assert replay.headers.get("Idempotent-Replayed") == "true"
    with freeze(start + timedelta(hours=24, minutes=1)):
        again = await api.post("/api/v1/programs", program_body(idempotency_key=key))
        assert again.status_code == 200
        assert "Idempotent-Replayed" not in again.headers
        assert again.json()["id"] != first.json()["id"]
        other_body = await api.post(
            "/api/v1/programs", program_body(name="Other", idempotency_key=new_key())
        )
        assert other_body.status_code == 200


@asynccontextmanager
async def impatient_app(database_url: str, wait: float) -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(database_url, idempotency_wait_seconds=wait)
    runtime = Runtime.create(settings)
    transport = httpx.ASGITransport(app=create_app(settings, runtime))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client
    finally:
        await runtime.close()


async def reserve(runtime: Runtime, tenant: Tenant, key: str, body: dict[str, Any]) -> Any:
    """Hold a key as a request that is still running would."""
    return await idempotency.reserve(
        runtime.sessionmaker,
        scope=idempotency.Scope(tenant.account_id, False, "programs.create"),
        key=key,
        request_hash=idempotency.hash_request(json.dumps(body).encode(), target="/api/v1/programs"),
        policy=runtime.idempotency,
    )


async def test_key_in_flight_past_the_wait_is_409(
    database_url: str, runtime: Runtime, tenant: Tenant
) -> None:
    key = new_key()
    body = program_body()
    reservation = await reserve(runtime, tenant, key, body)
    assert isinstance(reservation, idempotency.Reservation)
    async with impatient_app(database_url, wait=0.3) as client:
        headers = {**tenant.test.headers, "Idempotency-Key": key}
        answer = await client.post("/api/v1/programs", json=body, headers=headers)
        assert answer.status_code == 409
        assert answer.json()["code"] == "idempotency_key_in_flight"
        assert answer.json()["error"] == "Conflict"
        assert "RateLimit-Limit" in answer.headers
        # Once the first request is over (here: it failed and released the key), a retry runs.
        await idempotency.release(runtime.sessionmaker, reservation)
        retried = await client.post("/api/v1/programs", json=body, headers=headers)
        assert retried.status_code == 200
    assert await count_programs(tenant.test) == 1


async def test_a_waiting_request_runs_when_the_key_frees(
    database_url: str, runtime: Runtime, tenant: Tenant
) -> None:
    key = new_key()
    body = program_body()
    reservation = await reserve(runtime, tenant, key, body)
    async with impatient_app(database_url, wait=10) as client:
        headers = {**tenant.test.headers, "Idempotency-Key": key}
        waiting = asyncio.create_task(client.post("/api/v1/programs", json=body, headers=headers))
        await asyncio.sleep(0.3)
        assert not waiting.done()
        await idempotency.release(runtime.sessionmaker, reservation)
        answer = await asyncio.wait_for(waiting, timeout=10)
        assert answer.status_code == 200


@pytest.mark.parametrize("route", ["POST /api/v1/programs", "POST /api/v1/referrals"])
async def test_parallel_identical_requests_create_one_object(api: Api, route: str) -> None:
    path = route.removeprefix("POST ")
    body = {**(await BODIES[route](api)), "idempotency_key": new_key()}
    answers = await asyncio.gather(*(api.post(path, body) for _ in range(20)))
    assert {a.status_code for a in answers} == {200}, [a.text for a in answers]
    assert len({a.content for a in answers}) == 1
    assert sum(a.headers.get("Idempotent-Replayed") == "true" for a in answers) == 19
    created_id = answers[0].json()["id"]
    plural = path.rsplit("/", 1)[-1]
    listed = await api.ok("GET", path, limit="100")
    # The body builder made parents but no object of this kind: exactly one exists now.
    assert [item["id"] for item in listed[plural]] == [created_id]
    if plural == "referrals":
        events = await api.ok("GET", "/api/v1/events", type="referral.created")
        assert [e["data"]["id"] for e in events["events"]] == [created_id]
