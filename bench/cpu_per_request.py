"""CPU per request of voucher validate and apply, in one process, one request at a time.

On a shared machine wall-clock figures move with the neighbours' load; the CPU time a request
costs this process (`time.process_time()`: the event loop and the database driver's thread
together) moves much less, so it is the figure to compare before and after a change. Each path
runs through httpx's ASGI transport against the real app on a fresh database (SQLite file, or
`--backend postgresql`), beside the same transport against a bare ASGI JSON echo (the baseline,
same run): the ratio is the echo's CPU per request over the path's (higher is better).

    .venv/bin/python bench/cpu_per_request.py --backend sqlite --requests 300
"""

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from summary import line, percentile
from vouchers import cart, echo_app
from webhooks import fresh_database

from vantio.accounts import service as account_service
from vantio.api_keys import service as api_key_service
from vantio.app import create_app
from vantio.composition import create_runtime
from vantio.config import Settings
from vantio.db.session import transaction

UNLIMITED = "1000000/second"


async def timed(
    client: httpx.AsyncClient, url: str, bodies: list[bytes], headers: dict[str, str]
) -> tuple[float, list[float]]:
    """CPU ms per request, and each request's wall ms."""
    walls = []
    cpu = time.process_time()
    for body in bodies:
        began = time.perf_counter()
        response = await client.post(url, content=body, headers=headers)
        walls.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, response.text
    return (time.process_time() - cpu) * 1000 / len(bodies), walls


async def measure(backend: str, requests: int) -> list[str]:
    async with fresh_database(backend) as url:
        settings = Settings(
            database_url=url,
            rate_limit_vouchers_default=UNLIMITED,
            rate_limit_vouchers_create=UNLIMITED,
            rate_limit_vouchers_validate=UNLIMITED,
            rate_limit_vouchers_apply=UNLIMITED,
        )
        runtime = create_runtime(settings)
        try:
            async with transaction(runtime.sessionmaker) as session:
                account = await account_service.create_account(session, name="bench")
                key = await api_key_service.create_key(
                    session, account_id=account.id, name="bench", livemode=False
                )
            headers = {"Authorization": f"Bearer {key.secret}", "Content-Type": "application/json"}
            app = httpx.ASGITransport(app=create_app(settings, runtime))
            echo = httpx.ASGITransport(app=echo_app)
            async with (
                httpx.AsyncClient(transport=app, base_url="http://bench") as client,
                httpx.AsyncClient(transport=echo, base_url="http://echo") as echo_client,
            ):
                codes = []
                for body in [
                    {"code": "STACK-A", "type": "stackable", "config": {"base_discount": 10,
                     "stack_rules": {"max_stack_count": 3, "max_total_discount": 40}, "priority": 2}},
                    {"code": "STACK-B", "type": "stackable", "config": {"base_discount": 5,
                     "stack_rules": {"stackable_with": ["fixed"]}},
                     "conditions": {"min_order_value": 1000}},
                    {"code": "FIXED", "type": "fixed", "value": 1500},
                    {"code": "APPLY", "type": "percentage", "value": 15},
                ]:  # fmt: skip
                    created = await client.post("/v1/vouchers", json=body, headers=headers)
                    assert created.status_code == 200, created.text
                    codes.append(body["code"])
                validate = json.dumps({"codes": codes[:3], "order": cart()}).encode()
                applies = [
                    json.dumps({"code": "APPLY", "order_id": f"o-{i}", "order": cart()}).encode()
                    for i in range(requests + 20)
                ]
                lines = []
                for path, url_path, bodies in [
                    ("validate", "/v1/vouchers/validate", [validate] * requests),
                    ("apply", "/v1/vouchers/apply", applies),
                ]:
                    await timed(client, url_path, bodies[:20], headers)  # warm up
                    await timed(echo_client, "/", bodies[:20], headers)
                    base, _ = await timed(echo_client, "/", bodies[20:], headers)
                    cpu, walls = await timed(client, url_path, bodies[20:], headers)
                    print(
                        f"{backend} {path}: {cpu:.2f} ms CPU per request (echo {base:.3f} ms), "
                        f"wall p50 {percentile(walls, 50):.2f} ms p99 {percentile(walls, 99):.2f} ms"
                    )
                    lines.append(line(backend, f"{path} cpu", base / cpu, percentile(walls, 99)))
                return lines
        finally:
            await runtime.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    summaries: list[str] = []
    for backend in backends:
        summaries += asyncio.run(measure(backend, args.requests))
    print("\n".join(summaries))


if __name__ == "__main__":
    main()
