"""Load the public scan `GET /s/{code}` of a running `vantio serve` beside a bare ASGI app.

Both servers run as subprocesses under uvicorn with the same options, one after the other in the
same run; wrk (one thread, 32 connections) loads each with a new User-Agent per request, so
every request is a new device and stores an impression. Printed per round: requests/s and
p50/p99 latency of each, their ratio, the server's CPU time per request of each (what the
ratio would be on an otherwise idle core, whatever else the machine runs), and the check that
the database holds an impression for every 302 wrk counted.

    .venv/bin/python bench/scan.py                       # SQLite and PostgreSQL, 3 rounds of 10 s
    .venv/bin/python bench/scan.py --backend sqlite --rounds 5 --duration 10
    .venv/bin/python bench/scan.py --impressions 1000000 # with 1M impressions stored first
    .venv/bin/python bench/scan.py --profile /tmp/scan.raw  # and py-spy's profile of a round

Each request comes from its own client IP (`X-Forwarded-For`, believed from 127.0.0.1 because
the server runs with `VANTIO_TRUSTED_PROXIES=127.0.0.1`), so the limit of new devices per IP and
poster is checked on every scan without refusing any. `--impressions N` stores N impressions
of the benchmark's poster (spread over the last 30 days, each its own device) before measuring:
the de-duplication's look-ups then run against a large table. The run ends with one line per backend:
`<backend> GET /s/{code}: ratio R (p99 X ms)` (the medians over the rounds).

Needs `wrk` (apt-get install -y wrk) and, for PostgreSQL, a server at VANTIO_BENCH_POSTGRES_URL
(default postgresql://postgres@127.0.0.1:5432) where a fresh database is created and dropped.
"""

import argparse
import asyncio
import json
import os
import re
import secrets
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
LANDING = "https://example.com/signup?ref=poster"
POSTGRES_URL = os.environ.get("VANTIO_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")


# -- the baseline: a bare ASGI app answering the same 302, storing nothing -----------------------


async def bare_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    location = f"{LANDING}&impression_id=imp_{secrets.token_hex(13)}"
    await send(
        {
            "type": "http.response.start",
            "status": 302,
            "headers": [(b"location", location.encode()), (b"content-length", b"0")],
        }
    )
    await send({"type": "http.response.body", "body": b""})


def serve_bare(port: int) -> None:
    import uvicorn

    # The same options as `vantio serve`.
    uvicorn.run(bare_app, host="127.0.0.1", port=port, log_level="info", access_log=False)


# -- harness -------------------------------------------------------------------------------------


@dataclass
class Load:
    requests: int
    errors: int
    rps: float
    p50_ms: float
    p99_ms: float
    cpu_us: float = 0.0  # the server's CPU time per request


def measured(pid: int, url: str, **options: Any) -> Load:
    before = cpu_seconds(pid)
    load = wrk(url, **options)
    load.cpu_us = (cpu_seconds(pid) - before) / max(load.requests, 1) * 1e6
    return load


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 180  # several processes importing on a busy machine
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"server exited:\n{log.read_text()}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    sys.exit(f"server did not start:\n{log.read_text()}")


@contextmanager
def process(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        proc = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system, all threads) a process and its children (`vantio serve
    --workers N`) have used so far (Linux /proc)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        if stat.parent.name == str(pid) or fields[1] == str(pid):
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def wait_started(log: Path, processes: int) -> None:
    """Until each of the server's processes has started (the first one answers before the
    others have imported the app)."""
    deadline = time.monotonic() + 180
    while log.read_text().count("Application startup complete") < processes:
        if time.monotonic() > deadline:
            sys.exit(f"not every server process started:\n{log.read_text()}")
        time.sleep(0.2)


def wrk(url: str, *, duration: int, connections: int, prefix: str) -> Load:
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{duration}s",
        "--latency",
        "-s",
        str(HERE / "scan.lua"),
        url,
        "--",
        prefix,
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    match = re.search(r"^RESULT (.*)$", output, re.MULTILINE)
    if match is None:
        sys.exit(f"wrk printed no result:\n{output}")
    result = json.loads(match.group(1))
    errors = sum(
        result[key]
        for key in ("status_errors", "connect_errors", "read_errors", "write_errors", "timeouts")
    )
    return Load(
        requests=result["requests"],
        errors=errors,
        rps=result["requests"] / (result["duration_us"] / 1e6),
        p50_ms=result["p50_us"] / 1000,
        p99_ms=result["p99_us"] / 1000,
    )


def create_poster(base: str, key: str) -> str:
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:

        def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
            response = client.post(path, json=body)
            response.raise_for_status()
            answer: dict[str, Any] = response.json()
            return answer

        program = post("/api/v1/programs", {"name": "Bench", "landing_url": LANDING})
        user = post(
            "/api/v1/users",
            {
                "program_id": program["id"],
                "first_name": "Bench",
                "last_name": "Mark",
                "email": "bench@example.com",
            },
        )
        poster = post(
            "/api/v1/posters",
            {"program_id": program["id"], "student_id": user["id"], "location": "Hall"},
        )
        code: str = poster["code"]
        return code


def count_impressions(database_url: str, prefix: str) -> int:
    pattern = f"% bench/{prefix}/%"
    if database_url.startswith("sqlite"):
        path = database_url.split("///", 1)[1]
        with sqlite3.connect(path) as connection:
            row = connection.execute(
                "SELECT count(*) FROM impressions WHERE user_agent LIKE ?", (pattern,)
            ).fetchone()
            return int(row[0])

    async def run() -> int:
        import asyncpg

        connection = await asyncpg.connect(database_url.replace("+asyncpg", ""))
        try:
            value = await connection.fetchval(
                "SELECT count(*) FROM impressions WHERE user_agent LIKE $1", pattern
            )
            return int(value)
        finally:
            await connection.close()

    return asyncio.run(run())


def seed_impressions(database_url: str, code: str, count: int) -> float:
    """Store `count` impressions of the poster `code` (one device each, over the last 30 days)
    and refresh the planner's statistics; returns the seconds it took."""
    started = time.monotonic()
    chunk = 100_000
    if database_url.startswith("sqlite"):
        path = database_url.split("///", 1)[1]
        with sqlite3.connect(path, timeout=60) as connection:
            for first in range(0, count, chunk):
                n = min(chunk, count - first)
                connection.execute(
                    """
                    WITH RECURSIVE seq(x) AS (SELECT ? UNION ALL SELECT x + 1 FROM seq
                                              WHERE x < ?)
                    INSERT INTO impressions (id, account_id, livemode, poster_id, program_id,
                        student_id, scanned_at, created_at, user_agent, ip_address, fingerprint,
                        device_fingerprint, metadata)
                    SELECT printf('imp_seed%018d', x), p.account_id, p.livemode, p.id,
                        p.program_id, p.student_id, t, t,
                        'Mozilla/5.0 (seeded) ' || x, '10.200.' || (x / 256 % 256) || '.' || (x % 256),
                        lower(hex(randomblob(32))), lower(hex(randomblob(32))),
                        '{"device_type": "mobile", "referrer": "direct"}'
                    FROM (SELECT x, strftime('%Y-%m-%d %H:%M:%S', 'now', '-' || (x * 2.592 % 2592000)
                          || ' seconds') || '.000000' AS t FROM seq), posters p
                    WHERE p.code = ?
                    """,
                    (first, first + n - 1, code),
                )
                connection.commit()
            connection.execute("ANALYZE")
        return time.monotonic() - started

    async def run() -> None:
        import asyncpg

        connection = await asyncpg.connect(database_url.replace("+asyncpg", ""))
        try:
            for first in range(0, count, chunk):
                n = min(chunk, count - first)
                await connection.execute(
                    """
                    INSERT INTO impressions (id, account_id, livemode, poster_id, program_id,
                        student_id, scanned_at, created_at, user_agent, ip_address, fingerprint,
                        device_fingerprint, metadata)
                    SELECT 'imp_seed' || lpad(x::text, 18, '0'), p.account_id, p.livemode, p.id,
                        p.program_id, p.student_id, t, t, 'Mozilla/5.0 (seeded) ' || x,
                        '10.200.' || (x / 256 % 256) || '.' || (x % 256),
                        md5(x::text || random()::text) || md5(random()::text),
                        md5(random()::text) || md5(x::text),
                        '{"device_type": "mobile", "referrer": "direct"}'::jsonb
                    FROM (SELECT x, now() - (x * 2.592 % 2592000) * interval '1 second' AS t
                          FROM generate_series($1::bigint, $2::bigint) AS x) s, posters p
                    WHERE p.code = $3
                    """,
                    first,
                    first + n - 1,
                    code,
                )
            await connection.execute("ANALYZE impressions")
        finally:
            await connection.close()

    asyncio.run(run())
    return time.monotonic() - started


def pg_admin(sql: str) -> None:
    async def run() -> None:
        import asyncpg

        connection = await asyncpg.connect(f"{POSTGRES_URL}/postgres")
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    asyncio.run(run())


@contextmanager
def database(backend: str, directory: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{directory / 'bench.db'}"
        return
    name = f"vantio_bench_{secrets.token_hex(4)}"
    pg_admin(f'CREATE DATABASE "{name}"')
    try:
        yield f"{POSTGRES_URL.replace('postgresql://', 'postgresql+asyncpg://')}/{name}"
    finally:
        pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def bench_backend(backend: str, args: argparse.Namespace) -> str:
    vantio = shutil.which("vantio", path=str(Path(sys.executable).parent)) or "vantio"
    with tempfile.TemporaryDirectory() as tmp, database(backend, Path(tmp)) as database_url:
        directory = Path(tmp)
        port, bare_port = free_port(), free_port()
        env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "VANTIO_DATABASE_URL": database_url,
            "VANTIO_PUBLIC_URL": f"http://127.0.0.1:{port}",
            # wrk's X-Forwarded-For names each request's client (believed from this proxy only).
            "VANTIO_TRUSTED_PROXIES": "127.0.0.1",
        }
        server_log, bare_log = directory / "vantio.log", directory / "bare.log"
        with (
            process(
                [vantio, "serve", "--port", str(port), "--workers", str(args.api_processes)],
                env,
                server_log,
            ) as server,
            process(
                [sys.executable, __file__, "--serve-bare", str(bare_port)], env, bare_log
            ) as bare,
        ):
            wait_ready(f"http://127.0.0.1:{port}/openapi.json", server, server_log)
            wait_started(server_log, args.api_processes)
            wait_ready(f"http://127.0.0.1:{bare_port}/", bare, bare_log)
            key = re.search(r"(sk_test_\S+)", server_log.read_text())
            if key is None:
                sys.exit(f"no key printed on first start:\n{server_log.read_text()}")
            code = create_poster(f"http://127.0.0.1:{port}", key.group(1))
            if args.impressions:
                took = seed_impressions(database_url, code, args.impressions)
                print(f"   stored {args.impressions} impressions of the poster in {took:.0f} s")
            scan_url = f"http://127.0.0.1:{port}/s/{code}"
            bare_url = f"http://127.0.0.1:{bare_port}/s/{code}"
            print(
                f"\n== {backend}: vantio serve --workers {args.api_processes} (pid {server.pid}) "
                f"vs bare ASGI app (pid {bare.pid})"
            )
            print(f"   {scan_url}")
            # Warm both up (imports, connection pool, SQLite page cache).
            wrk(bare_url, duration=2, connections=args.connections, prefix="warm-bare")
            wrk(scan_url, duration=2, connections=args.connections, prefix="warm")
            if args.profile:
                profile(server.pid, scan_url, args)
            ratios: list[float] = []
            cpu_ratios: list[float] = []
            p99s: list[float] = []
            for round_ in range(1, args.rounds + 1):
                prefix = f"r{round_}-{secrets.token_hex(3)}"
                options = {"duration": args.duration, "connections": args.connections}
                base = measured(bare.pid, bare_url, prefix=prefix, **options)
                scan = measured(server.pid, scan_url, prefix=prefix, **options)
                time.sleep(1)  # let the requests in flight when wrk stopped finish
                stored = count_impressions(database_url, prefix)
                redirects = scan.requests - scan.errors
                ratio = scan.rps / base.rps
                ratios.append(ratio)
                p99s.append(scan.p99_ms)
                cpu_ratios.append(base.cpu_us / scan.cpu_us)
                print(
                    f"round {round_}: bare {base.rps:8.0f} req/s p50 {base.p50_ms:6.2f} ms "
                    f"p99 {base.p99_ms:6.2f} ms | scan {scan.rps:8.0f} req/s p50 "
                    f"{scan.p50_ms:6.2f} ms p99 {scan.p99_ms:6.2f} ms | ratio {ratio:.2f}"
                )
                # On a shared machine req/s depends on what else runs; CPU per request does not.
                print(
                    f"         server CPU per request: bare {base.cpu_us:.0f} us, scan "
                    f"{scan.cpu_us:.0f} us (ratio {base.cpu_us / scan.cpu_us:.2f})"
                )
                in_flight = stored - redirects
                verdict = "ok" if 0 <= in_flight <= args.connections else "MISMATCH"
                print(
                    f"         302s counted by wrk {redirects}, impressions stored {stored} "
                    f"(+{in_flight} answered after wrk stopped reading), errors {scan.errors}, "
                    f"bare errors {base.errors}: {verdict}"
                )
                if verdict != "ok" or scan.errors:
                    sys.exit(
                        f"impressions do not match the redirects; server log:\n{server_log.read_text()[-3000:]}"
                    )
            print(
                f"{backend}: ratio median {statistics.median(ratios):.2f} "
                f"(min {min(ratios):.2f}, max {max(ratios):.2f}) over {len(ratios)} rounds; "
                f"CPU-per-request ratio median {statistics.median(cpu_ratios):.2f}"
            )
            return (
                f"{backend} GET /s/{{code}}: ratio {statistics.median(ratios):.2f} "
                f"(p99 {statistics.median(p99s):.1f} ms)"
            )


def profile(pid: int, url: str, args: argparse.Namespace) -> None:
    """py-spy's raw (collapsed) stacks of the server under the same load, and their top frames."""
    output = Path(args.profile)
    # py-spy is installed beside this interpreter (`pip install py-spy`), maybe not on PATH.
    spy_command = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or "py-spy"
    spy = subprocess.Popen(
        [
            spy_command,
            "record",
            "--pid",
            str(pid),
            "-f",
            "raw",
            "-o",
            str(output),
            "--nonblocking",
            "-d",
            str(args.duration + 1),
            "-r",
            "250",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(0.5)
    wrk(url, duration=args.duration, connections=args.connections, prefix="profile")
    spy.wait()
    print(f"   profile: {output}")
    print_top(output)


def print_top(path: Path, count: int = 25) -> None:
    """The frames with the most samples at the top of the stack (self) and anywhere (total)."""
    own: dict[str, int] = {}
    total: dict[str, int] = {}
    samples = 0
    for line in path.read_text().splitlines():
        stack, _, number = line.rpartition(" ")
        if not stack or not number.isdigit():  # a frame name with a space, wrapped
            continue
        n = int(number)
        samples += n
        frames = stack.split(";")
        own[frames[-1]] = own.get(frames[-1], 0) + n
        for frame in set(frames):
            total[frame] = total.get(frame, 0) + n
    for title, table in (("self", own), ("total", total)):
        print(f"   top {title}:")
        for frame, n in sorted(table.items(), key=lambda item: -item[1])[:count]:
            print(f"     {100 * n / max(samples, 1):5.1f}%  {frame}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument(
        "--api-processes", type=int, default=1, help="vantio serve --workers N (PostgreSQL only)"
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--impressions",
        type=int,
        default=0,
        metavar="N",
        help="store N impressions of the poster before measuring (e.g. 1000000)",
    )
    parser.add_argument(
        "--profile", metavar="FILE", help="also record the server with py-spy (raw) under load"
    )
    parser.add_argument("--serve-bare", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        serve_bare(args.serve_bare)
        return
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install -y wrk")
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    summaries = [bench_backend(backend, args) for backend in backends]
    print()
    for summary in summaries:
        print(summary)


if __name__ == "__main__":
    main()
