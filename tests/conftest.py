"""Test harness: a real, migrated database per run (SQLite by default, PostgreSQL with
VANTIO_TEST_DATABASE=postgresql), the ASGI app end to end, a fresh account per test, and the
fixtures several test modules share (each defined here, once)."""

import os
import secrets
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import delete, select

from tests.dashboard_helpers import Browser, make_operator
from tests.helpers import Api, Tenant, new_tenant
from tests.webhook_receiver import Receiver
from vantio.analytics.models import ImpressionDay, ImpressionSlot, PosterDay, RollupWatermark
from vantio.app import create_app
from vantio.composition import create_runtime
from vantio.config import Settings
from vantio.db.migrate import upgrade
from vantio.db.session import transaction
from vantio.runtime import Runtime
from vantio.scans.writer import writer_of
from vantio.worker.models import PeriodicSchedule

POSTGRES_URL = os.environ.get("VANTIO_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")
BACKEND = os.environ.get("VANTIO_TEST_DATABASE", "sqlite")
# One key seals secrets at rest for the whole run: the runtimes made here and the `vantio serve`
# and `vantio worker` processes some tests start (they inherit it) open what the others sealed.
# Tests of the key file itself give their settings an empty `secret_key`.
os.environ.setdefault("VANTIO_SECRET_KEY", "_dE3Q8_fMd8DiKPcLfgSCTSXxMCQN_KSGO3TzOAqtZM")


def pytest_report_header() -> str:
    return f"vantio test database: {BACKEND}"


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """A new database for this run, migrated to the newest schema, dropped afterwards."""
    if BACKEND == "postgresql":
        name = f"vantio_test_{secrets.token_hex(4)}"
        _pg_admin(f'CREATE DATABASE "{name}"')
        url = f"{POSTGRES_URL.replace('postgresql://', 'postgresql+asyncpg://')}/{name}"
        upgrade(Settings(database_url=url))
        yield url
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        with tempfile.TemporaryDirectory() as directory:
            url = f"sqlite+aiosqlite:///{Path(directory) / 'test.db'}"
            upgrade(Settings(database_url=url))
            yield url


@pytest.fixture
def empty_database(tmp_path: Path) -> Iterator[str]:
    """A database with nothing in it, not even the schema: what a first start meets."""
    if BACKEND == "postgresql":
        name = f"vantio_cli_{secrets.token_hex(4)}"
        _pg_admin(f'CREATE DATABASE "{name}"')
        yield f"{POSTGRES_URL.replace('postgresql://', 'postgresql+asyncpg://')}/{name}"
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        yield f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"


@pytest.fixture
async def open_app(empty_database: str) -> AsyncIterator[Any]:
    """An ASGI client on the CLI's database (opened after the CLI migrated it)."""
    runtimes: list[Runtime] = []

    async def open_client() -> httpx.AsyncClient:
        settings = make_settings(empty_database)
        runtime = Runtime.create(settings)
        runtimes.append(runtime)
        transport = httpx.ASGITransport(app=create_app(settings, runtime))
        return httpx.AsyncClient(transport=transport, base_url="http://testserver")

    yield open_client
    for runtime in runtimes:
        await runtime.close()


def _pg_admin(sql: str) -> None:
    import asyncio

    async def run() -> None:
        connection = await asyncpg.connect(f"{POSTGRES_URL}/postgres")
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    asyncio.run(run())


def make_settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "rate_limit_referrals": "100000/second",
        "rate_limit_vouchers_default": "100000/second",
        "rate_limit_vouchers_create": "100000/second",
        "rate_limit_vouchers_validate": "100000/second",
        "rate_limit_vouchers_apply": "100000/second",
        "public_url": "http://testserver",
        "webhook_allow_private": True,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture(scope="session")
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """Built by the composition root, as `vantio serve` builds it: it knows every job."""
    runtime = create_runtime(settings)
    yield runtime
    await runtime.close()


@pytest.fixture(scope="session")
def app(settings: Settings, runtime: Runtime):  # type: ignore[no-untyped-def]
    return create_app(settings, runtime)


@pytest.fixture(scope="session")
async def client(app) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 4321))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
async def tenant(runtime: Runtime, client: httpx.AsyncClient) -> Tenant:
    """A fresh account with a test key and a live key: tests never see each other's data."""
    return await new_tenant(runtime, client)


@pytest.fixture
def api(tenant: Tenant) -> Api:
    return tenant.test


@pytest.fixture
def backend() -> str:
    return BACKEND


# -- fixtures shared by several modules ---------------------------------------------------------


@pytest.fixture(scope="module")
async def served(settings: Settings, runtime: Runtime) -> AsyncIterator[FastAPI]:
    """The app with its lifespan running, so that scans go through the group-commit writer."""
    app = create_app(settings, runtime)
    async with app.router.lifespan_context(app):
        assert writer_of(app).running
        yield app
    assert not writer_of(app).running


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """A real HTTP receiver on 127.0.0.1 for webhook deliveries."""
    receiver = await Receiver().start()
    yield receiver
    await receiver.stop()


@pytest.fixture
async def signed_in(app: FastAPI, runtime: Runtime, tenant: Tenant) -> AsyncIterator[Browser]:
    """A dashboard browser signed in as an operator of the test's account."""
    operator = await make_operator(runtime, tenant.account_id)
    browser = Browser(app)
    assert (await browser.sign_in(operator.email)).status_code == 303
    yield browser
    await browser.close()


# -- state the whole database shares, put back after each test ---------------------------------

ROLLUPS = (ImpressionSlot, ImpressionDay, PosterDay)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Every test that touches the database (through `runtime`, as all of them do) gets the
    # fixture below; a fixture cannot ask for an async fixture conditionally, so it is added here.
    for item in items:
        names = getattr(item, "fixturenames", None)
        if names is not None and "runtime" in names:
            names.append("database_wide_state_restored")


@pytest.fixture
async def database_wide_state_restored(runtime: Runtime) -> AsyncIterator[None]:
    """The analytics watermark and the periodic job schedules are one row each for the whole
    database, not per account: a test that folds impressions or advances a schedule (often under
    a frozen clock, years ahead) would change what the tests after it see. Whatever a test does
    to them is undone, so the suite passes in any order (`pytest --random-order`)."""
    before = await _database_wide_state(runtime)
    yield
    if await _database_wide_state(runtime) == before:
        return
    async with transaction(runtime.sessionmaker) as session:
        # Nothing folded: readers count from the impressions until the next refresh (exact,
        # and what every test starts from, since each one leaves it so).
        for rollup in (*ROLLUPS, RollupWatermark):
            await session.execute(delete(rollup))
        await session.execute(delete(PeriodicSchedule))
        session.add_all(PeriodicSchedule(**row) for row in before[1])


async def _database_wide_state(runtime: Runtime) -> tuple[list[str], list[dict[str, object]]]:
    async with transaction(runtime.sessionmaker) as session:
        marks = list(await session.scalars(select(RollupWatermark.below_id)))
        schedules = [
            {c: getattr(row, c) for c in ("name", "spec", "next_due_at", "last_due_at")}
            for row in await session.scalars(
                select(PeriodicSchedule).order_by(PeriodicSchedule.name)
            )
        ]
    return marks, schedules
