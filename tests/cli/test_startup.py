"""Start-up as hosts and newcomers meet it: database URLs as hosts spell them, failures in a few
lines, and any number of processes started at once on one fresh database."""

import asyncio
import re
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from tests.cli.test_cli import SECRET, VANTIO, cli_env, free_port, run_cli
from tests.conftest import BACKEND, POSTGRES_URL, make_settings
from vantio.accounts.models import Account
from vantio.config import Settings, async_database_url
from vantio.runtime import Runtime


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("postgresql://u:p@db.example:5432/nc", "postgresql+asyncpg://u:p@db.example:5432/nc"),
        ("postgres://u@db.example/nc", "postgresql+asyncpg://u@db.example/nc"),
        ("POSTGRES://u@h/nc", "postgresql+asyncpg://u@h/nc"),
        (
            "postgres://u@h/nc?sslmode=require&application_name=x",
            "postgresql+asyncpg://u@h/nc?ssl=require&application_name=x",
        ),
        ("sqlite:///./vantio.db", "sqlite+aiosqlite:///./vantio.db"),
        ("sqlite:////var/lib/vantio/v.db", "sqlite+aiosqlite:////var/lib/vantio/v.db"),
        ("postgresql+asyncpg://u@h/nc", "postgresql+asyncpg://u@h/nc"),
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite:///x.db"),
    ],
)
def test_urls_as_hosts_hand_them_out_run_on_the_async_drivers(given: str, used: str) -> None:
    assert async_database_url(given) == used
    assert Settings(database_url=given).database_url == used


def plain(url: str) -> str:
    """The URL as a host hands it out: no driver in the scheme."""
    return re.sub(r"^(postgresql|sqlite)\+\w+://", r"\1://", url)


@pytest.mark.slow
def test_a_plain_url_migrates_and_serves_commands(empty_database: str) -> None:
    upgraded = run_cli(plain(empty_database), "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    listed = run_cli(plain(empty_database), "keys", "list")
    assert listed.returncode == 0, listed.stderr


def missing_database_url(tmp_path: Path) -> tuple[str, list[str]]:
    """A database that cannot be opened, and what the message must say about it."""
    if BACKEND == "postgresql":
        return f"{POSTGRES_URL}/vantio_missing_nc", ["vantio_missing_nc does not exist", "createdb"]
    return f"sqlite:///{tmp_path / 'nowhere' / 'v.db'}", ["does not exist", "directory"]


@pytest.mark.slow
@pytest.mark.parametrize("command", [["db", "upgrade"], ["serve", "--port", "1"], ["worker"]])
def test_a_failed_start_says_what_failed_and_what_to_do_in_a_few_lines(
    tmp_path: Path, command: list[str]
) -> None:
    """Issue 12: a database that does not exist gave 723 lines of traceback."""
    url, said = missing_database_url(tmp_path)
    failed = run_cli(url, *command)
    assert failed.returncode == 1
    lines = failed.stderr.strip().splitlines()
    assert len(lines) <= 5, failed.stderr
    assert "Traceback" not in failed.stderr + failed.stdout
    for words in said:
        assert words in failed.stderr, failed.stderr
    assert "--debug" in failed.stderr
    debug = run_cli(url, *command, "--debug")
    assert debug.returncode == 1
    assert "Traceback" in debug.stderr


class Process:
    def __init__(self, database_url: str, *args: str, cwd: Path) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - our own console script
            [VANTIO, *args],
            cwd=cwd,
            env=cli_env(database_url),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.output = ""

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.terminate()
        try:
            out, _ = self.process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, _ = self.process.communicate()
        self.output += out or ""
        return self.output


def wait_ready(port: int, processes: list[Process]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        dead = [p for p in processes if not p.alive()]
        assert not dead, [p.stop() for p in dead]
        try:
            if httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=5).is_success:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"no server on port {port}: {[p.stop() for p in processes]}")


async def count_accounts(database_url: str) -> int:
    runtime = Runtime.create(make_settings(database_url))
    try:
        async with runtime.sessionmaker() as session:
            return int(await session.scalar(select(func.count()).select_from(Account)) or 0)
    finally:
        await runtime.close()


@pytest.mark.slow
def test_two_servers_and_two_workers_started_at_once_on_a_fresh_database(
    empty_database: str, tmp_path: Path
) -> None:
    """Issue 12: on a fresh PostgreSQL database one server crashed creating `alembic_version`,
    and two servers started together each made an account and printed its own key."""
    url = plain(empty_database)
    ports = [free_port(), free_port()]
    processes = [
        *(Process(url, "serve", "--no-worker", "--port", str(p), cwd=tmp_path) for p in ports),
        *(Process(url, "worker", cwd=tmp_path) for _ in range(2)),
    ]
    try:
        for port in ports:
            wait_ready(port, processes)
        assert all(p.alive() for p in processes), [p.stop() for p in processes]
        assert asyncio.run(count_accounts(empty_database)) == 1
        keys = [key for p in processes[:2] for key in SECRET.findall(p.stop())]
        assert len(keys) == 1, [p.output for p in processes]
        assert all(p.alive() for p in processes[2:]), [p.stop() for p in processes]
    finally:
        outputs = [p.stop() for p in processes]
    for process, output in zip(processes[2:], outputs[2:], strict=True):
        assert "worker started" in output, output
        assert "Traceback" not in output, output
        assert process.process.returncode == 0, output


@pytest.mark.parametrize("host", ["0.0.0.0", "::"])  # noqa: S104 - a URL is built, nothing bound
def test_an_unspecified_address_is_never_put_in_a_url(host: str) -> None:
    """Issue 12: `--host 0.0.0.0` put http://0.0.0.0:PORT/s/... in every QR code."""
    import socket

    base = Settings(host=host, port=3000).public_base_url()
    assert "0.0.0.0" not in base  # noqa: S104
    assert "[::]" not in base
    assert base == f"http://{socket.gethostname() or '127.0.0.1'}:3000"
    assert Settings(host="::1", port=3000).public_base_url() == "http://[::1]:3000"
    given = Settings(host=host, public_url="https://vantio.example.com/")
    assert given.public_base_url() == "https://vantio.example.com"
