"""The SDK over real HTTP: a `vantio serve` subprocess on 127.0.0.1, and small real HTTP servers
that answer 503/429 first or drop the connection after the upstream processed the request."""

import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import vantio_client
from vantio_client import (
    APIConnectionError,
    AsyncVantio,
    BadRequestError,
    ConflictError,
    NotFoundError,
    RateLimitError,
    RetryPolicy,
    ServerError,
    Vantio,
)
from vantio_client.types import Order

from tests.helpers import unique_email

VANTIO = str(Path(sys.executable).parent / "vantio")
FAST = RetryPolicy(max_retries=3, initial_delay=0.05, max_delay=0.2)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class VantioServer:
    base_url: str
    api_key: str
    env: dict[str, str]


def server_env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VANTIO_")}
    env.update(
        PYTHONUNBUFFERED="1",
        VANTIO_DATABASE_URL=database_url,
        VANTIO_WEBHOOK_ALLOW_PRIVATE="1",
        VANTIO_RATE_LIMIT_REFERRALS="100000/second",
        VANTIO_RATE_LIMIT_VOUCHERS_DEFAULT="100000/second",
        VANTIO_RATE_LIMIT_VOUCHERS_CREATE="100000/second",
        VANTIO_RATE_LIMIT_VOUCHERS_VALIDATE="100000/second",
        VANTIO_RATE_LIMIT_VOUCHERS_APPLY="100000/second",
    )
    return env


@pytest.fixture(scope="session")
def vantio_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VantioServer]:
    """`vantio serve` on a free port of 127.0.0.1 with a temporary SQLite database, and a key
    made by `vantio keys create`."""
    directory = tmp_path_factory.mktemp("vantio-serve")
    env = server_env(f"sqlite+aiosqlite:///{directory / 'sdk.db'}")
    created = subprocess.run(  # noqa: S603 - our own console script
        [VANTIO, "keys", "create", "--name", "sdk-tests"],
        env=env,
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    api_key = created.stdout.split()[-1]
    assert api_key.startswith("sk_test_"), created.stdout
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - our own console script
        [VANTIO, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=directory,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.communicate()[0]
            try:
                if httpx.get(f"{base_url}/openapi.json", timeout=2).is_success:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "vantio serve did not start"
            time.sleep(0.2)
        yield VantioServer(base_url, api_key, env)
    finally:
        process.terminate()
        process.communicate(timeout=30)


@pytest.fixture
def client(vantio_server: VantioServer) -> Iterator[Vantio]:
    with Vantio(api_key=vantio_server.api_key, base_url=vantio_server.base_url, retry=FAST) as c:
        yield c


def make_funnel(client: Vantio) -> dict[str, Any]:
    program = client.programs.create(name="SDK over HTTP", landing_url="https://example.com/join")
    user = client.users.create(
        program_id=program["id"], first_name="Ada", last_name="Obi", email=unique_email("amb")
    )
    poster = client.posters.create(program_id=program["id"], student_id=user["id"])
    impression = client.impressions.create(poster_id=poster["id"])
    return {"program": program, "user": user, "poster": poster, "impression": impression}


# ---------------------------------------------------------------- against `vantio serve`


@pytest.mark.slow
def test_sync_client_over_http(client: Vantio) -> None:
    f = make_funnel(client)
    referral = client.referrals.create(
        impression_id=f["impression"]["id"], first_name="J", last_name="D", email=unique_email()
    )
    assert client.referrals.get(referral["id"])["email"] == referral["email"]
    earning = client.earnings.create(referral_id=referral["id"], amount=750, currency="USD")
    assert (earning["amount"], earning["status"]) == (750, "pending")
    assert client.referrals.get(referral["id"])["status"] == "converted"
    with pytest.raises(NotFoundError):
        client.earnings.get("earn_" + "0" * 26)
    with pytest.raises(ConflictError) as duplicate:
        client.referrals.create(
            impression_id=f["impression"]["id"],
            first_name="J",
            last_name="D",
            email=referral["email"],
        )
    assert duplicate.value.code == "duplicate_referral"


@pytest.mark.slow
def test_sync_list_all_and_batch_over_http(client: Vantio) -> None:
    f = make_funnel(client)
    emails = [unique_email() for _ in range(7)]
    emails.insert(3, "not an email")

    def signup(email: str) -> str:
        return client.referrals.create(
            impression_id=f["impression"]["id"], first_name="A", last_name="B", email=email
        )["id"]

    outcome = client.batch(emails, signup, concurrency=3)
    assert [e.index for e in outcome.errors] == [3]
    assert isinstance(outcome.errors[0].error, BadRequestError)
    assert outcome.results[3] is None
    created = [r for r in outcome.results if r is not None]
    assert len(created) == 7
    listed = [
        r["id"] for r in client.referrals.list_all(program_id=f["program"]["id"], page_size=3)
    ]
    assert sorted(listed) == sorted(created)
    assert listed == sorted(listed, reverse=True)  # newest first, no gaps or repeats


@pytest.mark.slow
async def test_async_client_over_http(vantio_server: VantioServer) -> None:
    async with AsyncVantio(
        api_key=vantio_server.api_key, base_url=vantio_server.base_url, retry=FAST
    ) as client:
        program = await client.programs.create(name="Async", landing_url="https://example.com")
        users = await client.batch(
            range(4),
            lambda i: client.users.create(
                program_id=program["id"], first_name="U", last_name=str(i), email=unique_email()
            ),
        )
        assert [u["last_name"] for u in users.results if u] == ["0", "1", "2", "3"]
        listed = [u async for u in client.users.list_all(program_id=program["id"], page_size=3)]
        assert sorted(u["last_name"] for u in listed) == ["0", "1", "2", "3"]
        ids = [u["id"] for u in listed]
        assert ids == sorted(ids, reverse=True)  # newest first across pages


# ---------------------------------------------------------------- scripted real HTTP servers


@dataclass
class Seen:
    at: float
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Scripted:
    """A real HTTP server on 127.0.0.1 answering from a script, then 200 `{"ok": true}`."""

    script: list[tuple[int, dict[str, str], bytes]]
    seen: list[Seen] = field(default_factory=list)

    def __post_init__(self) -> None:
        scripted = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def handle_any(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                scripted.seen.append(
                    Seen(
                        time.monotonic(),
                        self.command,
                        self.path,
                        {k.lower(): v for k, v in self.headers.items()},
                        body,
                    )
                )
                status, headers, answer = (
                    scripted.script.pop(0)
                    if scripted.script
                    else (200, {"content-type": "application/json"}, b'{"ok": true}')
                )
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            do_GET = do_POST = do_PUT = do_DELETE = handle_any

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


JSON = {"content-type": "application/json"}
UNAVAILABLE = (503, JSON, b'{"error": "Service Unavailable", "message": "try again"}')


@pytest.fixture
def scripted() -> Iterator[list[Scripted]]:
    servers: list[Scripted] = []
    yield servers
    for server in servers:
        server.close()


def serve(scripted: list[Scripted], *script: tuple[int, dict[str, str], bytes]) -> Scripted:
    server = Scripted(list(script))
    scripted.append(server)
    return server


def test_retries_503_then_200_with_one_idempotency_key(scripted: list[Scripted]) -> None:
    server = serve(scripted, UNAVAILABLE, UNAVAILABLE)
    with Vantio(api_key="sk_test_x", base_url=server.url, retry=FAST) as client:
        assert client.request("POST", "/api/v1/referrals", json={"a": 1}) == {"ok": True}
    assert [s.method for s in server.seen] == ["POST"] * 3
    keys = {s.headers["idempotency-key"] for s in server.seen}
    assert len(keys) == 1  # generated once for the call, sent again on each retry
    assert len(next(iter(keys))) == 36  # a uuid4, not a timestamp
    assert {s.body for s in server.seen} == {b'{"a":1}'}
    gaps = [b.at - a.at for a, b in zip(server.seen, server.seen[1:], strict=False)]
    assert gaps[0] >= FAST.initial_delay / 2
    assert gaps[1] >= FAST.initial_delay  # backoff doubles (equal jitter keeps at least half)


async def test_async_retries_503_then_200(scripted: list[Scripted]) -> None:
    server = serve(scripted, UNAVAILABLE)
    async with AsyncVantio(api_key="sk_test_x", base_url=server.url, retry=FAST) as client:
        assert await client.request("GET", "/api/v1/referrals") == {"ok": True}
    assert len(server.seen) == 2


def test_honours_retry_after_on_429(scripted: list[Scripted]) -> None:
    limited = (
        429,
        {**JSON, "Retry-After": "1"},
        b'{"error": {"code": "RATE_LIMIT_EXCEEDED", "message": "slow down"}}',
    )
    server = serve(scripted, limited)
    with Vantio(api_key="sk_test_x", base_url=server.url, retry=FAST) as client:
        assert client.request("POST", "/v1/vouchers/validate", json={}) == {"ok": True}
    assert len(server.seen) == 2
    assert server.seen[1].at - server.seen[0].at >= 1.0  # the server's word, not FAST's 50 ms
    assert server.seen[0].headers["idempotency-key"] == server.seen[1].headers["idempotency-key"]


def test_gives_up_after_the_maximum(scripted: list[Scripted]) -> None:
    server = serve(scripted, *[UNAVAILABLE] * 10)
    with (
        Vantio(api_key="sk_test_x", base_url=server.url, retry=FAST, max_retries=2) as client,
        pytest.raises(ServerError) as failed,
    ):
        client.programs.list()
    assert failed.value.status == 503
    assert len(server.seen) == 3  # the call and two retries

    limited = (429, {**JSON, "Retry-After": "3600"}, b'{"error": "Too Many Requests"}')
    server = serve(scripted, limited)
    with (
        Vantio(api_key="sk_test_x", base_url=server.url, retry=FAST) as client,
        pytest.raises(RateLimitError) as limited_error,
    ):
        client.programs.list()
    assert limited_error.value.retry_after == 3600
    assert len(server.seen) == 1  # an hour is longer than max_retry_after: raised at once


@pytest.mark.parametrize("status", [400, 401, 404, 409, 422])
def test_never_retries_other_4xx(scripted: list[Scripted], status: int) -> None:
    server = serve(scripted, (status, JSON, b'{"error": "x", "message": "no", "code": "nope"}'))
    with (
        Vantio(api_key="sk_test_x", base_url=server.url, retry=FAST) as client,
        pytest.raises(vantio_client.VantioError) as failed,
    ):
        client.request("POST", "/api/v1/earnings", json={})
    assert (failed.value.status, failed.value.code, failed.value.message) == (status, "nope", "no")
    assert len(server.seen) == 1


def test_network_errors_are_retried_then_raised_as_connection_errors() -> None:
    port = free_port()  # nothing listens there
    started = time.monotonic()
    with (
        Vantio(api_key="sk_test_x", base_url=f"http://127.0.0.1:{port}", retry=FAST) as client,
        pytest.raises(APIConnectionError) as failed,
    ):
        client.users.list()
    assert time.monotonic() - started >= 3 * FAST.initial_delay / 2  # it did back off 3 times
    assert isinstance(failed.value, ConnectionError)  # the builtin, too
    assert isinstance(failed.value, vantio_client.ConnectionError)
    assert failed.value.status is None


# ---------------------------------------------------------------- a dropped connection


@dataclass
class DroppingProxy:
    """A real HTTP proxy in front of `vantio serve` that forwards each request and, for the first
    `drops` POSTs, closes the connection after the upstream answered, without answering."""

    upstream: str
    drops: int
    seen: list[tuple[str, str, int, dict[str, str]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        proxy = self
        forward = httpx.Client(base_url=self.upstream, timeout=30)
        self.forward = forward

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def handle_any(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                headers = {
                    k: v
                    for k, v in self.headers.items()
                    if k.lower() not in ("host", "content-length", "connection")
                }
                answer = forward.request(self.command, self.path, content=body, headers=headers)
                proxy.seen.append(
                    (
                        self.command,
                        self.headers.get("idempotency-key", ""),
                        answer.status_code,
                        dict(answer.headers),
                    )
                )
                if self.command == "POST" and proxy.drops > 0:
                    proxy.drops -= 1
                    self.close_connection = (
                        True  # the upstream did the work; the client hears nothing
                    )
                    return
                self.send_response(answer.status_code)
                for name, value in answer.headers.items():
                    if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                        self.send_header(name, value)
                self.send_header("content-length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            do_GET = do_POST = do_PUT = do_DELETE = handle_any

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.forward.close()


@pytest.mark.slow
def test_retry_after_a_dropped_connection_replays_instead_of_duplicating(
    vantio_server: VantioServer, client: Vantio
) -> None:
    f = make_funnel(client)
    proxy = DroppingProxy(vantio_server.base_url, drops=1)
    try:
        with Vantio(api_key=vantio_server.api_key, base_url=proxy.url, retry=FAST) as via_proxy:
            referral = via_proxy.referrals.create(
                impression_id=f["impression"]["id"],
                first_name="Lost",
                last_name="Answer",
                email=unique_email(),
            )
    finally:
        proxy.close()
    posts = [s for s in proxy.seen if s[0] == "POST"]
    assert len(posts) == 2
    assert posts[0][1] == posts[1][1]  # the same Idempotency-Key on the retry
    assert (posts[0][2], posts[1][2]) == (200, 200)
    assert "idempotent-replayed" not in posts[0][3]
    assert posts[1][3]["idempotent-replayed"] == "true"  # the stored answer, not a second run
    listed = client.referrals.list(program_id=f["program"]["id"])
    assert [r["id"] for r in listed] == [referral["id"]]  # exactly one object was created


# ---------------------------------------------------------------- a real webhook delivery


@pytest.mark.slow
def test_a_real_delivery_verifies(
    client: Vantio, scripted: list[Scripted], vantio_server: VantioServer
) -> None:
    """`vantio serve` (with its in-process worker) delivers to a real receiver; the SDK's
    verify accepts exactly those bytes and headers, and refuses them once tampered with."""
    receiver = serve(scripted)
    endpoint = client.webhook_endpoints.create(
        url=f"{receiver.url}/hooks", events=["referral.created", "voucher.created"]
    )
    f = make_funnel(client)
    referral = client.referrals.create(
        impression_id=f["impression"]["id"],
        first_name="Web",
        last_name="Hook",
        email=unique_email(),
    )
    voucher = client.vouchers.create(code=f"HOOK{referral['id'][-6:]}", type="fixed", value=100)
    deadline = time.monotonic() + 60
    while len(receiver.seen) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(receiver.seen) == 2, "no deliveries within 60 s"
    events = {}
    for seen in receiver.seen:
        event = vantio_client.webhooks.verify(seen.body, seen.headers, endpoint["secret"])
        events[event["type"]] = (event, seen)
    assert events["referral.created"][0]["data"]["id"] == referral["id"]
    assert events["voucher.created"][0]["data"]["id"] == voucher["id"]
    assert "x-voucher-signature" in events["voucher.created"][1].headers  # checked by verify
    assert "x-voucher-signature" not in events["referral.created"][1].headers
    delivery = events["referral.created"][1]
    with pytest.raises(vantio_client.WebhookVerificationError):
        vantio_client.webhooks.verify(
            delivery.body.replace(b"Hook", b"Hack"), delivery.headers, endpoint["secret"]
        )
    with pytest.raises(vantio_client.WebhookVerificationError, match="old"):
        vantio_client.webhooks.verify(
            delivery.body, delivery.headers, endpoint["secret"], now=time.time() + 3600
        )
    client.webhook_endpoints.delete(endpoint["id"])


@pytest.mark.slow
def test_voucher_export_built_by_the_worker(client: Vantio) -> None:
    voucher = client.vouchers.create(
        code=f"EXP{secrets.token_hex(3).upper()}", type="fixed", value=250
    )
    order: Order = {"value": 5000, "currency": "USD", "items": [{"id": "sku", "price": 5000}]}
    client.vouchers.apply(code=voucher["code"], order_id="order_exp", order=order)
    started = client.voucher_analytics.create_export(
        voucher_ids=[voucher["id"]], metrics=["uses", "discount"], format="json"
    )
    assert started["status"] == "processing"
    deadline = time.monotonic() + 60
    export = client.voucher_analytics.get_export(started["export_id"])
    while export["status"] == "processing" and time.monotonic() < deadline:
        time.sleep(0.2)
        export = client.voucher_analytics.get_export(started["export_id"])
    assert export["status"] == "completed", export
    content = json.loads(client.voucher_analytics.download_export(started["export_id"]))
    assert voucher["id"] in json.dumps(content)


ONLY_HTTPX = """
import sys

ALLOWED = {"vantio_client", "httpx", "httpcore", "h11", "anyio", "sniffio", "idna", "certifi",
           "exceptiongroup", "typing_extensions", "_distutils_hack"}

class Block:
    def find_spec(self, name, path=None, target=None):
        top = name.partition(".")[0]
        if top in sys.stdlib_module_names or top in ALLOWED:
            return None
        raise ImportError(f"not a dependency of vantio-client: {name}")

sys.meta_path.insert(0, Block())
from vantio_client import Vantio

with Vantio() as client:
    program = client.programs.create(name="Standalone", landing_url="https://example.com")
    print(client.programs.get(program["id"])["name"])
"""


@pytest.mark.slow
def test_the_sdk_runs_with_httpx_alone(vantio_server: VantioServer) -> None:
    """Every import other than the standard library and httpx's own is refused: the SDK still
    talks to the server (integrators do not install the server's dependencies)."""
    env = {
        **vantio_server.env,
        "VANTIO_API_KEY": vantio_server.api_key,
        "VANTIO_BASE_URL": vantio_server.base_url,
    }
    done = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", ONLY_HTTPX],
        env=env,
        cwd="/",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout.strip()) == (0, "Standalone"), done.stderr
