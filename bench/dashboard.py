"""Dashboard list pages with 100,000 referrals: is the referrals page still fast, and the overview?

Creates a fresh database (SQLite file by default, `--postgresql` for the PostgreSQL at
VANTIO_BENCH_POSTGRES_URL), bulk-loads one account with a program, 200 ambassadors, 400 posters,
100,000 impressions and 100,000 referrals (a fifth of them converted, with an earning each) over
90 days, signs an operator in, and times through the ASGI app (session cookie, CSRF-free GETs,
templates rendered):

- the referrals page: first page, filtered by program+status, by ambassador, by a 7-day range,
  and a deep page (offset 50,000);
- the earnings and ambassadors pages (first page), an ambassador's page and a poster's page;
- the overview (90 days, all programs);
- baseline, in the same run: GET /api/v1/referrals?limit=50 with an API key (the same query
  without a template).

    .venv/bin/python bench/dashboard.py                 # SQLite, 100,000 referrals, 10 calls each
    .venv/bin/python bench/dashboard.py --postgresql --referrals 100000 --repeat 10
    .venv/bin/python bench/dashboard.py --csv-only     # the CSV downloads of every row only
"""

import argparse
import asyncio
import os
import random
import re
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import insert

from vantio.accounts import service as account_service
from vantio.analytics import rollups
from vantio.api_keys import service as api_key_service
from vantio.app import create_app
from vantio.config import Settings
from vantio.dashboard import service as dashboard_service
from vantio.db import repository
from vantio.db.migrate import upgrade
from vantio.db.session import transaction
from vantio.earnings.models import Earning
from vantio.impressions.models import Impression
from vantio.posters.models import Poster
from vantio.programs.models import Program
from vantio.referrals.models import Referral
from vantio.runtime import Runtime
from vantio.users.models import User

try:  # the referral rollups (absent before them: run against an older checkout for "before")
    from vantio.referrals import rollups as referral_rollups
except ImportError:  # pragma: no cover
    referral_rollups = None  # type: ignore[assignment]

sys.path.insert(0, str(Path(__file__).resolve().parent))
from summary import line, percentile

POSTGRES_URL = os.environ.get("VANTIO_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")
ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
END = datetime.now(UTC).replace(microsecond=0)
PASSWORD = "bench password 1234"
CHUNK = 5000


def make_id(prefix: str, at: datetime, rnd: random.Random) -> str:
    """An ID as kit.ids makes it for an object stored at `at`."""
    value, chars = int(at.timestamp() * 1000), []
    for _ in range(10):
        value, rem = divmod(value, 32)
        chars.append(ALPHABET[rem])
    return f"{prefix}_{''.join(reversed(chars))}{''.join(rnd.choices(ALPHABET, k=16))}"


async def load(runtime: Runtime, account_id: str, *, referrals: int, days: int) -> dict[str, str]:
    rnd = random.Random(7)
    start = END - timedelta(days=days)
    created = start - timedelta(days=1)
    program_id = make_id("prog", created, rnd)
    base = {"account_id": account_id, "livemode": False}
    users = [
        {**base, "id": make_id("user", created, rnd), "created_at": created,
         "updated_at": created, "program_id": program_id, "first_name": f"Ambassador{i}",
         "last_name": "Bench", "email": f"a{i}@example.com", "email_normalized": f"a{i}@example.com",
         "profile_picture": None, "metadata_": {}}
        for i in range(200)
    ]  # fmt: skip
    posters = [
        {**base, "id": make_id("poster", created, rnd), "created_at": created,
         "updated_at": created, "program_id": program_id, "student_id": users[i // 2]["id"],
         "code": secrets.token_hex(5), "location": f"Place {i % 50}", "destination_url": None,
         "metadata_": {}}
        for i in range(400)
    ]  # fmt: skip
    async with transaction(runtime.sessionmaker) as session:
        await session.execute(
            insert(Program),
            [{**base, "id": program_id, "created_at": created, "updated_at": created,
              "name": "Bench program", "description": None,
              "landing_url": "https://example.com/join", "currency": "USD",
              "commission": {"type": "percentage", "rate": 10}, "payout_schedule": "manual",
              "minimum_payout": 0, "attribution_window_days": 30, "referee_voucher_id": None,
              "metadata_": {}}],
        )  # fmt: skip
        await session.execute(insert(User), users)
        await session.execute(insert(Poster), posters)
    statuses = ["pending"] * 7 + ["converted"] * 1 + ["verified"] * 1 + ["rejected"] * 1
    for first in range(0, referrals, CHUNK):
        impressions, rows, earnings = [], [], []
        for n in range(first, min(first + CHUNK, referrals)):
            at = start + timedelta(seconds=days * 86400 * n / referrals)
            poster = posters[rnd.randrange(len(posters))]
            impression_id = make_id("imp", at, rnd)
            impressions.append(
                {**base, "id": impression_id, "created_at": at, "poster_id": poster["id"],
                 "program_id": program_id, "student_id": poster["student_id"], "scanned_at": at,
                 "user_agent": "bench", "ip_address": "203.0.113.1", "fingerprint": None,
                 "metadata_": {}}
            )  # fmt: skip
            status = rnd.choice(statuses)
            referral_id = make_id("ref", at, rnd)
            rows.append(
                {**base, "id": referral_id, "created_at": at, "updated_at": at,
                 "impression_id": impression_id, "program_id": program_id,
                 "student_id": poster["student_id"], "first_name": f"Person{n}", "last_name": "Doe",
                 "email": f"p{n}@example.com", "email_normalized": f"p{n}@example.com",
                 "profile_picture": None, "status": status,
                 "verified_at": at if status == "verified" else None, "metadata_": {}}
            )  # fmt: skip
            if status in ("converted", "verified"):
                earnings.append(
                    {**base, "id": make_id("earn", at, rnd), "created_at": at, "updated_at": at,
                     "referral_id": referral_id, "program_id": program_id,
                     "student_id": poster["student_id"], "amount": 500 + n % 1000,
                     "currency": "USD", "type": None, "description": None, "status": "pending",
                     "reference_id": None, "paid_at": None, "metadata_": {}}
                )  # fmt: skip
        async with transaction(runtime.sessionmaker) as session:
            await session.execute(insert(Impression), impressions)
            await session.execute(insert(Referral), rows)
            if earnings:
                await session.execute(insert(Earning), earnings)
    return {"program": program_id, "ambassador": users[0]["id"], "poster": posters[0]["id"]}


async def timed(client: httpx.AsyncClient, url: str, repeat: int, **kw: Any) -> list[float]:
    response = await client.get(url, **kw)  # warm up (and check)
    assert response.status_code == 200, (url, response.status_code, response.text[:300])
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        response = await client.get(url, **kw)
        times.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200
    return times


async def streamed(client: httpx.AsyncClient, name: str, url: str, baseline_ms: float) -> str:
    """A whole CSV download: its rows and time, against the baseline page. (In process, httpx
    collects the streamed body before answering, so the time to the first byte is not seen.)"""
    began = time.perf_counter()
    response = await client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    total = time.perf_counter() - began
    rows = response.content.count(b"\n") - 1
    return (
        f"{name:<46} {rows:,} rows in {total:.1f} s ({total * 1000 / baseline_ms:.0f}x the "
        f"baseline; {total * 1e6 / max(rows, 1):.0f} us a row)"
    )


def row(name: str, times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"{name:<46} median {statistics.median(times):7.1f} ms   p95 {p95:7.1f} ms"


async def main(args: argparse.Namespace) -> None:
    directory = tempfile.mkdtemp(prefix="vantio-bench-")
    if args.postgresql:
        name = f"vantio_bench_{secrets.token_hex(4)}"
        admin = await asyncpg.connect(f"{POSTGRES_URL}/postgres")
        await admin.execute(f'CREATE DATABASE "{name}"')
        url = f"{POSTGRES_URL.replace('postgresql://', 'postgresql+asyncpg://')}/{name}"
    else:
        url = f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}"
    settings = Settings(database_url=url, rate_limit_enabled=False, public_url="http://bench")
    await asyncio.to_thread(upgrade, settings)
    runtime = Runtime.create(settings)
    try:
        async with transaction(runtime.sessionmaker) as session:
            account = await account_service.create_account(session, name="Bench")
            key = await api_key_service.create_key(
                session, account_id=account.id, name="bench", livemode=False
            )
            await dashboard_service.create_operator(
                session, email="bench@example.com", password=PASSWORD, account_id=account.id
            )
        began = time.perf_counter()
        ids = await load(runtime, account.id, referrals=args.referrals, days=90)
        up_to = datetime.now(UTC)
        while True:  # what the server's periodic job does over its runs: fold every impression
            async with transaction(runtime.sessionmaker) as session:
                if not await rollups.refresh(session, up_to=up_to):  # (one call folds 50,000)
                    break
        async with transaction(runtime.sessionmaker) as session:
            if referral_rollups is not None:  # inserted around the service that keeps them
                await referral_rollups.rebuild(session, repository.Tenant(account.id, False))
        print(
            f"loaded {args.referrals:,} impressions and referrals in "
            f"{time.perf_counter() - began:.1f} s ({'PostgreSQL' if args.postgresql else 'SQLite'})"
        )
        app = create_app(settings, runtime)
        transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 1))
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            page = await client.get("/dashboard/signin")
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            assert token
            signed = await client.post(
                "/dashboard/signin",
                data={"email": "bench@example.com", "password": PASSWORD,
                      "csrf_token": token.group(1)},
            )  # fmt: skip
            assert signed.status_code == 303, signed.text
            week = (END - timedelta(days=7)).date().isoformat()
            cases = [
                ("baseline: API GET /api/v1/referrals?limit=50", "/api/v1/referrals?limit=50",
                 {"headers": {"Authorization": f"Bearer {key.secret}"}}),
                ("referrals page, first page", "/dashboard/referrals", {}),
                ("referrals page, program + status=converted",
                 f"/dashboard/referrals?program={ids['program']}&status=converted", {}),
                ("referrals page, one ambassador",
                 f"/dashboard/referrals?ambassador={ids['ambassador']}", {}),
                ("referrals page, last 7 days", f"/dashboard/referrals?from={week}", {}),
                ("referrals page, offset 50,000", "/dashboard/referrals?offset=50000", {}),
                ("earnings page, first page", "/dashboard/earnings", {}),
                ("ambassadors page, first page (with figures)", "/dashboard/ambassadors", {}),
                ("an ambassador's page (with figures)",
                 f"/dashboard/ambassadors/{ids['ambassador']}", {}),
                ("a poster's page", f"/dashboard/posters/{ids['poster']}", {}),
                ("overview, 90 days", f"/dashboard/?from={(END - timedelta(days=89)).date()}", {}),
                ("overview, default 30 days", "/dashboard/", {}),
            ]  # fmt: skip
            measured = {}
            if not args.csv_only:
                for name, url_path, kw in cases:
                    measured[name] = times = await timed(client, url_path, args.repeat, **kw)
                    print(row(name, times))
                # Per page: the API's list (baseline) median over the page's median, its p99.
                backend = "postgresql" if args.postgresql else "sqlite"
                base = statistics.median(measured[cases[0][0]])
                for name, times in list(measured.items())[1:]:
                    path = "dashboard " + name.replace(",", "").replace("'", "")
                    print(
                        line(backend, path, base / statistics.median(times), percentile(times, 99))
                    )
            baseline = measured.get(cases[0][0]) or await timed(
                client, cases[0][1], 3, **cases[0][2]
            )
            for name, url_path in (
                ("referrals.csv, every row", "/dashboard/referrals.csv"),
                ("earnings.csv, every row", "/dashboard/earnings.csv"),
            ):
                print(await streamed(client, name, url_path, statistics.median(baseline)))
    finally:
        await runtime.close()
        shutil.rmtree(directory, ignore_errors=True)
        if args.postgresql:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--referrals", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--postgresql", action="store_true")
    parser.add_argument("--csv-only", action="store_true", help="only the CSV downloads")
    asyncio.run(main(parser.parse_args()))
