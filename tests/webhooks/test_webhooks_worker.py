"""Deliveries by a running worker in real time: retries keep the (compressed) schedule, and a
receiver that hangs does not hold up the deliveries to other endpoints."""

import asyncio
import itertools
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.conftest import make_settings
from tests.helpers import Tenant
from tests.webhook_receiver import Receiver
from tests.webhooks.test_webhooks import make_endpoint, record_event
from vantio.composition import create_runtime
from vantio.config import Settings
from vantio.runtime import Runtime
from vantio.webhooks.dispatch import DELIVER
from vantio.worker.runner import Worker

SCHEDULE = [0.4, 0.8, 1.2]


@pytest.fixture
async def worker_runtime(database_url: str) -> AsyncIterator[Runtime]:
    runtime = create_runtime(
        make_settings(
            database_url,
            webhook_retry_schedule=SCHEDULE,
            webhook_timeout_seconds=1.0,
            webhook_endpoint_concurrency=2,
            worker_poll_seconds=0.05,
            worker_concurrency=8,
        )
    )
    yield runtime
    await runtime.close()


@pytest.fixture
async def worker(worker_runtime: Runtime) -> AsyncIterator[Worker]:
    worker = Worker(worker_runtime, names={DELIVER}, periodic=False)
    task = asyncio.create_task(worker.run())
    yield worker
    worker.stop()
    await asyncio.wait_for(task, 15)


def test_defaults_are_those_of_api_md() -> None:
    settings = Settings()
    assert settings.webhook_timeout_seconds == 10
    assert settings.webhook_retry_schedule == [5, 300, 1800, 7200, 18000, 36000, 36000]
    assert settings.webhook_disable_after_seconds == 5 * 24 * 3600
    assert settings.webhook_secret_overlap_seconds == 24 * 3600


async def test_receiver_failing_n_times_gets_it_on_attempt_n_plus_1_on_schedule(
    tenant: Tenant, runtime: Runtime, receiver: Receiver, worker: Worker
) -> None:
    receiver.plan("/hook", (500, 0.0), (429, 0.0), (503, 0.0))
    await make_endpoint(tenant.test, receiver.url())
    event_id = await record_event(runtime, tenant, "referral.created", {"id": "ref_1"})
    await receiver.wait_for(4, timeout=15)
    await asyncio.sleep(0.2)
    assert [r.status for r in receiver.requests] == [500, 429, 503, 200]
    starts = [r.started for r in receiver.requests]
    for (before, after), delay in zip(itertools.pairwise(starts), SCHEDULE, strict=True):
        assert after - before >= delay - 0.05, "a retry came before its scheduled delay"
        assert after - before < delay + 3, "a retry came far too late"
    event: dict[str, Any] = await tenant.test.ok("GET", f"/api/v1/events/{event_id}")
    attempts = event["delivery_attempts"]
    assert [(a["attempt"], a["succeeded"]) for a in attempts] == [
        (1, False),
        (2, False),
        (3, False),
        (4, True),
    ]


async def test_hanging_receiver_does_not_hold_up_other_endpoints(
    tenant: Tenant, runtime: Runtime, receiver: Receiver, worker: Worker
) -> None:
    receiver.plan("/hang", *[(200, 30.0)] * 100)
    await make_endpoint(tenant.test, receiver.url("/hang"))
    await make_endpoint(tenant.test, receiver.url("/fast"))
    loop = asyncio.get_running_loop()
    started = loop.time()
    event_ids = [
        await record_event(runtime, tenant, "referral.created", {"id": f"ref_{i}"})
        for i in range(12)
    ]
    await receiver.wait_for(12, path="/fast", timeout=10)
    fast_done = loop.time() - started
    # twelve hanging deliveries at a 1 s timeout would take 12 s one after the other
    assert fast_done < 8, f"the fast endpoint waited {fast_done:.1f} s behind the hanging one"
    assert {r.headers["webhook-id"] for r in receiver.on("/fast")} == set(event_ids)
    hung: list[dict[str, Any]] = []
    for _ in range(100):  # the hanging endpoint's attempts end at its 1 s timeout
        events = await tenant.test.ok("GET", "/api/v1/events")
        hung = [a for e in events["events"] for a in e["delivery_attempts"] if not a["succeeded"]]
        if hung:
            break
        await asyncio.sleep(0.1)
    assert hung, "no attempt to the hanging endpoint was recorded"
    assert hung[0]["error"].startswith("timeout")
    assert 900 <= hung[0]["duration_ms"] < 5000
