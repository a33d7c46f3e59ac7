"""Webhook delivery: deliveries per second from one and from three `vantio worker` processes to
a local receiver that answers at once, and the delay from the commit of an event to its arrival.

Each round uses a fresh database. Throughput: N events are committed while no worker runs, then
the workers start and the rate is counted from the first to the last arrival. Delay: with one
idle worker running, events are committed one by one and each commit is timed to its arrival
(same clock: the receiver runs in this process). The baseline, measured in the same run, is the
same receiver loaded directly by one httpx client (32 concurrent POSTs of the same body): the
ceiling for any number of workers on this machine. On PostgreSQL an idle worker wakes on the
NOTIFY of the committing transaction; on SQLite the commit touches a file beside the database
that idle workers of other processes stat every `VANTIO_WORKER_SIGNAL_CHECK_SECONDS` (0.02 s),
while the worker inside `vantio serve` wakes at once.

    .venv/bin/python bench/webhooks.py                      # PostgreSQL, 2000 events
    .venv/bin/python bench/webhooks.py --backend sqlite --events 1000

PostgreSQL at VANTIO_BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432); a fresh
database is created and dropped per round.
"""

import argparse
import asyncio
import contextlib
import itertools
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import uvicorn

from vantio.auth.context import AuthContext
from vantio.config import Settings
from vantio.db.migrate import upgrade
from vantio.db.session import transaction
from vantio.events import service as event_service
from vantio.runtime import Runtime
from vantio.webhooks import service as webhook_service
from vantio.webhooks.schemas import WebhookEndpointCreate

sys.path.insert(0, str(Path(__file__).resolve().parent))
from summary import line, percentile

GOAL_MS = 100.0  # commit to delivery, p50 (issue 13)
POSTGRES_URL = os.environ.get("VANTIO_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")
AUTH = AuthContext(account_id="acct_bench", livemode=False, api_key_id="")


class Receiver:
    """Answers 200 at once and notes when each webhook-id arrived."""

    def __init__(self) -> None:
        self.arrivals: dict[str, float] = {}
        self.count = 0
        self.port = 0
        self.server: uvicorn.Server | None = None
        self.task: asyncio.Task[None] | None = None

    async def app(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        while (await receive()).get("more_body"):
            pass
        for key, value in scope["headers"]:
            if key == b"webhook-id":
                self.arrivals.setdefault(value.decode(), time.monotonic())
        self.count += 1
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    async def start(self) -> None:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app, log_level="warning", lifespan="off", interface="asgi3", access_log=False
        )
        self.server = uvicorn.Server(config)
        self.server.capture_signals = contextlib.nullcontext  # type: ignore[assignment,method-assign]
        self.task = asyncio.create_task(self.server.serve(sockets=[sock]))
        while not self.server.started:
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        assert self.server is not None
        assert self.task is not None
        self.server.should_exit = True
        await self.task


@contextlib.asynccontextmanager
async def fresh_database(backend: str) -> AsyncIterator[str]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as directory:
            url = f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}"
            await asyncio.to_thread(upgrade, Settings(database_url=url))
            yield url
        return
    name = f"vantio_bench_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(f"{POSTGRES_URL}/postgres")
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = f"{POSTGRES_URL.replace('postgresql://', 'postgresql+asyncpg://')}/{name}"
    try:
        await asyncio.to_thread(upgrade, Settings(database_url=url))
        yield url
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def start_workers(url: str, count: int) -> list[subprocess.Popen[bytes]]:
    env = {**os.environ, "VANTIO_DATABASE_URL": url, "VANTIO_WEBHOOK_ALLOW_PRIVATE": "1"}
    return [
        subprocess.Popen(
            [sys.executable, "-m", "vantio.cli.main", "worker"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(count)
    ]


def stop_workers(workers: list[subprocess.Popen[bytes]]) -> None:
    for worker in workers:
        worker.terminate()
    for worker in workers:
        worker.wait(30)


async def setup(url: str, receiver: Receiver) -> Runtime:
    runtime = Runtime.create(Settings(database_url=url, webhook_allow_private=True))
    async with transaction(runtime.sessionmaker) as session:
        await webhook_service.create_endpoint(
            session,
            AUTH,
            settings=runtime.settings,
            data=WebhookEndpointCreate(url=f"http://127.0.0.1:{receiver.port}/hook", events=["*"]),
        )
    return runtime


async def record(runtime: Runtime, count: int, batch: int = 200) -> list[str]:
    ids = []
    for start in range(0, count, batch):
        async with transaction(runtime.sessionmaker) as session:
            for i in range(start, min(start + batch, count)):
                event_id = await event_service.record(
                    session, AUTH, type="referral.created", data={"id": f"ref_{i}", "n": i}
                )
                ids.append(event_id)
    return ids


async def wait_until(condition: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError
        await asyncio.sleep(0.01)


async def throughput(backend: str, workers: int, events: int) -> tuple[float, float]:
    receiver = Receiver()
    await receiver.start()
    async with fresh_database(backend) as url:
        runtime = await setup(url, receiver)
        ids = await record(runtime, events)
        procs = start_workers(url, workers)
        try:
            await wait_until(lambda: len(receiver.arrivals) >= len(ids), 600)
        finally:
            stop_workers(procs)
            await runtime.close()
    await receiver.stop()
    times = sorted(receiver.arrivals.values())
    gaps = [(b - a) * 1000 for a, b in itertools.pairwise(times)]
    return (len(times) - 1) / (times[-1] - times[0]), percentile(gaps, 99)


async def delay(backend: str, events: int) -> tuple[float, float]:
    receiver = Receiver()
    await receiver.start()
    async with fresh_database(backend) as url:
        runtime = await setup(url, receiver)
        procs = start_workers(url, 1)
        try:
            warm = await record(runtime, 1)
            await wait_until(lambda: warm[0] in receiver.arrivals, 60)
            delays = []
            for _ in range(events):
                (event_id,) = await record(runtime, 1)
                committed = time.monotonic()
                await wait_until(lambda e=event_id: e in receiver.arrivals, 30)
                delays.append(receiver.arrivals[event_id] - committed)
                # a random gap, so commits do not fall in step with a polling worker's rounds
                await asyncio.sleep(random.uniform(0.01, 0.6))
        finally:
            stop_workers(procs)
            await runtime.close()
    await receiver.stop()
    cuts = statistics.quantiles(delays, n=100)
    return cuts[49] * 1000, cuts[98] * 1000


async def baseline(requests: int) -> float:
    receiver = Receiver()
    await receiver.start()
    body = b'{"id":"evt_x","type":"referral.created","data":{}}'
    url = f"http://127.0.0.1:{receiver.port}/hook"
    async with httpx.AsyncClient() as client:
        counter = iter(range(requests))

        async def lane() -> None:
            for i in counter:
                await client.post(url, content=body, headers={"webhook-id": f"b{i}"})

        started = time.monotonic()
        await asyncio.gather(*[lane() for _ in range(32)])
        elapsed = time.monotonic() - started
    await receiver.stop()
    return requests / elapsed


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--latency-events", type=int, default=100)
    args = parser.parse_args()
    print(f"backend {args.backend}, {args.events} events per throughput round")
    ceiling = await baseline(args.events)
    print(f"baseline: one httpx client, 32 concurrent POSTs: {ceiling:8.0f} requests/s")
    summaries = []
    for workers in (1, 3):
        rate, gap_p99 = await throughput(args.backend, workers, args.events)
        print(
            f"{workers} worker process{'es' if workers > 1 else '  '}: {rate:8.0f} deliveries/s"
            f"  ({rate / ceiling:.2f}x baseline)"
        )
        # p99 here: of the gaps between consecutive arrivals.
        summaries.append(line(args.backend, f"delivery {workers} worker", rate / ceiling, gap_p99))
    p50, p99 = await delay(args.backend, args.latency_events)
    print(f"commit to delivery, one idle worker: p50 {p50:.0f} ms, p99 {p99:.0f} ms")
    # A latency without a same-run baseline: the ratio is the goal (p50 100 ms) over the p50.
    summaries.append(line(args.backend, "commit-to-delivery", GOAL_MS / p50, p99))
    print("\n".join(summaries))


if __name__ == "__main__":
    asyncio.run(main())
