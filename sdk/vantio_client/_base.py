"""Logic shared by the sync and async clients: options, retry decisions, cache, bodies."""

from __future__ import annotations

import email.utils
import json
import random
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from vantio_client._errors import VantioError, error_from_response
from vantio_client.types import Page

__version__ = "0.2.0"
DEFAULT_BASE_URL = "http://127.0.0.1:3000"
USER_AGENT = f"vantio-client-python/{__version__}"
RETRYABLE_STATUS = frozenset({429, *range(500, 600)})


@dataclass(frozen=True)
class RetryPolicy:
    """When and how long to wait before retrying a call.

    Retries happen on network errors (no answer), 429 and 5xx, never on other 4xx.
    The wait before retry ``n`` (0-based) is ``min(max_delay, initial_delay * 2**n)`` with
    "equal jitter" (a uniformly random half of it added to the other half), unless the server
    sent ``Retry-After``: then exactly that long. A ``Retry-After`` above ``max_retry_after``
    is not waited for: the error is raised at once.
    """

    max_retries: int = 3
    initial_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0

    def delay(self, retry: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number ``retry`` (0-based)."""
        if retry_after is not None:
            return max(0.0, retry_after)
        ceiling = min(self.max_delay, self.initial_delay * (2.0**retry))
        return ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 (jitter, not crypto)

    def should_retry(self, retry: int, status: int | None, retry_after: float | None) -> bool:
        """Whether a call that ended with ``status`` (``None``: no answer) is retried now."""
        if retry >= self.max_retries:
            return False
        if status is not None and status not in RETRYABLE_STATUS:
            return False
        return retry_after is None or retry_after <= self.max_retry_after


def parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds, from either of its forms (seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def new_idempotency_key() -> str:
    """A fresh random key: generated once per call, reused by every retry of that call."""
    return str(uuid.uuid4())


def new_request_id() -> str:
    return f"req_{uuid.uuid4().hex}"


def body_of(fields: Mapping[str, Any], extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A JSON body from keyword arguments: ``None`` means "not sent"."""
    body = {k: v for k, v in fields.items() if v is not None}
    if extra:
        body.update(extra)
    return body


def query_of(params: Mapping[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (params or {}).items() if v is not None}


@dataclass
class Options:
    """Settings shared by a client and its resources."""

    api_key: str
    base_url: str
    retry: RetryPolicy
    cache: TTLCache | None
    headers: dict[str, str]

    def request_headers(
        self, method: str, idempotency_key: str | None, request_id: str
    ) -> dict[str, str]:
        headers = {
            "Authorization": f"Bearer {self.api_key}",
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
            "X-Request-Id": request_id,
            **self.headers,
        }
        if method == "POST":
            headers["Idempotency-Key"] = idempotency_key or new_idempotency_key()
        return headers


def check_api_key(api_key: str | None) -> str:
    if not api_key:
        raise ValueError("api_key is required (an sk_test_... or sk_live_... secret key)")
    return api_key


def result_of(response: httpx.Response, request_id: str, raw: bool) -> Any:
    """The decoded body of a 2xx answer (``bytes`` when ``raw``), or the typed error."""
    rid = response.headers.get("x-request-id") or request_id
    if response.status_code >= 400:
        raise error_from_response(
            response.status_code,
            response.content,
            request_id=rid,
            retry_after=parse_retry_after(response.headers.get("retry-after")),
        )
    if raw:
        return response.content
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError as exc:
        raise VantioError(
            f"expected JSON, got {response.headers.get('content-type')!r}",
            status=response.status_code,
            request_id=rid,
        ) from exc


def items_of(page: Any, key: str) -> tuple[list[Any], bool | None]:
    """The items of one list page and its ``has_more`` (``None`` when the envelope has none)."""
    if not isinstance(page, dict):
        raise VantioError(f"expected a list envelope with {key!r}, got {type(page).__name__}")
    items = page.get(key)
    if not isinstance(items, list):
        raise VantioError(f"expected a list envelope with {key!r}")
    has_more = page.get("has_more")
    return items, has_more if isinstance(has_more, bool) else None


def page_of(body: Any, key: str) -> Page[Any]:
    """A Referral API list answer as a :class:`Page` (the items, with ``has_more``)."""
    items, has_more = items_of(body, key)
    return Page(items, has_more)


# ---------------------------------------------------------------- cache


class TTLCache:
    """An in-memory cache of GET answers for ``ttl`` seconds (thread-safe).

    A write (POST, PUT, DELETE) drops: the object written and every cached GET under its path,
    the lists of its collection, and any cached object whose ID appears in the write's request
    or answer (an earning names its referral; creating it may convert that referral).
    """

    def __init__(
        self,
        ttl: float = 30.0,
        *,
        max_entries: int = 1024,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._clock = clock
        self._entries: dict[str, tuple[float, str, bytes]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> Any:
        """The cached value for ``key`` (a path with its query), or ``None``."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] <= self._clock():
                del self._entries[key]
                return None
            return json.loads(entry[2])

    def set(self, key: str, path: str, value: Any) -> None:
        """Keep ``value`` (stored serialized, so callers cannot mutate the cached copy)."""
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries.pop(next(iter(self._entries)))
            self._entries[key] = (self._clock() + self.ttl, path, json.dumps(value).encode())

    def invalidate(self, path: str, *related: Any) -> None:
        """Forget what a write to ``path`` may have changed (see the class docstring)."""
        ids = set(_strings(related))
        parts = path.rstrip("/").split("/")
        collection = "/".join(parts[:-1]) if len(parts) > 1 else path
        with self._lock:
            for key, (_, cached_path, _) in list(self._entries.items()):
                last = cached_path.rstrip("/").rsplit("/", 1)[-1]
                if (
                    cached_path == path
                    or cached_path.startswith(path + "/")
                    or cached_path in (collection, path.rstrip("/"))
                    or last in ids
                ):
                    del self._entries[key]

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._entries.clear()


def _strings(value: Any, depth: int = 0) -> list[str]:
    if depth > 4:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v, depth + 1)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _strings(v, depth + 1)]
    return []
