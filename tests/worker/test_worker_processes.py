"""Worker processes against one database: no job runs twice at once, a SIGKILL loses nothing,
SIGTERM drains, and `vantio serve` delivers webhooks by itself.

These start real `vantio worker` / `vantio serve` processes and a real HTTP receiver on 127.0.0.1.
The three-worker test always runs on a fresh PostgreSQL database of its own (SKIP LOCKED is what
it proves), whichever database the rest of the suite uses; the others use the suite's backend.
"""

import asyncio
import itertools
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from standardwebhooks.webhooks import Webhook

from tests.conftest import BACKEND
from tests.faults.harness import fresh_postgres
from tests.webhook_receiver import Received, Receiver
from vantio.auth.context import AuthContext
from vantio.config import Settings
from vantio.db.migrate import upgrade
from vantio.db.session import transaction
from vantio.events import service as event_service
from vantio.runtime import Runtime
from vantio.webhooks import service as webhook_service
from vantio.webhooks.models import WebhookAttempt
from vantio.webhooks.schemas import WebhookEndpointCreate
from vantio.worker.models import Job

pytestmark = pytest.mark.slow  # real worker and server processes

AUTH = AuthContext(account_id="acct_workers", livemode=False, api_key_id="")
WORKER_ENV = {
    "VANTIO_WEBHOOK_ALLOW_PRIVATE": "1",
    "VANTIO_WORKER_POLL_SECONDS": "0.1",
    # Long enough that only a stall of more than 5/6 of it (no heartbeat) loses a job.
    "VANTIO_WORKER_LEASE_SECONDS": "10",
    "VANTIO_WORKER_CONCURRENCY": "16",
    "VANTIO_WEBHOOK_RETRY_SCHEDULE": "[0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]",
}


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    async with fresh_postgres("vantio_workers") as url:
        yield url


@pytest.fixture
async def suite_backend_url() -> AsyncIterator[str]:
    """A fresh database of the suite's backend (a file for SQLite: shared by processes)."""
    if BACKEND == "postgresql":
        async with fresh_postgres("vantio_workers") as url:
            yield url
        return
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite+aiosqlite:///{Path(directory) / 'workers.db'}"
        await asyncio.to_thread(upgrade, Settings(database_url=url))
        yield url


class Processes:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = open(self.directory / f"proc{len(self.started)}.log", "wb")  # noqa: SIM115
        process = subprocess.Popen(  # noqa: S603 - our own command line
            [sys.executable, "-m", "vantio.cli.main", *args],
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.started.append(process)
        return process

    def worker(self, database_url: str, **env: str) -> subprocess.Popen[bytes]:
        return self.start(["worker"], {**WORKER_ENV, "VANTIO_DATABASE_URL": database_url, **env})

    def logs(self) -> str:
        lines = [
            line
            for path in sorted(self.directory.glob("*.log"))
            for line in path.read_text(errors="replace").splitlines()
            if "httpx" not in line
        ]
        return "\n".join(lines[-200:])

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.kill()
                process.wait(10)


@pytest.fixture
def processes() -> Iterator[Processes]:
    with tempfile.TemporaryDirectory() as directory:
        procs = Processes(Path(directory))
        try:
            yield procs
        finally:
            procs.stop_all()


async def _setup(url: str, receiver_url: str, path: str = "/hook") -> tuple[Runtime, str]:
    runtime = Runtime.create(Settings(database_url=url, webhook_allow_private=True))
    async with transaction(runtime.sessionmaker) as session:
        endpoint = await webhook_service.create_endpoint(
            session,
            AUTH,
            settings=runtime.settings,
            data=WebhookEndpointCreate(url=receiver_url, events=["*"]),
        )
    return runtime, endpoint.secret


async def _record_events(runtime: Runtime, count: int, *, batch: int = 50) -> list[str]:
    ids: list[str] = []
    for start in range(0, count, batch):
        async with transaction(runtime.sessionmaker) as session:
            for i in range(start, min(start + batch, count)):
                event_id = await event_service.record(
                    session, AUTH, type="referral.created", data={"id": f"ref_{i}", "n": i}
                )
                ids.append(event_id)
    return ids


async def _jobs_left(runtime: Runtime) -> int:
    async with transaction(runtime.sessionmaker) as session:
        return int(await session.scalar(select(func.count()).select_from(Job)) or 0)


async def _until_no_jobs(runtime: Runtime, timeout: float = 20) -> None:
    """Wait until every job's transaction (the attempt it records) has committed."""
    deadline = time.monotonic() + timeout
    while await _jobs_left(runtime) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)


async def _until(
    condition: Callable[[], bool], timeout: float, what: str, procs: Processes
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}\n--- worker logs ---\n{procs.logs()}")


def _delivered_ids(receiver: Receiver) -> set[str]:
    return {r.headers["webhook-id"] for r in receiver.requests}


def _assert_no_concurrent_duplicates(requests: list[Received]) -> None:
    by_event: dict[str, list[Received]] = defaultdict(list)
    for request in requests:
        by_event[request.headers["webhook-id"]].append(request)
    for event_id, deliveries in by_event.items():
        spans = sorted((r.started, r.finished) for r in deliveries)
        for (_, end), (next_start, _) in itertools.pairwise(spans):
            assert next_start >= end, f"{event_id} was delivered twice at the same time"


async def test_three_workers_on_postgresql_deliver_500_events_never_twice_at_once(
    postgres_url: str, receiver: Receiver, processes: Processes
) -> None:
    receiver.default = (200, 0.01)  # long enough for an overlap to show if there were one
    runtime, secret = await _setup(postgres_url, receiver.url())
    try:
        for _ in range(3):
            processes.worker(postgres_url)
        event_ids = await _record_events(runtime, 500)
        await _until(
            lambda: _delivered_ids(receiver) >= set(event_ids), 60, "500 deliveries", processes
        )
        _assert_no_concurrent_duplicates(receiver.requests)
        for request in receiver.requests[:: max(1, len(receiver.requests) // 20)]:
            Webhook(secret).verify(request.body.decode(), request.headers)
        await _until_no_jobs(runtime)
        assert await _jobs_left(runtime) == 0
        async with transaction(runtime.sessionmaker) as session:
            attempts = (await session.scalars(select(WebhookAttempt))).all()
        # Every event has its successful attempt on record; a delivery may be repeated (at least
        # once, never at the same time), and then the receiver saw more than was recorded.
        succeeded = [a for a in attempts if a.succeeded]
        assert {a.event_id for a in succeeded} == set(event_ids)
        assert len(succeeded) <= sum(r.status == 200 for r in receiver.requests), processes.logs()
        # An attempt can also fail on the way and be retried: under load, the receiver closes an
        # idle kept-alive connection just as a worker reuses it ("Server disconnected without
        # sending a response"). Such an attempt is recorded but never reached the receiver's
        # handler, so counting every attempt against the requests received ("501 recorded
        # attempts <= 500 received") failed now and then, with no delivery made twice. What
        # failed on the way has no status: it was not an answer the receiver gave.
        assert all(a.status_code is None and a.error for a in attempts if not a.succeeded)
    finally:
        await runtime.close()


async def test_an_idle_worker_of_another_process_wakes_when_jobs_commit(
    suite_backend_url: str, receiver: Receiver, processes: Processes
) -> None:
    """Issue 13 point 5: on SQLite a worker of another process found a committed job only at its
    next poll (0.5 s by default). It now wakes when the commit happens (PostgreSQL: NOTIFY;
    SQLite: the signal file). Its poll here is an hour: only a wake-up delivers in time."""
    url = suite_backend_url
    runtime, _secret = await _setup(url, receiver.url())
    try:
        processes.worker(url, VANTIO_WORKER_POLL_SECONDS="3600")
        (first,) = await _record_events(runtime, 1)  # found by the worker's first claim
        await _until(lambda: first in _delivered_ids(receiver), 30, "the first event", processes)
        (second,) = await _record_events(runtime, 1)  # committed while the worker is idle
        await _until(lambda: second in _delivered_ids(receiver), 30, "a wake-up", processes)
    finally:
        await runtime.close()


async def test_sigkill_mid_delivery_loses_nothing(
    suite_backend_url: str, receiver: Receiver, processes: Processes
) -> None:
    receiver.default = (200, 0.15)
    url = suite_backend_url
    runtime, _secret = await _setup(url, receiver.url())
    try:
        victim = processes.worker(url, VANTIO_WORKER_LEASE_SECONDS="3")
        event_ids = await _record_events(runtime, 120)
        await _until(lambda: len(receiver.requests) >= 10, 30, "first deliveries", processes)
        await _until(lambda: receiver.in_flight > 0, 10, "a delivery in flight", processes)
        victim.send_signal(signal.SIGKILL)
        victim.wait(10)
        delivered_before = len(_delivered_ids(receiver))
        assert delivered_before < len(event_ids)  # killed in the middle of the work
        processes.worker(url, VANTIO_WORKER_LEASE_SECONDS="3")
        await _until(
            lambda: _delivered_ids(receiver) >= set(event_ids), 60, "every event", processes
        )
        _assert_no_concurrent_duplicates(receiver.requests)
        await _until_no_jobs(runtime)
        assert await _jobs_left(runtime) == 0
    finally:
        await runtime.close()


async def test_sigterm_lets_running_deliveries_finish(
    suite_backend_url: str, receiver: Receiver, processes: Processes
) -> None:
    receiver.default = (200, 1.5)
    url = suite_backend_url
    runtime, _secret = await _setup(url, receiver.url())
    try:
        worker = processes.worker(url)
        await _record_events(runtime, 3)
        await _until(lambda: receiver.in_flight == 3, 30, "three deliveries in flight", processes)
        worker.send_signal(signal.SIGTERM)
        await _record_events(runtime, 2)  # committed after SIGTERM: left for the next worker
        code = await asyncio.to_thread(worker.wait, 20)
        assert code == 0, processes.logs()
        assert len(receiver.requests) == 3
        assert all(r.status == 200 for r in receiver.requests)
        async with transaction(runtime.sessionmaker) as session:
            attempts = (await session.scalars(select(WebhookAttempt))).all()
            left = (await session.scalars(select(Job))).all()
        assert sorted(a.succeeded for a in attempts) == [True, True, True]
        assert len(left) == 2
        assert all(job.locked_by is None or job.attempts == 0 for job in left)
    finally:
        await runtime.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _serve_and_send_one_event(
    processes: Processes, receiver: Receiver, directory: str, extra: list[str]
) -> int:
    """Start `vantio serve`, register an endpoint and cause one event through the API."""
    port = _free_port()
    db = Path(directory) / f"serve{port}.db"
    process = processes.start(
        ["serve", "--port", str(port), *extra],
        {
            "VANTIO_DATABASE_URL": f"sqlite+aiosqlite:///{db}",
            "VANTIO_WEBHOOK_ALLOW_PRIVATE": "1",
            "VANTIO_WORKER_POLL_SECONDS": "0.1",
        },
    )
    log_path = processes.directory / f"proc{len(processes.started) - 1}.log"
    key: list[str] = []

    def key_printed() -> bool:
        found = re.search(r"sk_test_\w+", log_path.read_text(errors="replace"))
        if found and "Uvicorn running" in log_path.read_text(errors="replace"):
            key.append(found.group(0))
            return True
        return process.poll() is not None

    await _until(key_printed, 30, "vantio serve to start", processes)
    assert key, processes.logs()
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {key[0]}"}
    async with httpx.AsyncClient(base_url=base, headers=headers) as client:

        async def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
            response = await client.post(path, json=body)
            assert response.status_code == 200, response.text
            result: dict[str, Any] = response.json()
            return result

        await post("/api/v1/webhook_endpoints", {"url": receiver.url(), "events": ["*"]})
        program = await post(
            "/api/v1/programs", {"name": "P", "landing_url": "https://example.com"}
        )
        user = await post(
            "/api/v1/users",
            {
                "program_id": program["id"],
                "first_name": "A",
                "last_name": "B",
                "email": "a@example.com",
            },
        )
        poster = await post(
            "/api/v1/posters",
            {"program_id": program["id"], "student_id": user["id"], "location": "Hall"},
        )
        impression = await post("/api/v1/impressions", {"poster_id": poster["id"]})
        await post(
            "/api/v1/referrals",
            {
                "impression_id": impression["id"],
                "first_name": "C",
                "last_name": "D",
                "email": "c@example.com",
            },
        )
    return port


async def test_serve_runs_a_worker_unless_told_not_to(
    receiver: Receiver, processes: Processes
) -> None:
    with tempfile.TemporaryDirectory() as directory:
        await _serve_and_send_one_event(processes, receiver, directory, [])
        await receiver.wait_for(1, timeout=15)
        (received,) = receiver.requests
        assert json.loads(received.body)["type"] == "referral.created"

        receiver.requests.clear()
        await _serve_and_send_one_event(processes, receiver, directory, ["--no-worker"])
        await asyncio.sleep(1.5)
        assert receiver.requests == []
