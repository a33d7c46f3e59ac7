"""Webhook secrets, and every copy of them, are sealed at rest (issue 11, point 5): the
endpoint's row and the idempotency table's stored answer hold no `whsec_`; the API still shows
and signs with the secret; rows from before sealing still work, and `reseal` / `rotate-key`
seal them again."""

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import BACKEND
from tests.helpers import Api
from vantio.cli.secrets import reseal
from vantio.db.session import transaction
from vantio.kit import sealing
from vantio.runtime import Runtime
from vantio.webhooks.models import WebhookEndpoint


async def raw_row(runtime: Runtime, sql: str, **params: str) -> tuple[object, ...]:
    async with transaction(runtime.sessionmaker) as session:
        return tuple((await session.execute(sa.text(sql), params)).one())


async def test_secrets_and_their_stored_replays_are_sealed(api: Api, runtime: Runtime) -> None:
    body = {"url": "https://example.com/hooks", "events": ["*"]}
    created = await api.post("/api/v1/webhook_endpoints", body, headers={"Idempotency-Key": "k1"})
    assert created.status_code == 200
    secret = created.json()["secret"]
    assert secret.startswith("whsec_")
    endpoint_id = created.json()["id"]

    (stored,) = await raw_row(
        runtime, "SELECT secret FROM webhook_endpoints WHERE id = :id", id=endpoint_id
    )
    assert isinstance(stored, str)
    assert sealing.is_sealed(stored)
    assert "whsec_" not in stored
    assert secret[6:] not in stored
    (answer,) = await raw_row(
        runtime,
        "SELECT response_body FROM idempotency_keys WHERE key = :key ORDER BY created_at DESC",
        key="k1",
    )
    assert isinstance(answer, bytes | memoryview)
    assert b"whsec_" not in bytes(answer)

    # The replay opens the stored answer: the same secret, byte for byte.
    replay = await api.post("/api/v1/webhook_endpoints", body, headers={"Idempotency-Key": "k1"})
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.content == created.content

    rotated = await api.ok("POST", f"/api/v1/webhook_endpoints/{endpoint_id}/rotate_secret", {})
    stored_now, previous = await raw_row(
        runtime,
        "SELECT secret, previous_secret FROM webhook_endpoints WHERE id = :id",
        id=endpoint_id,
    )
    for value in (stored_now, previous):
        assert isinstance(value, str)
        assert "whsec_" not in value
    async with transaction(runtime.sessionmaker) as session:
        endpoint = await session.get(WebhookEndpoint, endpoint_id)
        assert endpoint is not None
        assert (endpoint.secret, endpoint.previous_secret) == (rotated["secret"], secret)


async def test_plain_rows_from_before_still_work_and_are_sealed_by_reseal(
    api: Api, runtime: Runtime
) -> None:
    created = await api.ok(
        "POST", "/api/v1/webhook_endpoints", {"url": "https://example.com/h", "events": ["*"]}
    )
    legacy = "whsec_" + "A" * 32
    async with transaction(runtime.sessionmaker) as session:
        await session.execute(
            sa.text("UPDATE webhook_endpoints SET secret = :s WHERE id = :id"),
            {"s": legacy, "id": created["id"]},
        )
    async with transaction(runtime.sessionmaker) as session:
        endpoint = await session.get(WebhookEndpoint, created["id"])
        assert endpoint is not None
        assert endpoint.secret == legacy
        assert await reseal(session, sealing.active()) >= 1
    (stored,) = await raw_row(
        runtime, "SELECT secret FROM webhook_endpoints WHERE id = :id", id=created["id"]
    )
    assert isinstance(stored, str)
    assert sealing.active().sealed_with_current(stored)
    async with transaction(runtime.sessionmaker) as session:
        endpoint = await session.get(WebhookEndpoint, created["id"])
        assert endpoint is not None
        assert endpoint.secret == legacy


def vantio(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VANTIO_")}
    env["VANTIO_DATABASE_URL"] = database_url
    return subprocess.run(  # noqa: S603 - our own console script
        [str(Path(sys.executable).parent / "vantio"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


@pytest.mark.slow
@pytest.mark.skipif(BACKEND != "sqlite", reason="the key file beside the SQLite database")
def test_first_start_files_are_0600_and_rotate_key_seals_again(tmp_path: Path) -> None:
    database = tmp_path / "vantio.db"
    url = f"sqlite+aiosqlite:///{database}"
    vantio(url, "db", "upgrade")
    key_file = tmp_path / "vantio.db.key"
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    vantio(url, "keys", "create", "--name", "t")  # the first runtime creates the key file
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    before = sealing.Keyring.parse(key_file.read_text())

    # A row sealed with the first key, and one in plain text from before sealing.
    sealed = before.seal("whsec_one", purpose="webhook_endpoints.secret")
    engine = sa.create_engine(f"sqlite:///{database}")
    with engine.begin() as connection:
        account = connection.execute(sa.text("SELECT id FROM accounts")).scalar_one()
        for endpoint_id, secret in (("we_1", sealed), ("we_2", "whsec_two")):
            connection.execute(
                sa.text(
                    "INSERT INTO webhook_endpoints (id, account_id, livemode, url, events, "
                    "disabled, secret, metadata, created_at, updated_at) VALUES (:id, :a, 0, "
                    "'https://e.com', '[]', 0, :s, '{}', '2026-01-01', '2026-01-01')"
                ),
                {"id": endpoint_id, "a": account, "s": secret},
            )

    output = vantio(url, "secrets", "rotate-key").stdout
    assert "2 values sealed again" in output
    after = sealing.Keyring.parse(key_file.read_text())
    assert after.current_id != before.current_id
    assert before.current_id in after.keys  # kept, to open what it sealed
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    with engine.begin() as connection:
        rows = dict(connection.execute(sa.text("SELECT id, secret FROM webhook_endpoints")).all())
    engine.dispose()
    assert all(after.sealed_with_current(value) for value in rows.values())
    purpose = "webhook_endpoints.secret"
    assert after.open(rows["we_1"], purpose=purpose) == "whsec_one"
    assert after.open(rows["we_2"], purpose=purpose) == "whsec_two"
