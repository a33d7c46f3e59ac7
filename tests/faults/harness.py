"""What the fault tests share: databases, a Redis and `vantio serve` / `vantio worker` processes
that each test starts itself, breaks, and stops by process id (never the shared services).

Not a test module.
"""

import asyncio
import contextlib
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest

from tests.conftest import BACKEND, POSTGRES_URL
from vantio.config import Settings
from vantio.db.migrate import upgrade


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def pg_admin(sql: str, database: str = "postgres") -> str:
    connection = await asyncpg.connect(f"{POSTGRES_URL}/{database}")
    try:
        return str(await connection.execute(sql))
    finally:
        await connection.close()


@contextlib.asynccontextmanager
async def fresh_postgres(prefix: str = "vantio_faults") -> AsyncIterator[str]:
    """A fresh, migrated PostgreSQL database of the test's own, dropped afterwards."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    try:
        await pg_admin(f'CREATE DATABASE "{name}"')
    except (OSError, asyncpg.PostgresError) as exc:  # pragma: no cover - CI always has it
        pytest.fail(f"these tests need PostgreSQL at {POSTGRES_URL}: {exc}")
    url = f"{POSTGRES_URL.replace('postgresql://', 'postgresql+asyncpg://')}/{name}"
    try:
        await asyncio.to_thread(upgrade, Settings(database_url=url))
        yield url
    finally:
        await pg_admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        await pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.asynccontextmanager
async def fresh_database() -> AsyncIterator[str]:
    """A fresh database of the suite's backend (for SQLite a file, which processes can share)."""
    if BACKEND == "postgresql":
        async with fresh_postgres() as url:
            yield url
        return
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite+aiosqlite:///{Path(directory) / 'faults.db'}"
        await asyncio.to_thread(upgrade, Settings(database_url=url))
        yield url


def database_name(url: str) -> str:
    return url.rsplit("/", 1)[-1]


@contextlib.asynccontextmanager
async def database_outage(url: str, seconds: float) -> AsyncIterator[None]:
    """PostgreSQL refuses connections to this database, and drops the open ones, for `seconds`;
    the block runs during the outage."""
    name = database_name(url)
    await pg_admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
    try:
        # The name is our own (fresh_postgres made it).
        terminate = f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"  # noqa: S608
        await pg_admin(terminate)
        started = time.monotonic()
        yield
        await asyncio.sleep(max(0.0, seconds - (time.monotonic() - started)))
    finally:
        await pg_admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')


async def until(
    condition: Callable[[], object],
    timeout: float,
    what: str,
    context: Callable[[], str] = lambda: "",
) -> float:
    """Wait for `condition()` (a function or a coroutine function); returns the seconds waited.
    On a time-out the assertion quotes `context()` (the processes' output)."""
    started = time.monotonic()
    while True:
        outcome = condition()
        if asyncio.iscoroutine(outcome):
            outcome = await outcome
        if outcome:
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}\n{context()}")
        await asyncio.sleep(0.05)


@dataclass
class Process:
    popen: "subprocess.Popen[bytes]"
    log: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL: no clean-up of any kind, as a crash."""
        if self.popen.poll() is None:
            os.kill(self.popen.pid, signal.SIGKILL)
        self.popen.wait(10)


@dataclass
class Server(Process):
    port: int
    key: str | None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class Processes:
    """Every process a test starts, each writing its output to a file; all killed at the end."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.started: list[Process] = []

    def start(self, args: list[str], env: dict[str, str]) -> Process:
        log = self.directory / f"proc{len(self.started)}.log"
        with open(log, "wb") as output:
            popen = subprocess.Popen(  # noqa: S603 - our own command line
                [sys.executable, "-m", "vantio.cli.main", *args],
                env={**os.environ, **env},
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        process = Process(popen, log)
        self.started.append(process)
        return process

    async def serve(
        self, database_url: str, *, port: int | None = None, args: tuple[str, ...] = (), **env: str
    ) -> Server:
        """`vantio serve` on a free port; returns once it listens (with the key it printed on a
        first start)."""
        port = port or free_port()
        process = self.start(
            ["serve", "--port", str(port), *args], {"VANTIO_DATABASE_URL": database_url, **env}
        )

        def listening() -> bool:
            if process.popen.poll() is not None:
                raise AssertionError(f"vantio serve exited:\n{process.output()[-3000:]}")
            return "Uvicorn running" in process.output()

        await until(listening, 60, "vantio serve to listen")
        found = re.search(r"sk_test_\w+", process.output())
        return Server(process.popen, process.log, port, found.group(0) if found else None)

    def worker(self, database_url: str, **env: str) -> Process:
        return self.start(["worker"], {"VANTIO_DATABASE_URL": database_url, **env})

    def output(self) -> str:
        return "\n".join(f"--- {p.log.name} ---\n{p.output()[-4000:]}" for p in self.started)

    def stop_all(self) -> None:
        for process in self.started:
            process.kill()


@pytest.fixture
def processes() -> Iterator[Processes]:
    with tempfile.TemporaryDirectory() as directory:
        procs = Processes(Path(directory))
        try:
            yield procs
        finally:
            procs.stop_all()


class RedisServer:
    """A Redis of the test's own on a free port, started and killed by its pid."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.popen: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        self.popen = subprocess.Popen(  # noqa: S603 - a fixed command line
            [  # noqa: S607 - redis-server from PATH, as .ci/run installs it
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), 0.2),
            ):
                return self
            time.sleep(0.02)
        raise AssertionError("redis-server did not start")

    def kill(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            os.kill(self.popen.pid, signal.SIGKILL)
            self.popen.wait(10)
        self.popen = None


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer().start()
    try:
        yield server
    finally:
        server.kill()
