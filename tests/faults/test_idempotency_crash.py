"""A crashed process's idempotency reservations are taken over within seconds.

A real `vantio serve` is SIGKILLed while a POST with an Idempotency-Key runs (it waits on a table
lock the test holds: no test hook in the server); a new server is started, and the client's
retry with the same key runs the request exactly once, as soon as the dead request's lease ends.
"""

import asyncio
import time
from typing import Any

import asyncpg
import httpx
import pytest

from tests.conftest import BACKEND, POSTGRES_URL
from tests.faults.harness import Processes, database_name, fresh_postgres, until

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(BACKEND != "postgresql", reason="a PostgreSQL lock makes the request wait"),
]


async def test_sigkill_mid_request_then_retry_runs_once(processes: Processes) -> None:
    async with fresh_postgres("vantio_idem") as url:
        # The default lease (10 s) and wait (10 s): the retry is answered, not refused with 409
        # `idempotency_key_in_flight`, only if the dead request's lease ends within seconds.
        server = await processes.serve(url)
        assert server.key is not None
        headers = {"Authorization": f"Bearer {server.key}", "Idempotency-Key": "crash-1"}
        body: dict[str, Any] = {"name": "Once", "landing_url": "https://example.com"}
        locker = await asyncpg.connect(f"{POSTGRES_URL}/{database_name(url)}")
        try:
            transaction = locker.transaction()
            await transaction.start()
            await locker.execute("LOCK TABLE programs IN ACCESS EXCLUSIVE MODE")
            async with httpx.AsyncClient(base_url=server.url, headers=headers) as client:
                stuck = asyncio.create_task(client.post("/api/v1/programs", json=body))

                async def waiting_on_the_lock() -> bool:
                    return bool(
                        await locker.fetchval(
                            "SELECT count(*) FROM pg_locks WHERE NOT granted "
                            "AND relation = 'programs'::regclass"
                        )
                    )

                await until(waiting_on_the_lock, 20, "the request to wait on the lock")
                server.kill()
                with pytest.raises(httpx.HTTPError):
                    await stuck
            await transaction.rollback()  # the dead request's backend then rolls back alone
            restarted = await processes.serve(url, port=server.port)
            async with httpx.AsyncClient(base_url=restarted.url, headers=headers) as client:
                started = time.monotonic()
                retried = await client.post("/api/v1/programs", json=body, timeout=30)
                waited = time.monotonic() - started
                assert retried.status_code == 200, retried.text
                replayed = await client.post("/api/v1/programs", json=body)
                assert replayed.json() == retried.json()
                assert replayed.headers["Idempotent-Replayed"] == "true"
            count = await locker.fetchval("SELECT count(*) FROM programs WHERE name = 'Once'")
            assert count == 1
        finally:
            await locker.close()
            processes.stop_all()
    print(f"the retry was answered after {waited:.2f} s")
