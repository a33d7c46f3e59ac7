"""Test harness: a real, migrated database per run (SQLite by default, PostgreSQL with
VANTIO_TEST_DATABASE=postgresql), the ASGI app end to end, and a fresh account per test."""

import os
import secrets
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.helpers import Api, Tenant, new_tenant
from vantio.app import create_app
from vantio.config import Settings
from vantio.db.migrate import upgrade
from vantio.runtime import Runtime

POSTGRES_URL = os.environ.get("VANTIO_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")
BACKEND = os.environ.get("VANTIO_TEST_DATABASE", "sqlite")


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
    runtime = Runtime.create(settings)
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
