"""A real HTTP receiver on 127.0.0.1 for the webhook tests (no mocked transport).

Not a test module: it holds the `Receiver` the webhook and worker tests start. Each path can be
given a plan of answers (status, delay); every request is recorded with its start and end times.
"""

import asyncio
import contextlib
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import uvicorn


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    started: float
    finished: float = 0.0
    status: int = 0


@dataclass
class Receiver:
    requests: list[Received] = field(default_factory=list)
    plans: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    # When set (and no plan is queued), the status is what this answers for the request: a
    # receiver that checks signatures, e.g. the seeds' hex HMAC with the secret it holds.
    decide: "Callable[[Received], int] | None" = None
    default: tuple[int, float] = (200, 0.0)
    answer_body: bytes = b'{"received":true}'
    in_flight: int = 0
    port: int = 0
    _server: uvicorn.Server | None = None
    _task: "asyncio.Task[None] | None" = None

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def plan(self, path: str, *answers: tuple[int, float]) -> None:
        """The next answers for this path, in order; then the default."""
        self.plans[path] = list(answers)

    def on(self, path: str) -> list[Received]:
        return [r for r in self.requests if r.path == path]

    async def app(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        started = time.monotonic()
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        path = scope["path"]
        queue = self.plans.get(path)
        status, delay = queue.pop(0) if queue else self.default
        record = Received(
            path=path,
            headers={k.decode().lower(): v.decode() for k, v in scope["headers"]},
            body=b"".join(chunks),
            started=started,
        )
        if self.decide is not None and not queue:
            status = self.decide(record)
        self.in_flight += 1
        try:
            if delay:
                await asyncio.sleep(delay)
            await send(
                {
                    "type": "http.response.start",
                    "status": status,
                    "headers": [(b"content-type", b"application/json")],
                }
            )
            await send({"type": "http.response.body", "body": self.answer_body})
        finally:
            self.in_flight -= 1
            record.finished = time.monotonic()
            record.status = status
            self.requests.append(record)

    async def start(self) -> "Receiver":
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app,
            log_level="warning",
            lifespan="off",
            interface="asgi3",
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._server.capture_signals = contextlib.nullcontext  # type: ignore[assignment,method-assign]
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:
            await asyncio.sleep(0.01)
        return self

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            self._server.force_exit = True
            await asyncio.wait_for(self._task, 10)

    async def wait_for(self, count: int, *, path: str | None = None, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done = self.on(path) if path else self.requests
            if len(done) >= count:
                return
            await asyncio.sleep(0.02)
        got = len(self.on(path) if path else self.requests)
        raise AssertionError(f"receiver got {got} of {count} requests within {timeout} s")
