"""SIGKILL a real `vantio serve` in the middle of a burst of writes, start it again, and check the
invariants that a half-done request must never break: no earning without its referral, no earning
in two live payouts, no voucher used past its limit, no event without its row (every `*.created`
event's object exists), no delivery job without its event. Then the restarted server works."""

import asyncio
import itertools
import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from tests.faults.harness import Processes, fresh_database, until
from tests.webhook_receiver import Receiver
from vantio.config import Settings
from vantio.runtime import Runtime

pytestmark = pytest.mark.slow

ENV = {"VANTIO_WEBHOOK_ALLOW_PRIVATE": "1", "VANTIO_RATE_LIMIT_ENABLED": "false"}
MAX_USES = 5  # the SQL below says 5 too
CREATED_TABLES = {
    "referral.created": "referrals",
    "earning.created": "earnings",
    "payout.created": "payouts",
    "voucher.created": "vouchers",
    "impression.created": "impressions",
}


async def _burst(
    client: httpx.AsyncClient, setup: dict[str, Any], stop: asyncio.Event, done: list[int]
) -> None:
    """Writers in parallel until `stop` (or until the server dies under them); `done[0]` counts
    the writes answered."""
    counter = itertools.count()

    async def one_funnel() -> None:
        n = next(counter)
        impression = (
            await client.post("/api/v1/impressions", json={"poster_id": setup["poster"]})
        ).json()
        referral = (
            await client.post(
                "/api/v1/referrals",
                json={"impression_id": impression["id"], "first_name": "R", "last_name": f"{n}",
                      "email": f"r{n}@example.com"},
            )
        ).json()  # fmt: skip
        await client.post("/api/v1/earnings", json={"referral_id": referral["id"], "amount": 100})

    async def one_payout() -> None:
        await client.post(
            "/api/v1/payouts", json={"program_id": setup["program"], "student_id": setup["user"]}
        )

    async def one_redemption() -> None:
        await client.post(
            "/v1/vouchers/apply", json={"code": setup["code"], "order_id": f"o{next(counter)}"}
        )

    writers: list[Callable[[], Awaitable[None]]] = [
        one_funnel,
        one_funnel,
        one_payout,
        one_redemption,
    ]

    async def loop(write: Callable[[], Awaitable[None]]) -> None:
        while not stop.is_set():
            try:
                await write()
                done[0] += 1
            except (httpx.HTTPError, KeyError, ValueError):
                await asyncio.sleep(0.05)  # the server is gone (or said no): try again

    await asyncio.gather(*(loop(w) for w in writers * 4))


async def _check_invariants(url: str) -> None:
    runtime = Runtime.create(Settings(database_url=url))
    try:
        async with runtime.engine.connect() as db:

            async def rows(sql: str) -> list[Any]:
                return list((await db.execute(text(sql))).all())

            assert (
                await rows(
                    "SELECT e.id FROM earnings e LEFT JOIN referrals r ON r.id = e.referral_id "
                    "WHERE r.id IS NULL"
                )
                == []
            )
            assert (
                await rows(
                    "SELECT earning_id FROM payout_earnings WHERE active GROUP BY earning_id "
                    "HAVING count(*) > 1"
                )
                == []
            )
            assert (
                await rows(
                    "SELECT id FROM vouchers WHERE max_uses IS NOT NULL AND usage_count > max_uses"
                )
                == []
            )
            assert (
                await rows(
                    "SELECT a.voucher_id FROM voucher_applications a WHERE a.status = 'applied' "
                    "GROUP BY a.voucher_id HAVING count(*) > 5"
                )
                == []
            )
            events = await rows("SELECT id, type, data FROM events")
            missing = []
            for event_id, kind, data in events:
                table = CREATED_TABLES.get(kind)
                payload = data if isinstance(data, dict) else json.loads(data)
                if table is not None:
                    found = await db.scalar(
                        text(f"SELECT count(*) FROM {table} WHERE id = :id"),  # noqa: S608
                        {"id": payload["id"]},
                    )
                    if not found:
                        missing.append((event_id, kind))
            assert missing == []
            event_ids = {event_id for event_id, _, _ in events}
            jobs = await rows("SELECT payload FROM jobs WHERE name = 'webhooks.deliver'")
            payloads = [p if isinstance(p, dict) else json.loads(p) for (p,) in jobs]
            assert [p for p in payloads if p["event_id"] not in event_ids] == []
            print(f"{len(events)} events checked")
    finally:
        await runtime.close()


async def test_sigkill_during_a_burst_of_writes_breaks_no_invariant(
    processes: Processes, receiver: Receiver
) -> None:
    async with fresh_database() as url:
        server = await processes.serve(url, **ENV)
        headers = {"Authorization": f"Bearer {server.key}"}
        async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=10) as client:

            async def ok(path: str, body: dict[str, Any]) -> Any:
                response = await client.post(path, json=body)
                assert response.status_code == 200, response.text
                return response.json()

            await ok("/api/v1/webhook_endpoints", {"url": receiver.url(), "events": ["*"]})
            program = await ok("/api/v1/programs", {"name": "P", "landing_url": "https://e.com"})
            user = await ok("/api/v1/users", {"program_id": program["id"], "first_name": "A",
                                              "last_name": "B", "email": "a@example.com"})  # fmt: skip
            poster = await ok("/api/v1/posters", {"program_id": program["id"],
                                                  "student_id": user["id"], "location": "Hall"})  # fmt: skip
            voucher = await ok("/v1/vouchers", {"code": "LIMITED5", "type": "percentage",
                                                "value": 10, "conditions": {"max_uses": MAX_USES}})  # fmt: skip
            setup = {"program": program["id"], "user": user["id"], "poster": poster["id"],
                     "code": voucher["code"]}  # fmt: skip
            stop = asyncio.Event()
            done = [0]
            burst = asyncio.create_task(_burst(client, setup, stop, done))
            await until(lambda: done[0] >= 20, 60, "the burst to be under way")
            server.kill()  # mid-burst: requests in flight, transactions open
            await asyncio.sleep(0.5)
            stop.set()
            await burst
        await _check_invariants(url)
        restarted = await processes.serve(url, port=server.port, **ENV)
        async with httpx.AsyncClient(base_url=restarted.url, headers=headers) as client:
            after = await client.post(
                "/api/v1/programs", json={"name": "Q", "landing_url": "https://e.com"}
            )
            assert after.status_code == 200, after.text
        processes.stop_all()
        await _check_invariants(url)
