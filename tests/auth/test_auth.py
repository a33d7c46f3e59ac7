"""API keys: 401 in the documented shape for missing, malformed, unknown and revoked keys; only
hashes stored; live and test keys see their own mode."""

import contextlib
import re
import secrets
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import event, text

from tests.helpers import Api, Tenant, make_program
from vantio.api_keys import service as api_key_service
from vantio.db.session import transaction
from vantio.kit.crypto import sha256_hex
from vantio.kit.time import freeze, utc_now
from vantio.runtime import Runtime

PARAM = re.compile(r"\{[^}]+\}")


def assert_unauthorized(response: httpx.Response, code: str) -> None:
    assert response.status_code == 401, response.text
    body = response.json()
    assert body["error"] == "Unauthorized"
    assert body["code"] == code
    assert isinstance(body["message"], str)
    assert body["message"]


async def test_missing_key(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/referrals")
    assert_unauthorized(response, "missing_api_key")
    assert "Authorization" in response.json()["message"]


@pytest.mark.parametrize(
    "header",
    [
        "Basic dXNlcjpwYXNz",
        "Bearer",
        "Bearer   ",
        "sk_test_abcdefghijklmnopqrstuvwxyz012345",
        "Bearer not-a-key",
        "Bearer sk_prod_abcdefghijklmnopqrstuvwxyz012345",
        "Bearer sk_test_short",
        "Bearer sk_test_" + "a" * 300,
        "Bearer sk_test_abc\u00e9defghijklmnopqrstuvwxyz",
    ],
)
async def test_malformed_key(client: httpx.AsyncClient, header: str) -> None:
    response = await client.get(
        "/api/v1/referrals", headers={"Authorization": header.encode("utf-8")}
    )
    assert_unauthorized(response, "invalid_api_key")


async def test_unknown_key(client: httpx.AsyncClient) -> None:
    for mode in ("test", "live"):
        key = f"sk_{mode}_{secrets.token_hex(16)}"
        response = await client.get("/api/v1/referrals", headers={"Authorization": f"Bearer {key}"})
        assert_unauthorized(response, "invalid_api_key")
        assert response.json()["message"] == "Invalid or missing API key"


async def test_revoked_key_gets_401(tenant: Tenant, runtime: Runtime) -> None:
    api = tenant.test
    assert (await api.get("/api/v1/programs")).status_code == 200
    async with transaction(runtime.sessionmaker) as session:
        await api_key_service.revoke_key(session, key_id=tenant.test_key_id)
    assert_unauthorized(await api.get("/api/v1/programs"), "invalid_api_key")
    assert_unauthorized(
        await api.post("/api/v1/programs", {"name": "x", "landing_url": "https://e.com"}),
        "invalid_api_key",
    )
    # The account's other key still works.
    assert (await tenant.live.get("/api/v1/programs")).status_code == 200


@contextlib.contextmanager
def statements(runtime: Runtime) -> Iterator[list[str]]:
    """The SQL this runtime's engine runs inside the block."""
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    sync_engine = runtime.engine.sync_engine
    event.listen(sync_engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(sync_engine, "before_cursor_execute", note)


async def test_a_key_found_active_is_not_looked_up_again(tenant: Tenant, runtime: Runtime) -> None:
    """Issue 13: every request opened a transaction of its own to look its key up; a key found
    active moments ago is taken from this process's memory."""
    api = tenant.test
    assert (await api.get("/api/v1/programs")).status_code == 200
    with statements(runtime) as seen:
        assert (await api.get("/api/v1/programs")).status_code == 200
    assert seen, "the request ran no SQL at all"
    assert not [s for s in seen if "api_keys" in s], seen


async def test_a_remembered_key_is_refused_once_revoked_in_this_process(
    tenant: Tenant, runtime: Runtime
) -> None:
    api = tenant.test
    assert (await api.get("/api/v1/programs")).status_code == 200
    assert (await api.get("/api/v1/programs")).status_code == 200  # from memory
    async with transaction(runtime.sessionmaker) as session:
        await api_key_service.revoke_key(session, key_id=tenant.test_key_id)
    assert_unauthorized(await api.get("/api/v1/programs"), "invalid_api_key")


async def test_a_lookup_that_read_the_key_before_its_revocation_does_not_remember_it(
    tenant: Tenant, runtime: Runtime
) -> None:
    """A request that read the key while a revocation was committing must not keep it."""

    def revoked_meanwhile(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "FROM api_keys" in statement:
            api_key_service.forget_keys()  # what a revocation committing now does

    api_key_service.forget_keys()
    sync_engine = runtime.engine.sync_engine
    event.listen(sync_engine, "after_cursor_execute", revoked_meanwhile)
    try:
        async with transaction(runtime.sessionmaker) as session:
            found = await api_key_service.find_active_key(
                session, secret=tenant.test.key, remember_seconds=60
            )
    finally:
        event.remove(sync_engine, "after_cursor_execute", revoked_meanwhile)
    assert found is not None
    assert api_key_service.remembered_key(tenant.test.key) is None


async def test_last_used_at_is_still_written_once_a_minute(
    tenant: Tenant, runtime: Runtime
) -> None:
    api = tenant.test
    assert (await api.get("/api/v1/programs")).status_code == 200
    later = utc_now() + timedelta(minutes=2)
    with freeze(later):
        assert (await api.get("/api/v1/programs")).status_code == 200
    async with transaction(runtime.sessionmaker) as session:
        keys = await api_key_service.list_keys(session)
    key = next(k for k in keys if k.id == tenant.test_key_id)
    assert key.last_used_at == later


async def test_scheme_is_case_insensitive(api: Api) -> None:
    response = await api.client.get(
        "/api/v1/programs", headers={"Authorization": f"bearer {api.key}"}
    )
    assert response.status_code == 200


async def test_every_api_route_needs_a_key(app: Any, client: httpx.AsyncClient) -> None:
    routes = 0
    for path, item in app.openapi()["paths"].items():
        if not path.startswith(("/api/v1/", "/v1/")):
            continue
        for method in item:
            url = PARAM.sub("x_1", path)
            response = await client.request(method.upper(), url, json={})
            assert response.status_code == 401, f"{method} {path} -> {response.status_code}"
            if path.startswith("/api/v1/"):
                assert_unauthorized(response, "missing_api_key")
            else:
                assert response.json()["error"]["code"] == "MISSING_API_KEY"
            routes += 1
    assert routes >= 25


async def test_keys_are_stored_only_as_hashes(tenant: Tenant, runtime: Runtime) -> None:
    secret = tenant.test.key
    async with transaction(runtime.sessionmaker) as session:
        rows = (
            (
                await session.execute(
                    text("SELECT * FROM api_keys WHERE account_id = :a"), {"a": tenant.account_id}
                )
            )
            .mappings()
            .all()
        )
    assert len(rows) == 2
    hashes = {row["key_hash"] for row in rows}
    assert sha256_hex(secret) in hashes
    for row in rows:
        for column, value in row.items():
            if isinstance(value, str):
                assert secret not in value, f"api_keys.{column} holds the secret"
                assert secret[len("sk_test_") :] not in value, f"api_keys.{column} holds it"
                assert len(value) < len(secret) or column == "key_hash"
        assert len(row["hint"]) <= 12  # "sk_test_" and 4 characters: enough to recognise


async def test_each_mode_sees_only_its_own_objects(tenant: Tenant) -> None:
    test_program = await make_program(tenant.test, name="Test program")
    live_program = await make_program(tenant.live, name="Live program")
    test_list = await tenant.test.ok("GET", "/api/v1/programs")
    live_list = await tenant.live.ok("GET", "/api/v1/programs")
    assert [p["id"] for p in test_list["programs"]] == [test_program["id"]]
    assert [p["id"] for p in live_list["programs"]] == [live_program["id"]]
    assert (await tenant.test.get(f"/api/v1/programs/{live_program['id']}")).status_code == 404
    assert (await tenant.live.get(f"/api/v1/programs/{test_program['id']}")).status_code == 404
