"""PostgreSQL refuses connections for 4 s (ALLOW_CONNECTIONS false, its backends terminated):
a real `vantio serve` (with its in-process worker) and a standalone `vantio worker` live through
it. During the outage the API answers 503 in each surface's shape, the dashboard and the scan
answer pages; afterwards webhook deliveries, periodic jobs and exports resume within 10 s, and
each process's log says "lost" once and "recovered" once, not a line per failure. No log line
carries the API key (but the banner that prints it on first start), a `whsec_` secret or a
password."""

import re
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest

from tests.conftest import BACKEND, POSTGRES_URL
from tests.faults.harness import Processes, database_name, database_outage, fresh_postgres, until
from tests.webhook_receiver import Receiver

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(BACKEND != "postgresql", reason="the outage is PostgreSQL's (CI runs it)"),
]

ENV = {
    "VANTIO_WEBHOOK_ALLOW_PRIVATE": "1",
    "VANTIO_WORKER_POLL_SECONDS": "0.2",
    "VANTIO_RATE_LIMIT_ENABLED": "false",
}
PASSWORD = "correct-horse-battery-staple-42"


@pytest.fixture
async def database() -> AsyncIterator[str]:
    async with fresh_postgres("vantio_outage") as url:
        yield url


async def _sql(url: str, query: str, *args: Any) -> Any:
    connection = await asyncpg.connect(f"{POSTGRES_URL}/{database_name(url)}")
    try:
        return await connection.fetchval(query, *args)
    finally:
        await connection.close()


def _lines(output: str, pattern: str) -> list[str]:
    return [line for line in output.splitlines() if re.search(pattern, line)]


async def test_serve_and_worker_live_through_a_database_outage(
    database: str, receiver: Receiver, processes: Processes
) -> None:
    server = await processes.serve(database, **ENV)
    worker = processes.worker(database, **ENV)
    assert server.key is not None
    headers = {"Authorization": f"Bearer {server.key}"}
    async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=30) as client:

        async def ok(method: str, path: str, body: dict[str, Any] | None = None) -> Any:
            response = await client.request(method, path, json=body)
            assert response.status_code == 200, response.text
            return response.json()

        await ok("POST", "/api/v1/webhook_endpoints", {"url": receiver.url(), "events": ["*"]})
        voucher = await ok(
            "POST", "/v1/vouchers", {"code": "OUTAGE10", "type": "percentage", "value": 10}
        )
        await until(lambda: receiver.requests, 15, "the first delivery")
        await until(lambda: "worker started" in worker.output(), 15, "the worker")

        async with database_outage(database, seconds=4):
            await until(
                lambda: "database" in server.output() and "lost" in server.output(), 10, "a loss"
            )
            refused = await client.post(
                "/api/v1/webhook_endpoints", json={"url": receiver.url(), "events": ["*"]}
            )
            assert refused.status_code == 503, refused.text
            assert refused.json()["code"] == "service_unavailable"
            assert refused.json()["error"] == "Service Unavailable"
            assert refused.headers["Retry-After"]
            assert refused.headers["X-Request-Id"]
            vouchers = await client.post(
                "/v1/vouchers", json={"code": "OUTAGE5", "type": "percentage", "value": 5}
            )
            assert vouchers.status_code == 503
            assert vouchers.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
            # Refused for its missing CSRF token before the database; its password is not logged.
            await client.post(
                "/dashboard/signin", data={"email": "a@example.com", "password": PASSWORD}
            )
            client.cookies.set("vantio_session", "some-session")
            page = await client.get("/dashboard/")
            assert page.status_code == 503
            assert page.headers["content-type"].startswith("text/html")
            assert "Please try again" in page.text
            scan = await client.get("/s/abcdef")
            assert scan.status_code == 503
            assert scan.headers["content-type"].startswith("text/html")

        # Everything the worker does resumes: a delivery, an export, a periodic job.
        before = len(receiver.requests)
        await ok("POST", "/v1/vouchers", {"code": "AFTER10", "type": "percentage", "value": 10})
        waited = await until(
            lambda: len(receiver.requests) > before, 10, "a delivery after it", processes.output
        )
        export = await ok(
            "POST",
            "/v1/analytics/export",
            {
                "voucher_ids": [voucher["id"]],
                "metrics": ["uses"],
                "format": "csv",
                "time_period": {"start": "2026-03-01", "end": "2026-03-10"},
            },
        )

        async def exported() -> bool:
            answer = await ok("GET", f"/v1/analytics/export/{export['export_id']}")
            return bool(answer["status"] == "completed")

        await until(exported, 10, "the export", processes.output)
        # Due now, as if never run: the worker must schedule it and run it.
        await _sql(
            database,
            "UPDATE periodic_schedules SET next_due_at = now() - interval '1 second', "
            "last_due_at = NULL WHERE name = 'vouchers.expire'",
        )

        async def periodic_ran() -> bool:
            last = await _sql(
                database,
                "SELECT last_due_at FROM periodic_schedules WHERE name = 'vouchers.expire'",
            )
            queued = await _sql(
                database, "SELECT count(*) FROM jobs WHERE name = 'vouchers.expire'"
            )
            return bool(last is not None and queued == 0)

        await until(periodic_ran, 10, "the periodic voucher expiry", processes.output)
    print(f"first delivery {waited:.2f} s after the outage")

    worker_tracker = r"worker \S+: database"
    # The standalone worker too is back at work (its back-off may end a little later).
    await until(
        lambda: _lines(worker.output(), f"{worker_tracker} recovered"),
        10,
        "the standalone worker's recovery",
        processes.output,
    )
    for process, trackers in (
        (server, (worker_tracker, r"database \(requests\)")),
        (worker, (worker_tracker,)),
    ):
        output = process.output()
        for tracker in trackers:
            assert len(_lines(output, f"{tracker} lost")) == 1, output
            assert len(_lines(output, f"{tracker} recovered")) == 1, output
        # The scans' own line (no scan was recorded after the outage, so no "recovered").
        assert len(_lines(output, r"database \(scans\) lost")) <= 1, output
        assert "Traceback" not in output
        assert "whsec_" not in output
        assert PASSWORD not in output
    assert server.output().count(server.key) == 1  # the first start's banner, nothing else
