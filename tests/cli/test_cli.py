"""The `vantio` command as a newcomer meets it: serve, keys, demo, and the OpenAPI document."""

import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import make_settings
from vantio.cli import main as cli
from vantio.config import Settings
from vantio.db.session import transaction
from vantio.kit.time import freeze, utc_now
from vantio.runtime import Runtime

VANTIO = str(Path(sys.executable).parent / "vantio")
SECRET = re.compile(r"sk_(?:test|live)_[A-Za-z0-9]{16,}")


def cli_env(database_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VANTIO_")}
    env["PYTHONUNBUFFERED"] = "1"
    if database_url is not None:
        env["VANTIO_DATABASE_URL"] = database_url
    return env


def run_cli(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own console script
        [VANTIO, *args],
        env=cli_env(database_url),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_serve_defaults_are_the_documented_ones() -> None:
    defaults = Settings.model_fields
    assert defaults["host"].default == "127.0.0.1"
    assert defaults["port"].default == 3000
    assert defaults["database_url"].default == "sqlite+aiosqlite:///./vantio.db"
    # `vantio serve` without options keeps those defaults (its options default to "not given").
    import inspect

    parameters = inspect.signature(cli.serve).parameters
    assert parameters["host"].default is None
    assert parameters["port"].default is None


class Server:
    def __init__(self, cwd: Path, port: int, database_url: str | None = None):
        self.port = port
        self.process = subprocess.Popen(  # noqa: S603 - our own console script
            [VANTIO, "serve", "--port", str(port)],
            cwd=cwd,
            env=cli_env(database_url),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.output = ""

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.stop()
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/openapi.json", timeout=2).is_success:
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        raise AssertionError(f"server did not start: {self.stop()}")

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.terminate()
        out, _ = self.process.communicate(timeout=30)
        self.output += out or ""
        return self.output


@pytest.mark.slow
def test_first_start_prints_a_test_key_once_and_serves_on_the_default_file(tmp_path: Path) -> None:
    port = free_port()
    first = Server(tmp_path, port)
    try:
        first.wait_ready()
        served = httpx.get(f"http://127.0.0.1:{port}/openapi.json").json()
        assert "/api/v1/referrals" in served["paths"]
    finally:
        output = first.stop()
    keys = SECRET.findall(output)
    assert len(keys) == 1, output
    assert keys[0].startswith("sk_test_")
    assert (tmp_path / "vantio.db").exists()  # the default database file, in the working dir

    second = Server(tmp_path, port)
    try:
        second.wait_ready()
        answer = httpx.get(
            f"http://127.0.0.1:{port}/api/v1/programs",
            headers={"Authorization": f"Bearer {keys[0]}"},
        )
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"programs": [], "has_more": False}
    finally:
        output = second.stop()
    assert SECRET.findall(output) == [], output  # printed on the first start only


async def test_bootstrap_creates_one_account_and_key_on_any_database(empty_database: str) -> None:
    from vantio.cli.bootstrap import ensure_account
    from vantio.db.migrate import upgrade

    settings = make_settings(empty_database)
    await asyncio.to_thread(upgrade, settings)  # alembic runs its own event loop
    runtime = Runtime.create(settings)
    try:
        secret = await ensure_account(runtime.sessionmaker)
        assert secret is not None
        assert secret.startswith("sk_test_")
        assert await ensure_account(runtime.sessionmaker) is None
    finally:
        await runtime.close()


@pytest.mark.slow
async def test_keys_create_list_revoke(empty_database: str, open_app: Any) -> None:
    created = run_cli(empty_database, "keys", "create", "--name", "checkout server")
    assert created.returncode == 0, created.stderr
    key_id, secret = created.stdout.split()
    assert key_id.startswith("key_")
    assert secret.startswith("sk_test_")
    live = run_cli(empty_database, "keys", "create", "--name", "production", "--live")
    assert live.returncode == 0, live.stderr
    live_id, live_secret = live.stdout.split()
    assert live_secret.startswith("sk_live_")

    listed = run_cli(empty_database, "keys", "list")
    assert listed.returncode == 0, listed.stderr
    lines = {line.split()[0]: line for line in listed.stdout.splitlines()}
    assert "last used never" in lines[key_id]
    assert "'checkout server'" in lines[key_id]
    assert " live " in lines[live_id]
    assert secret not in listed.stdout
    assert live_secret not in listed.stdout
    assert not SECRET.search(listed.stdout)

    client = await open_app()
    async with client:
        headers = {"Authorization": f"Bearer {secret}"}
        assert (await client.get("/api/v1/programs", headers=headers)).status_code == 200

        listed = run_cli(empty_database, "keys", "list")
        line = next(line for line in listed.stdout.splitlines() if line.startswith(key_id))
        assert re.search(r"last used \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", line), line

        revoked = run_cli(empty_database, "keys", "revoke", key_id)
        assert revoked.returncode == 0, revoked.stderr
        # Revoked by another process: refused once this process's memory of the key expires.
        later = utc_now() + timedelta(seconds=Settings().api_key_cache_seconds + 1)
        with freeze(later):
            refused = await client.get("/api/v1/programs", headers=headers)
        assert refused.status_code == 401
        assert refused.json()["code"] == "invalid_api_key"
        live_headers = {"Authorization": f"Bearer {live_secret}"}
        assert (await client.get("/api/v1/programs", headers=live_headers)).status_code == 200

    listed = run_cli(empty_database, "keys", "list")
    assert "REVOKED" in next(line for line in listed.stdout.splitlines() if line.startswith(key_id))
    unknown = run_cli(empty_database, "keys", "revoke", "key_doesnotexist")
    assert unknown.returncode == 1
    assert "No API key" in unknown.stderr


@pytest.mark.slow
async def test_demo_fills_a_living_program(empty_database: str, open_app: Any) -> None:
    demo = run_cli(empty_database, "demo", "--weeks", "4")
    assert demo.returncode == 0, demo.stderr
    key = run_cli(empty_database, "keys", "create", "--name", "explore").stdout.split()[1]

    client = await open_app()
    async with client:
        headers = {"Authorization": f"Bearer {key}"}

        async def get(path: str, **params: Any) -> dict[str, Any]:
            response = await client.get(path, params=params, headers=headers)
            assert response.status_code == 200, response.text
            body: dict[str, Any] = response.json()
            return body

        programs = (await get("/api/v1/programs"))["programs"]
        assert len(programs) == 1
        program_id = programs[0]["id"]
        users = (await get("/api/v1/users", programId=program_id))["users"]
        assert len(users) >= 3
        posters = (await get("/api/v1/posters", programId=program_id))["posters"]
        assert len(posters) >= len(users)
        assert all(p["location"] for p in posters)
        assert len({p["location"] for p in posters}) >= 3
        impressions = await get("/api/v1/impressions", programId=program_id, limit="100")
        assert impressions["has_more"] is True
        first_page = impressions["impressions"]
        assert first_page[0]["scanned_at"] >= first_page[-1]["scanned_at"]  # newest first
        assert {i["metadata"]["device_type"] for i in first_page} >= {"mobile"}
        for status in ("pending", "converted", "verified", "rejected"):
            found = await get("/api/v1/referrals", programId=program_id, status=status)
            assert found["referrals"], f"no {status} referral in the demo"
        created = sorted(
            r["created_at"]
            for r in (await get("/api/v1/referrals", programId=program_id, limit="100"))[
                "referrals"
            ]
        )
        assert created[0][:10] != created[-1][:10]  # activity spread over days
        earnings = (await get("/api/v1/earnings", program_id=program_id, limit="100"))["earnings"]
        assert earnings
        assert all(e["amount"] > 0 for e in earnings)
        for status in ("pending", "paid"):
            found = await get("/api/v1/earnings", program_id=program_id, status=status)
            assert found["earnings"], f"no {status} earning in the demo"
        paid = found["earnings"][0]
        assert paid["paid_at"] is not None
        assert paid["reference_id"]
        events = (await get("/api/v1/events"))["events"]
        assert events


@pytest.mark.slow
def test_serve_says_how_to_make_a_key_when_an_account_has_none_usable(
    empty_database: str, tmp_path: Path
) -> None:
    """Issue 12: after the demo made the account (no key), `serve` printed no key and no hint."""
    key_id = run_cli(empty_database, "keys", "create", "--name", "gone").stdout.split()[0]
    assert run_cli(empty_database, "keys", "revoke", key_id).returncode == 0
    server = Server(tmp_path, free_port(), empty_database)
    try:
        server.wait_ready()
    finally:
        output = server.stop()
    # Issue 12: nothing said which address the posters would carry.
    assert "Posters and QR codes will point at http://127.0.0.1:" in output, output
    assert "which a phone elsewhere cannot reach" in output, output
    assert "Set VANTIO_PUBLIC_URL" in output, output
    assert "has no usable API key" in output, output
    assert "vantio keys create --name NAME --account acct_" in output, output
    assert not SECRET.search(output)


async def fold(database_url: str) -> None:
    """What a running server's worker does every five minutes: fold what is stored into the
    rollups and move the watermark (here up to now, without the lag: the strictest case)."""
    from vantio.analytics import rollups
    from vantio.kit.time import utc_now

    runtime = Runtime.create(make_settings(database_url))
    try:
        async with transaction(runtime.sessionmaker) as session:
            while await rollups.refresh(session, up_to=utc_now()):
                pass
    finally:
        await runtime.close()


async def stored_scans(database_url: str, program_id: str) -> tuple[int, dict[str, int]]:
    """The impressions rows of a program, and per poster: what the figures must agree with."""
    from sqlalchemy import func, select

    from vantio.impressions.models import Impression

    runtime = Runtime.create(make_settings(database_url))
    try:
        async with runtime.sessionmaker() as session:
            rows = await session.execute(
                select(Impression.poster_id, func.count())
                .where(Impression.program_id == program_id)
                .group_by(Impression.poster_id)
            )
            per_poster: dict[str, int] = {str(p): int(c) for p, c in rows.tuples()}
            return sum(per_poster.values()), per_poster
    finally:
        await runtime.close()


@pytest.mark.slow
@pytest.mark.parametrize("order", ["serve_first", "demo_first"])
async def test_demo_figures_agree_with_the_rows_whatever_the_order(
    empty_database: str, open_app: Any, order: str
) -> None:
    """Issue 12: after `vantio serve` (whose worker had folded the rollups up to now) the demo's
    back-dated impression IDs fell below the watermark: the funnel said 4 scans for hundreds."""
    none = run_cli(empty_database, "keys", "list")
    assert none.returncode == 0, none.stderr
    assert "No API keys" in none.stdout
    if order == "serve_first":
        key = run_cli(empty_database, "keys", "create", "--name", "first").stdout.split()[1]
        await fold(empty_database)
    demo = run_cli(empty_database, "demo", "--weeks", "2")
    assert demo.returncode == 0, demo.stderr
    printed = SECRET.findall(demo.stdout)
    if order == "demo_first":  # the demo made the account: it prints its key, once
        assert len(printed) == 1, demo.stdout
        key = printed[0]
    else:
        assert printed == [], demo.stdout

    client = await open_app()
    async with client:
        headers = {"Authorization": f"Bearer {key}"}

        async def get(path: str, **params: Any) -> dict[str, Any]:
            response = await client.get(path, params=params, headers=headers)
            assert response.status_code == 200, response.text
            body: dict[str, Any] = response.json()
            return body

        (program,) = (await get("/api/v1/programs"))["programs"]
        stored, per_poster = await stored_scans(empty_database, program["id"])
        assert stored > 100
        span = {"program_id": program["id"], "from": "2020-01-01", "to": "2040-01-01"}
        for moment in ("before the next fold", "after it"):
            funnel = await get("/api/v1/analytics/funnel", **span, interval="month")
            assert funnel["total"]["impressions"] == stored, moment
            board = await get("/api/v1/analytics/leaderboard", **span, limit="100")
            assert sum(a["impressions"] for a in board["ambassadors"]) == stored, moment
            posters = await get("/api/v1/analytics/posters", **span)
            assert {p["poster_id"]: p["scans"] for p in posters["posters"]} == per_poster, moment
            await fold(empty_database)


def test_openapi_describes_every_route_with_a_one_line_summary(app: Any) -> None:
    document = app.openapi()
    operations = [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]
    assert len(operations) >= 25
    for method, path, operation in operations:
        summary = operation.get("summary")
        assert summary, f"{method.upper()} {path} has no summary"
        assert "\n" not in summary, f"{method.upper()} {path}: summary is not one line"
    # The 14 documented endpoints and the additions of API.md are all described.
    documented = {(m.upper(), p) for m, p, _ in operations}
    for resource in ("users", "referrals", "posters", "impressions", "earnings", "programs"):
        assert ("GET", f"/api/v1/{resource}") in documented
        assert ("GET", f"/api/v1/{resource}/{{id}}") in documented
        assert ("POST", f"/api/v1/{resource}") in documented
    for resource in ("users", "referrals", "posters", "earnings", "programs"):
        assert ("PUT", f"/api/v1/{resource}/{{id}}") in documented
    assert {("GET", "/api/v1/events"), ("GET", "/api/v1/events/{id}")} <= documented
    assert ("GET", "/s/{code}") in documented


@pytest.mark.slow
async def test_db_upgrade_builds_the_schema_from_migrations(empty_database: str) -> None:
    """`vantio db upgrade` on an empty database, chosen only by VANTIO_DATABASE_URL."""
    from sqlalchemy import inspect as sql_inspect

    from vantio.db.engine import create_engine

    upgraded = run_cli(empty_database, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert "up to date" in upgraded.stdout
    engine = create_engine(make_settings(empty_database))
    try:
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda c: set(sql_inspect(c).get_table_names()))
    finally:
        await engine.dispose()
    assert {
        "alembic_version",
        "accounts",
        "api_keys",
        "programs",
        "referrals",
        "earnings",
    } <= tables
    assert {"events", "impressions", "posters", "users", "idempotency_keys"} <= tables
    again = run_cli(empty_database, "db", "upgrade")  # idempotent
    assert again.returncode == 0, again.stderr


def test_openapi_prints_the_document_and_creates_no_files(tmp_path: Path) -> None:
    """`vantio openapi` (run by sdk-js's drift check) used to leave a database and a key file
    behind in the directory it ran in."""
    database = tmp_path / "vantio.db"
    result = subprocess.run(  # noqa: S603 - our own console script
        [VANTIO, "openapi"],
        env=cli_env(f"sqlite+aiosqlite:///{database}"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["info"]["title"] == "Vantio"
    assert sorted(p.name for p in tmp_path.iterdir()) == []
