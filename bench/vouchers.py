"""Voucher engine under load: validate latency and apply throughput, beside a bare ASGI JSON echo.

Per backend (SQLite, PostgreSQL) one `vantio serve --no-worker` and one bare ASGI app (reads the
request body and answers it back as JSON) run as uvicorn subprocesses with the same options.
wrk (one thread) sends each the same requests, one after the other in the same run:

- validate: `POST /v1/vouchers/validate` of a 10-item cart with 3 stacked codes (two `stackable`
  vouchers and a `fixed` one), recorded (an attempt row and a `voucher.validated` event each);
  p50/p99 latency at `--latency-connections` (default 8) and requests/s;
- validate again with one connection (its p50 is the goal's single-client latency);
- apply: `POST /v1/vouchers/apply` with a new `order_id` per request (each one a redemption:
  conditional usage UPDATE, application row, event), requests/s at `--connections` (default 32).

Rate limits are raised out of the way (the limiter still runs). Printed: both sides per round and
their ratio, and a check that the database holds one application per 200 wrk counted.

    .venv/bin/python bench/vouchers.py                          # both backends, 2 rounds of 10 s
    .venv/bin/python bench/vouchers.py --backend sqlite --rounds 3 --duration 10
    .venv/bin/python bench/vouchers.py --scale   # 1,000 more vouchers, a 100,000-code campaign
    .venv/bin/python bench/vouchers.py --backend sqlite --profile /tmp/v  # + py-spy of each path

Needs `wrk` (apt-get install -y wrk) and, for PostgreSQL, a server at VANTIO_BENCH_POSTGRES_URL
(default postgresql://postgres@127.0.0.1:5432) where a fresh database is created and dropped.
"""

import argparse
import asyncio
import contextlib
import json
import os
import re
import secrets
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from scan import database, free_port, print_top, process, wait_ready, wait_started  # noqa: E402
from summary import line  # noqa: E402

LUA = r"""
local prefix, key, body = "run", "", "{}"
local counter = 0

function init(args)
  prefix, key, body = args[1], args[2], args[3]
end

function request()
  counter = counter + 1
  local this = string.gsub(body, "ORDER_ID", prefix .. "-" .. counter)
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. key,
  }, this)
end

function done(summary, latency, requests)
  io.write(string.format(
    "RESULT {\"requests\": %d, \"duration_us\": %d, \"status_errors\": %d, \"connect_errors\": %d, " ..
    "\"read_errors\": %d, \"write_errors\": %d, \"timeouts\": %d, \"p50_us\": %d, \"p99_us\": %d}\n",
    summary.requests, summary.duration, summary.errors.status, summary.errors.connect,
    summary.errors.read, summary.errors.write, summary.errors.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


# -- the baseline: a bare ASGI app that answers the JSON it was sent ------------------------------


async def echo_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    answer = json.dumps({"echo": json.loads(body or b"null")}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(answer)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": answer})


def serve_echo(port: int) -> None:
    import uvicorn

    # The same options as `vantio serve`.
    uvicorn.run(echo_app, host="127.0.0.1", port=port, log_level="info", access_log=False)


# -- harness -------------------------------------------------------------------------------------


@dataclass
class Load:
    requests: int
    errors: int
    rps: float
    p50_ms: float
    p99_ms: float


def wrk(url: str, script: Path, *, duration: int, connections: int, args: list[str]) -> Load:
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{duration}s",
        "--latency",
        "--timeout",
        "30s",
        "-s",
        str(script),
        url,
        "--",
        *args,
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


def cart() -> dict[str, Any]:
    items = [
        {
            "id": f"sku_{i}",
            "price": 1000 + 250 * i,
            "quantity": 1 + i % 3,
            "category": "books" if i % 2 else "toys",
        }
        for i in range(10)
    ]
    return {
        "currency": "USD",
        "items": items,
        "value": sum(i["price"] * i["quantity"] for i in items),
        "shipping_amount": 499,
    }


def create_vouchers(base: str, key: str) -> tuple[list[str], str]:
    """Three codes that stack, and one plain code to apply."""
    headers = {"Authorization": f"Bearer {key}"}
    suffix = secrets.token_hex(3).upper()
    bodies = [
        {
            "code": f"STACK-A-{suffix}",
            "type": "stackable",
            "config": {
                "base_discount": 10,
                "stack_rules": {"max_stack_count": 3, "max_total_discount": 40},
                "priority": 2,
            },
        },
        {
            "code": f"STACK-B-{suffix}",
            "type": "stackable",
            "config": {"base_discount": 5, "stack_rules": {"stackable_with": ["fixed"]}},
            "conditions": {"min_order_value": 1000},
        },
        {"code": f"FIXED-{suffix}", "type": "fixed", "value": 1500},
        {"code": f"APPLY-{suffix}", "type": "percentage", "value": 15},
    ]
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        for body in bodies:
            client.post("/v1/vouchers", json=body).raise_for_status()
        check = client.post(
            "/v1/vouchers/validate",
            json={"codes": [b["code"] for b in bodies[:3]], "order": cart(), "preview": True},
        )
        check.raise_for_status()
        if check.json()["is_valid"] is not True:
            sys.exit(f"the stack does not validate: {check.text}")
    return [str(b["code"]) for b in bodies[:3]], str(bodies[3]["code"])


def add_scale(base: str, key: str, *, vouchers: int, campaign_codes: int) -> None:
    """Point 4 of issue 13: the same account also holds `vouchers` active vouchers and a campaign
    of `campaign_codes` codes (generated by the server's own worker), so that each lookup runs
    against a big table."""
    headers = {"Authorization": f"Bearer {key}"}
    suffix = secrets.token_hex(3).upper()
    with httpx.Client(base_url=base, headers=headers, timeout=120) as client:
        for start in range(0, vouchers, 1000):
            items = [
                {"code": f"SCALE-{suffix}-{i}", "type": "percentage", "value": 5 + i % 20}
                for i in range(start, min(start + 1000, vouchers))
            ]
            client.post("/v1/vouchers/batch", json={"vouchers": items}).raise_for_status()
        if campaign_codes:
            body = {
                "name": "Scale",
                "type": "percentage",
                "value": 10,
                "code_pattern": {"prefix": f"C{suffix}-", "length": 10, "count": campaign_codes},
            }
            campaign = client.post("/v1/campaigns", json=body)
            campaign.raise_for_status()
            campaign_id = campaign.json()["id"]
            began = time.monotonic()
            while True:
                state = client.get(f"/v1/campaigns/{campaign_id}").json()
                if state["status"] == "completed":
                    break
                if time.monotonic() - began > 600:
                    sys.exit(f"the campaign did not complete in 10 minutes: {state}")
                time.sleep(1)
    print(f"scale: {vouchers:,} more vouchers and a campaign of {campaign_codes:,} codes")


def count_applications(database_url: str, prefix: str) -> int:
    pattern = f"{prefix}-%"
    sql = "SELECT count(*) FROM voucher_applications WHERE order_id LIKE "
    if database_url.startswith("sqlite"):
        path = database_url.split("///", 1)[1]
        with sqlite3.connect(path) as connection:
            return int(connection.execute(sql + "?", (pattern,)).fetchone()[0])

    async def run() -> int:
        import asyncpg

        connection = await asyncpg.connect(database_url.replace("+asyncpg", ""))
        try:
            return int(await connection.fetchval(sql + "$1", pattern))
        finally:
            await connection.close()

    return asyncio.run(run())


def bench_backend(backend: str, args: argparse.Namespace, script: Path) -> dict[str, list[float]]:
    vantio = shutil.which("vantio", path=str(Path(sys.executable).parent)) or "vantio"
    with tempfile.TemporaryDirectory() as tmp, database(backend, Path(tmp)) as database_url:
        directory = Path(tmp)
        port, echo_port = free_port(), free_port()
        unlimited = "1000000/second"
        env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "VANTIO_DATABASE_URL": database_url,
            "VANTIO_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "VANTIO_RATE_LIMIT_VOUCHERS_DEFAULT": unlimited,
            "VANTIO_RATE_LIMIT_VOUCHERS_CREATE": unlimited,
            "VANTIO_RATE_LIMIT_VOUCHERS_VALIDATE": unlimited,
            "VANTIO_RATE_LIMIT_VOUCHERS_APPLY": unlimited,
        }
        server_log, echo_log = directory / "vantio.log", directory / "echo.log"
        with (
            process(
                [vantio, "serve", "--port", str(port), "--workers", str(args.api_processes)]
                + ([] if args.scale else ["--no-worker"]),  # the campaign needs the worker
                env,
                server_log,
            ) as server,
            process(
                [sys.executable, __file__, "--serve-echo", str(echo_port)], env, echo_log
            ) as echo,
        ):
            wait_ready(f"http://127.0.0.1:{port}/openapi.json", server, server_log)
            wait_started(server_log, args.api_processes)
            wait_ready(f"http://127.0.0.1:{echo_port}/", echo, echo_log)
            found = re.search(r"(sk_test_\S+)", server_log.read_text())
            if found is None:
                sys.exit(f"no key printed on first start:\n{server_log.read_text()}")
            key = found.group(1)
            base = f"http://127.0.0.1:{port}"
            if args.scale:
                add_scale(base, key, vouchers=1000, campaign_codes=args.scale_campaign)
            stack, code = create_vouchers(base, key)
            validate_body = json.dumps({"codes": stack, "order": cart()})
            apply_body = json.dumps({"code": code, "order_id": "ORDER_ID", "order": cart()})
            validate_url, apply_url = f"{base}/v1/vouchers/validate", f"{base}/v1/vouchers/apply"
            echo_url = f"http://127.0.0.1:{echo_port}/echo"
            print(
                f"\n== {backend}: vantio serve --workers {args.api_processes} (pid {server.pid}) "
                f"vs bare ASGI echo (pid {echo.pid})"
            )

            def run(url: str, body: str, prefix: str, connections: int, seconds: int) -> Load:
                return wrk(
                    url,
                    script,
                    duration=seconds,
                    connections=connections,
                    args=[prefix, key, body],
                )

            # Warm both up (imports, connection pools, SQLite page cache).
            run(echo_url, validate_body, "warm", args.connections, 2)
            run(validate_url, validate_body, "warm", args.latency_connections, 2)
            run(apply_url, apply_body, f"warm-{secrets.token_hex(3)}", args.connections, 2)
            ratios: dict[str, list[float]] = {"validate": [], "validate-1conn": [], "apply": []}
            p99s: dict[str, list[float]] = {name: [] for name in ratios}
            for round_ in range(1, args.rounds + 1):
                lc = args.latency_connections
                echo_v = run(echo_url, validate_body, "e", lc, args.duration)
                valid = run(validate_url, validate_body, "v", lc, args.duration)
                ratios["validate"].append(valid.rps / echo_v.rps)
                p99s["validate"].append(valid.p99_ms)
                print(
                    f"round {round_} validate ({lc} conn, 10 items, 3 codes): "
                    f"echo {echo_v.rps:7.0f} req/s p50 {echo_v.p50_ms:6.2f} ms p99 "
                    f"{echo_v.p99_ms:6.2f} ms | vantio {valid.rps:7.0f} req/s p50 "
                    f"{valid.p50_ms:6.2f} ms p99 {valid.p99_ms:6.2f} ms | ratio "
                    f"{valid.rps / echo_v.rps:.3f} | errors {valid.errors}"
                )
                echo_1 = run(echo_url, validate_body, "e1", 1, args.duration)
                single = run(validate_url, validate_body, "v1", 1, args.duration)
                ratios["validate-1conn"].append(single.rps / echo_1.rps)
                p99s["validate-1conn"].append(single.p99_ms)
                print(
                    f"round {round_} validate (1 conn): echo {echo_1.rps:7.0f} req/s p50 "
                    f"{echo_1.p50_ms:6.2f} ms | vantio {single.rps:7.0f} req/s p50 "
                    f"{single.p50_ms:6.2f} ms p99 {single.p99_ms:6.2f} ms | ratio "
                    f"{single.rps / echo_1.rps:.3f} | errors {single.errors}"
                )
                prefix = f"r{round_}-{secrets.token_hex(3)}"
                echo_a = run(echo_url, apply_body, prefix + "e", args.connections, args.duration)
                applied = run(apply_url, apply_body, prefix, args.connections, args.duration)
                time.sleep(1)  # let the requests in flight when wrk stopped finish
                stored = count_applications(database_url, prefix)
                ratios["apply"].append(applied.rps / echo_a.rps)
                p99s["apply"].append(applied.p99_ms)
                ok = applied.requests - applied.errors
                verdict = "ok" if 0 <= stored - ok <= args.connections else "MISMATCH"
                print(
                    f"round {round_} apply ({args.connections} conn): echo {echo_a.rps:7.0f} "
                    f"req/s | vantio {applied.rps:7.0f} applies/s p50 {applied.p50_ms:6.2f} ms "
                    f"p99 {applied.p99_ms:6.2f} ms | ratio {applied.rps / echo_a.rps:.3f} | "
                    f"200s {ok}, applications stored {stored}, errors {applied.errors}: {verdict}"
                )
                if verdict != "ok" or applied.errors or valid.errors or single.errors:
                    sys.exit(f"errors under load; server log:\n{server_log.read_text()[-3000:]}")
            if args.profile:
                for name, url, body, connections in [
                    ("validate", validate_url, validate_body, args.latency_connections),
                    ("apply", apply_url, apply_body, args.connections),
                ]:
                    output = Path(f"{args.profile}-{backend}-{name}.raw")
                    with spying(server.pid, output, args.duration):
                        run(url, body, f"p-{secrets.token_hex(3)}", connections, args.duration)
                    print(f"   profile of {name}: {output}")
                    print_top(output)
            # The median round's ratio, and the worst round's p99.
            for name, values in ratios.items():
                print(line(backend, name, statistics.median(values), max(p99s[name])))
            return ratios


@contextlib.contextmanager
def spying(pid: int, output: Path, seconds: int) -> Iterator[None]:
    """py-spy's raw (collapsed) stacks of process `pid` while the block runs."""
    command = ["py-spy", "record", "--pid", str(pid), "-f", "raw", "-o", str(output)]
    command += ["--nonblocking", "-d", str(seconds + 1), "-r", "250"]
    spy = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    yield
    spy.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument(
        "--api-processes", type=int, default=1, help="vantio serve --workers N (PostgreSQL only)"
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32, help="for apply throughput")
    parser.add_argument("--latency-connections", type=int, default=8, help="for validate latency")
    parser.add_argument(
        "--scale", action="store_true", help="1,000 more vouchers and a campaign in the account"
    )
    parser.add_argument("--scale-campaign", type=int, default=100_000, help="its codes")
    parser.add_argument(
        "--profile", metavar="PREFIX", help="also record the server with py-spy under each path"
    )
    parser.add_argument("--serve-echo", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_echo:
        serve_echo(args.serve_echo)
        return
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install -y wrk")
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "vouchers.lua"
        script.write_text(LUA)
        backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
        for backend in backends:
            bench_backend(backend, args, script)


if __name__ == "__main__":
    main()
