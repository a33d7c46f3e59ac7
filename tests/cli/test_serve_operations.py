"""`vantio serve --workers N`, its help, and `vantio backup` (issue 12 point 8)."""

import json
import sqlite3
import stat
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from typer.testing import CliRunner

from tests.cli.test_cli import VANTIO, cli_env, free_port, run_cli
from tests.conftest import BACKEND
from vantio.cli import main as cli

runner = CliRunner()


def test_serve_help_shows_every_default() -> None:
    result = runner.invoke(cli.app, ["serve", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    help_text = result.output
    assert "VANTIO_HOST or 127.0.0.1" in help_text
    assert "VANTIO_PORT or 3000" in help_text
    assert "--workers" in help_text
    assert "[default: 1]" in help_text
    assert "a worker in each process" in help_text


def test_several_processes_on_sqlite_are_refused_with_what_to_do(tmp_path: Path) -> None:
    result = run_cli(f"sqlite+aiosqlite:///{tmp_path / 'one.db'}", "serve", "--workers", "2")
    assert result.returncode == 2
    assert "--workers 2 needs PostgreSQL" in result.stderr
    assert "VANTIO_DATABASE_URL=postgresql+asyncpg://" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "one.db").exists()  # refused before touching anything


def _counter(text: str, metric: str, **labels: str) -> float:
    total = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == metric and all(sample.labels.get(k) == v for k, v in labels.items()):
                total += sample.value
    return total


@pytest.mark.slow
@pytest.mark.skipif(BACKEND != "postgresql", reason="several processes need PostgreSQL")
def test_two_processes_serve_and_count_their_requests_together(empty_database: str) -> None:
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - our own console script
        [VANTIO, "serve", "--workers", "2", "--port", str(port)],
        env={**cli_env(empty_database), "VANTIO_LOG_FORMAT": "json"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert server.poll() is None, server.communicate()[0]
            try:
                if httpx.get(f"{base}/health", timeout=2).is_success:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.3)
        # Each request on a new connection: the two processes share the listening socket.
        for _ in range(40):
            assert httpx.get(f"{base}/health/ready", timeout=10).status_code == 200
        texts = [httpx.get(f"{base}/metrics", timeout=10).text for _ in range(4)]
    finally:
        server.terminate()
        output = server.communicate(timeout=60)[0]
    # Whichever process answered the scrape, it counted the requests of both.
    for text in texts:
        ready = _counter(text, "vantio_http_requests_total", route="/health/ready", status="200")
        assert ready == 40, text
    assert output.count("Started server process") == 2, output
    assert output.count("sk_test_") == 1, output  # one account, one key, printed once
    # VANTIO_LOG_FORMAT=json: every log line of every process is one JSON object.
    logged = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    access = [e for e in logged if e["logger"] == "vantio.access"]
    assert sum(e["route"] == "/health/ready" for e in access) == 40
    assert all(e["request_id"].startswith("req_") and e["duration_ms"] >= 0 for e in access)
    assert not [line for line in output.splitlines() if " INFO " in line], output


def _rows(path: Path) -> int:
    with sqlite3.connect(path) as db:
        count: int = db.execute("SELECT count(*) FROM api_keys").fetchone()[0]
    return count


def test_backup_copies_a_sqlite_database_online(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'live.db'}"
    assert run_cli(url, "keys", "create", "--name", "backup test").returncode == 0
    # A reader holds the database open (as a running server would) while the backup runs.
    with sqlite3.connect(tmp_path / "live.db") as reader:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM api_keys").fetchone()
        result = run_cli(url, "backup", str(tmp_path / "copy.db"))
    assert result.returncode == 0, result.stderr
    assert "Backed up" in result.stdout
    assert _rows(tmp_path / "copy.db") == _rows(tmp_path / "live.db") == 1
    with sqlite3.connect(tmp_path / "copy.db") as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    # The sealed secrets need the server's key: it goes beside the copy, readable by no one else.
    key_copy = tmp_path / "copy.db.key"
    assert key_copy.read_bytes() == (tmp_path / "live.db.key").read_bytes()
    assert stat.S_IMODE(key_copy.stat().st_mode) == 0o600
    assert "copy.db.key" in result.stdout

    again = run_cli(url, "backup", str(tmp_path / "copy.db"))
    assert again.returncode == 2
    assert "exists" in again.stderr


def test_backup_of_postgresql_says_to_use_pg_dump(tmp_path: Path) -> None:
    result = run_cli(
        "postgresql+asyncpg://vantio:secret@db.internal/vantio", "backup", str(tmp_path / "x")
    )
    assert result.returncode == 2
    assert "pg_dump --format=custom" in result.stderr
    assert "secret" not in result.stderr  # the password is never printed
    assert "Traceback" not in result.stderr
