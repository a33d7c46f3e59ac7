"""Analytics on a big program: 1,000,000 impressions and 50,000 referrals in PostgreSQL.

Creates a fresh database, bulk-loads one program (COPY through asyncpg), and times, through the
ASGI app with a real API key (auth, routing, JSON included):

- the funnel (day intervals, Europe/Berlin) and the leaderboard over a 90-day range, first with
  nothing rolled up (every figure counted from the raw rows: the baseline) and then after the
  rollup refresh has folded the impressions (what the server normally answers from);
- what it costs on writes: the scan path's batched INSERTs of impressions as they are (the
  rollups add nothing to them) against the same INSERTs with a trigger-maintained rollup (the
  alternative this design avoids), and the background refresh's cost per new impression.

    .venv/bin/python bench/analytics.py                      # the full size, 20 timed calls each
    .venv/bin/python bench/analytics.py --impressions 100000 --referrals 5000 --repeat 5

Goal: funnel and leaderboard under 100 ms each. PostgreSQL at VANTIO_BENCH_POSTGRES_URL
(default postgresql://postgres@127.0.0.1:5432); the database is dropped at the end (--keep keeps it).
"""

import argparse
import asyncio
import os
import random
import secrets
import statistics
import string
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx

from vantio.accounts import service as account_service
from vantio.analytics import rollups
from vantio.api_keys import service as api_key_service
from vantio.app import create_app
from vantio.config import Settings
from vantio.db import repository
from vantio.db.migrate import upgrade
from vantio.db.session import transaction
from vantio.runtime import Runtime

try:  # the referral rollups (absent before them: run against an older checkout for "before")
    from vantio.referrals import rollups as referral_rollups
except ImportError:  # pragma: no cover
    referral_rollups = None  # type: ignore[assignment]

sys.path.insert(0, str(Path(__file__).resolve().parent))
from summary import line, percentile

POSTGRES_URL = os.environ.get("VANTIO_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")
ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
END = datetime(2026, 11, 1, tzinfo=UTC)  # the data ends here; the 90-day range ends here too


def make_id(prefix: str, at: datetime, rnd: random.Random) -> str:
    """An ID as kit.ids makes it for an object stored at `at`."""
    value, chars = int(at.timestamp() * 1000), []
    for _ in range(10):
        value, rem = divmod(value, 32)
        chars.append(ALPHABET[rem])
    tail = "".join(rnd.choice(ALPHABET) for _ in range(16))
    return f"{prefix}_{''.join(reversed(chars))}{tail}"


async def load(
    url: str, account_id: str, *, impressions: int, referrals: int, ambassadors: int, days: int
) -> tuple[str, list[tuple[str, str]]]:
    """One program: ambassadors with two posters each (50 locations), impressions spread over
    `days` (posters' popularity Pareto-distributed), referrals from a sample of the scans."""
    rnd = random.Random(7)
    start = END - timedelta(days=days)
    created = start - timedelta(days=1)
    conn = await asyncpg.connect(url)
    try:
        program = make_id("prog", created, rnd)
        await conn.execute(
            "INSERT INTO programs (id, account_id, livemode, created_at, updated_at, name,"
            " landing_url, currency, commission, payout_schedule, minimum_payout,"
            " attribution_window_days, metadata, hold_days) VALUES ($1, $2, true, $3, $3, 'Bench',"
            " 'https://example.com', 'USD', '{\"type\": \"percentage\", \"rate\": 10}', 'manual',"
            " 0, 30, '{}', 0)",
            program,
            account_id,
            created,
        )
        users = [
            (
                make_id("user", created, rnd),
                account_id,
                True,
                created,
                created,
                program,
                f"Ambassador{i}",
                "Bench",
                f"a{i}@example.com",
                f"a{i}@example.com",
                None,
                "{}",
            )
            for i in range(ambassadors)
        ]
        await conn.copy_records_to_table(
            "users",
            records=users,
            columns=[
                "id",
                "account_id",
                "livemode",
                "created_at",
                "updated_at",
                "program_id",
                "first_name",
                "last_name",
                "email",
                "email_normalized",
                "profile_picture",
                "metadata",
            ],
        )
        locations = [f"Building {i}" for i in range(50)]
        posters = [
            (
                make_id("poster", created, rnd),
                account_id,
                True,
                created,
                created,
                program,
                user[0],
                "".join(rnd.choice(string.ascii_lowercase) for _ in range(12)),
                rnd.choice(locations),
                None,
                "{}",
            )
            for user in users
            for _ in range(2)
        ]
        await conn.copy_records_to_table(
            "posters",
            records=posters,
            columns=[
                "id",
                "account_id",
                "livemode",
                "created_at",
                "updated_at",
                "program_id",
                "student_id",
                "code",
                "location",
                "destination_url",
                "metadata",
            ],
        )
        weights = [rnd.paretovariate(1.2) for _ in posters]
        chosen = rnd.choices(range(len(posters)), weights=weights, k=impressions)
        span = (END - start).total_seconds()
        scans = []
        for index in chosen:
            poster = posters[index]
            at = start + timedelta(seconds=rnd.random() * span)
            scans.append(
                (
                    make_id("imp", at, rnd),
                    account_id,
                    True,
                    at,
                    poster[0],
                    program,
                    poster[6],
                    at,
                    "Mozilla/5.0 (iPhone)",
                    "203.0.113.9",
                    None,
                    "{}",
                )
            )
        await conn.copy_records_to_table(
            "impressions",
            records=scans,
            columns=[
                "id",
                "account_id",
                "livemode",
                "created_at",
                "poster_id",
                "program_id",
                "student_id",
                "scanned_at",
                "user_agent",
                "ip_address",
                "fingerprint",
                "metadata",
            ],
        )
        statuses = ["pending"] * 5 + ["converted"] * 3 + ["verified", "rejected"]
        signups, earnings = [], []
        for number, scan in enumerate(rnd.sample(scans, referrals)):
            at = min(scan[7] + timedelta(minutes=rnd.randint(1, 600)), END - timedelta(seconds=1))
            status = rnd.choice(statuses)
            referral_id = make_id("ref", at, rnd)
            signups.append(
                (
                    referral_id,
                    account_id,
                    True,
                    at,
                    at,
                    scan[0],
                    program,
                    scan[6],
                    "R",
                    "F",
                    f"r{number}@example.com",
                    f"r{number}@example.com",
                    None,
                    status,
                    at if status == "verified" else None,
                    "{}",
                )
            )
            if status in ("converted", "verified"):
                earnings.append(
                    (
                        make_id("earn", at, rnd),
                        account_id,
                        True,
                        at,
                        at,
                        referral_id,
                        program,
                        scan[6],
                        rnd.randint(100, 5000),
                        "USD",
                        None,
                        None,
                        rnd.choice(["pending", "paid"]),
                        None,
                        None,
                        "{}",
                    )
                )
        await conn.copy_records_to_table(
            "referrals",
            records=signups,
            columns=[
                "id",
                "account_id",
                "livemode",
                "created_at",
                "updated_at",
                "impression_id",
                "program_id",
                "student_id",
                "first_name",
                "last_name",
                "email",
                "email_normalized",
                "profile_picture",
                "status",
                "verified_at",
                "metadata",
            ],
        )
        await conn.copy_records_to_table(
            "earnings",
            records=earnings,
            columns=[
                "id",
                "account_id",
                "livemode",
                "created_at",
                "updated_at",
                "referral_id",
                "program_id",
                "student_id",
                "amount",
                "currency",
                "type",
                "description",
                "status",
                "reference_id",
                "paid_at",
                "metadata",
            ],
        )
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()
    return program, [(p[0], p[6]) for p in posters]


async def timed(call: Callable[[], Awaitable[httpx.Response]], repeat: int) -> list[float]:
    await call()  # warm the caches and the prepared statements
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = await call()
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.text
    return times


def summary(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return (
        f"p50 {statistics.median(ordered):7.1f} ms   p95 {p95:7.1f} ms   min {ordered[0]:7.1f} ms"
    )


TRIGGER = """
CREATE TABLE bench_trigger_slots (account_id varchar(64), livemode boolean, program_id varchar(64),
  slot_start timestamptz, count integer, PRIMARY KEY (account_id, livemode, program_id, slot_start));
CREATE FUNCTION bench_fold() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO bench_trigger_slots
  SELECT account_id, livemode, program_id,
         to_timestamp(floor(extract(epoch FROM scanned_at) / 900) * 900), count(*)
  FROM new_rows GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
  ON CONFLICT (account_id, livemode, program_id, slot_start)
  DO UPDATE SET count = bench_trigger_slots.count + EXCLUDED.count;
  RETURN NULL;
END $$;
CREATE TRIGGER bench_fold AFTER INSERT ON impressions REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION bench_fold();
"""


async def insert_batches(
    url: str,
    account_id: str,
    program: str,
    posters: list[tuple[str, str]],
    *,
    batches: int,
    size: int,
) -> float:
    """Seconds for `batches` transactions of one multi-row INSERT of `size` impressions each,
    as the scan path's group commit writes them."""
    rnd = random.Random(11)
    conn = await asyncpg.connect(url)
    try:
        statement = (
            "INSERT INTO impressions (id, account_id, livemode, created_at, poster_id, program_id,"
            " student_id, scanned_at, user_agent, ip_address, fingerprint, metadata) SELECT * FROM"
            " unnest($1::varchar[], $2::varchar[], $3::bool[], $4::timestamptz[], $5::varchar[],"
            " $6::varchar[], $7::varchar[], $8::timestamptz[], $9::varchar[], $10::varchar[],"
            " $11::varchar[], $12::jsonb[])"
        )
        elapsed = 0.0
        for _ in range(batches):
            now = datetime.now(UTC)
            rows = []
            for _ in range(size):
                poster, student = rnd.choice(posters)
                rows.append(
                    (
                        make_id("imp", now, rnd),
                        account_id,
                        True,
                        now,
                        poster,
                        program,
                        student,
                        now,
                        "Mozilla/5.0",
                        "203.0.113.9",
                        secrets.token_hex(16),
                        "{}",
                    )
                )
            columns = [list(column) for column in zip(*rows, strict=True)]
            started = time.perf_counter()
            async with conn.transaction():
                await conn.execute(statement, *columns)
            elapsed += time.perf_counter() - started
        return elapsed
    finally:
        await conn.close()


async def admin(sql: str) -> None:
    connection = await asyncpg.connect(f"{POSTGRES_URL}/postgres")
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--impressions", type=int, default=1_000_000)
    parser.add_argument("--referrals", type=int, default=50_000)
    parser.add_argument("--ambassadors", type=int, default=1_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args()

    name = f"vantio_bench_analytics_{secrets.token_hex(3)}"
    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    url = f"{POSTGRES_URL}/{name}"
    settings = Settings(
        database_url=url.replace("postgresql://", "postgresql+asyncpg://"),
        rate_limit_enabled=False,
    )
    try:
        upgrade(settings)  # alembic runs its own event loop
        asyncio.run(run(args, name, url, settings))
    finally:
        if args.keep:
            print(f"kept database {name}")
        else:
            asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def run(args: argparse.Namespace, name: str, url: str, settings: Settings) -> None:
    runtime = Runtime.create(settings)
    try:
        await measure(args, name, url, settings, runtime)
    finally:
        await runtime.close()


async def measure(
    args: argparse.Namespace, name: str, url: str, settings: Settings, runtime: Runtime
) -> None:
    async with transaction(runtime.sessionmaker) as session:
        account = await account_service.create_account(session, name="Bench")
        key = await api_key_service.create_key(
            session, account_id=account.id, name="bench", livemode=True
        )
    print(
        f"database {name}: loading {args.impressions:,} impressions, {args.referrals:,} "
        f"referrals, {args.ambassadors:,} ambassadors over {args.days} days ..."
    )
    started = time.perf_counter()
    program, posters = await load(
        url,
        account.id,
        impressions=args.impressions,
        referrals=args.referrals,
        ambassadors=args.ambassadors,
        days=args.days,
    )
    print(f"  loaded with COPY in {time.perf_counter() - started:.1f} s")
    if referral_rollups is not None:  # COPY went around the service that keeps them
        started = time.perf_counter()
        async with transaction(runtime.sessionmaker) as session:
            await referral_rollups.rebuild(session, repository.Tenant(account.id, True))
        print(f"  referral rollups counted in {time.perf_counter() - started:.1f} s")

    app = create_app(settings, runtime)
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {key.secret}"}
    window = {
        "from": (END - timedelta(days=90)).date().isoformat(),
        "to": (END - timedelta(days=1)).date().isoformat(),
    }
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:

        def funnel() -> Awaitable[httpx.Response]:
            return client.get(
                "/api/v1/analytics/funnel",
                headers=headers,
                params={
                    "program_id": program,
                    "interval": "day",
                    "tz": "Europe/Berlin",
                    **window,
                },
            )

        def leaderboard() -> Awaitable[httpx.Response]:
            return client.get(
                "/api/v1/analytics/leaderboard",
                headers=headers,
                params={
                    "program_id": program,
                    "tz": "Europe/Berlin",
                    "sort": "earnings",
                    **window,
                },
            )

        def posters_call() -> Awaitable[httpx.Response]:
            return client.get(
                "/api/v1/analytics/posters",
                headers=headers,
                params={"program_id": program, "tz": "Europe/Berlin", **window},
            )

        baseline = {
            "funnel": await timed(funnel, max(3, args.repeat // 4)),
            "leaderboard": await timed(leaderboard, max(3, args.repeat // 4)),
        }
        started = time.perf_counter()
        folded, up_to = 0, datetime.now(UTC)
        while True:  # what the periodic job does over its next runs, back to back
            async with transaction(runtime.sessionmaker) as session:
                step = await rollups.refresh(session, up_to=up_to)
            if step == 0:
                break
            folded += step
        catch_up = time.perf_counter() - started
        # What autovacuum does in a running server: statistics and visibility for the rollups.
        conn = await asyncpg.connect(url)
        await conn.execute("VACUUM ANALYZE")
        await conn.close()
        measured = {
            "funnel": await timed(funnel, args.repeat),
            "leaderboard": await timed(leaderboard, args.repeat),
            "posters": await timed(posters_call, args.repeat),
        }
        load_average = os.getloadavg()[0]
        check = (await funnel()).json()["total"]
        print(
            f"  90-day funnel total: {check['impressions']:,} impressions, "
            f"{check['referrals']:,} referrals, {check['converted']:,} converted"
        )

    print("\nreads, 90-day range, through the ASGI app (auth, routing and JSON included):")
    print(f"  (load average while reading: {load_average:.1f} on {os.cpu_count()} CPUs, shared)")
    print(f"  baseline, nothing rolled up   funnel       {summary(baseline['funnel'])}")
    print(f"  baseline, nothing rolled up   leaderboard  {summary(baseline['leaderboard'])}")
    for label, times in measured.items():
        goal = (
            ""
            if label == "posters"
            else ("   goal < 100 ms: " + ("met" if statistics.median(times) < 100 else "NOT met"))
        )
        print(f"  with rollups                  {label:<12} {summary(times)}{goal}")
    summaries = [
        line(
            "postgresql",
            f"analytics {label}",
            # funnel, leaderboard: the raw count's median over the rollups'; posters has no
            # raw baseline here: the goal (100 ms) over its p95.
            statistics.median(baseline[label]) / statistics.median(times)
            if label in baseline
            else 100.0 / percentile(times, 95),
            percentile(times, 99),
        )
        for label, times in measured.items()
    ]
    print(
        f"  rollup catch-up: {folded:,} impressions folded in {catch_up:.1f} s (once, {rollups.BATCH:,} per transaction)"
    )

    # Alternating rounds with the alternative's trigger off and on, so that the machine's load
    # (shared) weighs on both alike; the refresh then folds what the rounds inserted.
    batches, size, rounds = 200, 100, 4
    conn = await asyncpg.connect(url)
    await conn.execute(TRIGGER)
    plain = triggered = 0.0
    for _ in range(rounds):
        await conn.execute("ALTER TABLE impressions DISABLE TRIGGER bench_fold")
        plain += await insert_batches(
            url, account.id, program, posters, batches=batches // rounds, size=size
        )
        await conn.execute("ALTER TABLE impressions ENABLE TRIGGER bench_fold")
        triggered += await insert_batches(
            url, account.id, program, posters, batches=batches // rounds, size=size
        )
    await conn.execute("DROP TRIGGER bench_fold ON impressions")
    await conn.close()
    started = time.perf_counter()
    async with transaction(runtime.sessionmaker) as session:
        fresh = await rollups.refresh(session, up_to=datetime.now(UTC))  # 40,000 < BATCH
    refresh_cost = time.perf_counter() - started
    rows = batches * size
    print(
        f"\nwrites: {batches} transactions of one {size}-row INSERT of impressions (the scan path's batches):"
    )
    print(
        f"  as the server runs (rollups not touched on write)  {plain * 1e6 / rows:7.1f} us per impression"
    )
    print(
        f"  with a trigger-maintained rollup (the alternative) {triggered * 1e6 / rows:7.1f} us per impression "
        f"({(triggered / plain - 1) * 100:+.0f}%)"
    )
    print(
        f"  background refresh: {fresh:,} new impressions folded in {refresh_cost * 1000:.0f} ms "
        f"({refresh_cost * 1e6 / max(fresh, 1):.1f} us each, off the request path)"
    )
    print("\n" + "\n".join(summaries))


if __name__ == "__main__":
    main()
