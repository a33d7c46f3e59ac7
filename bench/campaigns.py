"""Generate a 100,000-code campaign on SQLite and PostgreSQL and print how long it takes.

Per backend, on a fresh migrated database and in one process:

- `POST /v1/campaigns` with `count: 100000` (through the ASGI app): the request only records the
  campaign and enqueues its generation, so it answers at once;
- the worker's generation, run in-process (`run_due`), chunk job after chunk job, until the
  campaign is `completed`; then a check that the database holds 100,000 distinct codes;
- baseline, measured in the same run on the same database: a bare multi-row INSERT of 100,000
  prepared voucher rows (no random codes, no collision checks, one transaction);
- for scale: a synchronous campaign of 2,000 codes (generated inside the request).

Two summary lines per backend: `campaign N` (the bare INSERT's time over the campaign's: above 1
the campaign writes faster than SQLAlchemy's plain executemany of prepared rows, which it does
since it COPYs on PostgreSQL) and `campaign N goal` (issue 13's 10 s per 100,000 codes, scaled to
N, over the campaign's time: 1 or more meets it).

    .venv/bin/python bench/campaigns.py                     # both backends
    .venv/bin/python bench/campaigns.py --backend sqlite --count 100000

PostgreSQL: a server at VANTIO_BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432)
where a fresh database is created and dropped.
"""

import argparse
import asyncio
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import func, insert, select

sys.path.insert(0, str(Path(__file__).resolve().parent))
from summary import line

from vantio.accounts import service as account_service
from vantio.api_keys import service as api_key_service
from vantio.app import create_app
from vantio.auth.context import AuthContext
from vantio.composition import create_runtime
from vantio.config import Settings
from vantio.db.migrate import upgrade
from vantio.db.session import transaction
from vantio.runtime import Runtime
from vantio.vouchers import definitions
from vantio.vouchers import service as voucher_service
from vantio.vouchers.models import Voucher
from vantio.worker.runner import run_due

GOAL_S_PER_100K = 10.0  # issue 13 point 6: 100,000 codes in at most 10 s
POSTGRES_URL = os.environ.get("VANTIO_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")


def settings_for(url: str) -> Settings:
    return Settings(
        database_url=url,
        rate_limit_vouchers_create="100000/second",
        rate_limit_vouchers_default="100000/second",
    )


async def pg_admin(sql: str) -> None:
    connection = await asyncpg.connect(f"{POSTGRES_URL}/postgres")
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def measure(url: str, count: int) -> dict[str, float]:
    settings = settings_for(url)
    runtime = create_runtime(settings)  # it runs the generation jobs in-process
    app = create_app(settings, runtime)
    figures: dict[str, float] = {}
    try:
        async with transaction(runtime.sessionmaker) as session:
            account = await account_service.create_account(session, name="bench")
            key = await api_key_service.create_key(
                session, account_id=account.id, name="bench", livemode=False
            )
        headers = {"Authorization": f"Bearer {key.secret}"}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            body: dict[str, Any] = {
                "name": "Spring",
                "type": "percentage",
                "value": 15,
                "conditions": {"max_uses": 1},
                "code_pattern": {"prefix": "SPRING-", "length": 8, "count": count},
            }
            started = time.perf_counter()
            response = await client.post("/v1/campaigns", json=body, headers=headers)
            figures["request_s"] = time.perf_counter() - started
            assert response.status_code == 200, response.text
            campaign = response.json()

            started = time.perf_counter()
            jobs = await run_due(runtime, names={"campaigns.generate"}, periodic=False)
            figures["generation_s"] = time.perf_counter() - started
            figures["jobs"] = jobs
            done = (await client.get(f"/v1/campaigns/{campaign['id']}", headers=headers)).json()
            assert done["status"] == "completed", done
            assert done["codes_generated"] == count, done
            async with transaction(runtime.sessionmaker) as session:
                distinct = await session.scalar(
                    select(func.count(func.distinct(Voucher.code_normalized))).where(
                        Voucher.campaign_id == campaign["id"]
                    )
                )
            assert distinct == count, distinct

            small = {**body, "code_pattern": {**body["code_pattern"], "count": 2000}}
            started = time.perf_counter()
            response = await client.post("/v1/campaigns", json=small, headers=headers)
            figures["sync_2000_s"] = time.perf_counter() - started
            assert response.json()["status"] == "completed", response.text

        figures["baseline_s"] = await baseline(runtime, account.id, count)
    finally:
        await runtime.close()
    return figures


async def baseline(runtime: Runtime, account_id: str, count: int) -> float:
    """A bare bulk INSERT of `count` prepared voucher rows, chunks of 1,000, one transaction."""
    auth = AuthContext(account_id=account_id, livemode=True, api_key_id="")
    definition = definitions.build(
        type="percentage", value=15, conditions={"max_uses": 1}, config=None, currency=None
    )
    columns = [attr.key for attr in Voucher.__mapper__.column_attrs]
    rows = []
    for i in range(count):
        voucher = voucher_service.voucher_row(auth, code=f"BASE-{i:08d}", definition=definition)
        rows.append({key: getattr(voucher, key) for key in columns})
    started = time.perf_counter()
    async with transaction(runtime.sessionmaker) as session:
        for i in range(0, count, 1000):
            await session.execute(insert(Voucher), rows[i : i + 1000])
    return time.perf_counter() - started


async def run_backend(backend: str, count: int) -> dict[str, float]:
    if backend == "postgresql":
        name = f"vantio_bench_{secrets.token_hex(4)}"
        await pg_admin(f'CREATE DATABASE "{name}"')
        url = f"{POSTGRES_URL.replace('postgresql://', 'postgresql+asyncpg://')}/{name}"
        try:
            await asyncio.to_thread(upgrade, settings_for(url))
            return await measure(url, count)
        finally:
            await pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}"
        await asyncio.to_thread(upgrade, settings_for(url))
        return await measure(url, count)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--count", type=int, default=100_000)
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    summaries: list[str] = []
    for backend in backends:
        f = asyncio.run(run_backend(backend, args.count))
        total = f["request_s"] + f["generation_s"]
        print(
            f"{backend:10} campaign of {args.count:,} codes: request {f['request_s'] * 1000:.0f} ms, "
            f"generation {f['generation_s']:.2f} s in {int(f['jobs'])} worker jobs, "
            f"total {total:.2f} s ({args.count / total:,.0f} codes/s); "
            f"baseline bare INSERT of {args.count:,} rows {f['baseline_s']:.2f} s "
            f"(generation = {f['generation_s'] / f['baseline_s']:.1f}x baseline); "
            f"synchronous 2,000-code campaign {f['sync_2000_s'] * 1000:.0f} ms"
        )
        # Ratio: the bare INSERT's time over the campaign's (1.0: as fast as inserting prepared
        # rows); p99: one campaign, so its whole time (request and generation).
        summaries.append(
            line(backend, f"campaign {args.count}", f["baseline_s"] / total, total * 1000)
        )
        goal_s = GOAL_S_PER_100K * args.count / 100_000
        summaries.append(line(backend, f"campaign {args.count} goal", goal_s / total, total * 1000))
    print("\n".join(summaries))


if __name__ == "__main__":
    main()
