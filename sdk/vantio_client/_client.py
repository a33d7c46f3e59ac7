"""``Vantio`` (sync) and ``AsyncVantio``: one client per API key, both API surfaces."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

import httpx

from vantio_client import _async_resources as ar
from vantio_client import _sync_resources as sr
from vantio_client._async_http import AsyncHTTP
from vantio_client._base import (
    DEFAULT_BASE_URL,
    Options,
    RetryPolicy,
    TTLCache,
    check_api_key,
)
from vantio_client._batch import BatchResult, run_async, run_sync
from vantio_client._sync_http import SyncHTTP

I = TypeVar("I")  # noqa: E741
R = TypeVar("R")


def _options(
    api_key: str | None,
    base_url: str | None,
    max_retries: int | None,
    retry: RetryPolicy | None,
    cache_ttl: float | None,
    headers: dict[str, str] | None,
) -> Options:
    policy = retry or RetryPolicy()
    if max_retries is not None:
        policy = RetryPolicy(
            max_retries=max_retries,
            initial_delay=policy.initial_delay,
            max_delay=policy.max_delay,
            max_retry_after=policy.max_retry_after,
        )
    return Options(
        api_key=check_api_key(api_key or os.environ.get("VANTIO_API_KEY")),
        base_url=(base_url or os.environ.get("VANTIO_BASE_URL") or DEFAULT_BASE_URL).rstrip("/"),
        retry=policy,
        cache=TTLCache(cache_ttl) if cache_ttl else None,
        headers=dict(headers or {}),
    )


class Vantio:
    """The synchronous client.

    >>> client = Vantio(api_key="sk_test_...", base_url="http://127.0.0.1:3000")
    >>> client.referrals.get("ref_...")

    ``api_key`` and ``base_url`` default to ``$VANTIO_API_KEY`` and ``$VANTIO_BASE_URL``.
    ``max_retries`` (default 3) or a whole ``retry`` policy sets the retries; ``cache_ttl``
    (seconds, off by default) turns on the GET cache. ``transport`` or ``http_client`` lets you
    bring your own httpx transport or client (proxies, mounts, tests).
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float | httpx.Timeout = 30.0,
        max_retries: int | None = None,
        retry: RetryPolicy | None = None,
        cache_ttl: float | None = None,
        headers: dict[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
        http_client: httpx.Client | None = None,
    ) -> None:
        self._options = _options(api_key, base_url, max_retries, retry, cache_ttl, headers)
        owns = http_client is None
        client = http_client or httpx.Client(timeout=timeout, transport=transport)
        self._http = SyncHTTP(self._options, client, owns_client=owns)
        self.programs = sr.Programs(self._http)
        self.users = sr.Users(self._http)
        self.posters = sr.Posters(self._http)
        self.impressions = sr.Impressions(self._http)
        self.referrals = sr.Referrals(self._http)
        self.earnings = sr.Earnings(self._http)
        self.payouts = sr.Payouts(self._http)
        self.webhook_endpoints = sr.WebhookEndpoints(self._http)
        self.events = sr.Events(self._http)
        self.analytics = sr.Analytics(self._http)
        self.vouchers = sr.Vouchers(self._http)
        self.campaigns = sr.Campaigns(self._http)
        self.voucher_analytics = sr.VoucherAnalytics(self._http)

    @property
    def cache(self) -> TTLCache | None:
        """The GET cache, if ``cache_ttl`` turned it on (``client.cache.clear()`` empties it)."""
        return self._options.cache

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        idempotency_key: str | None = None,
    ) -> Any:
        """Call any path (e.g. one this version has no method for) with retries and auth."""
        return self._http.request(
            method, path, params=params, json=json, idempotency_key=idempotency_key
        )

    def batch(
        self, items: Iterable[I], fn: Callable[[I], R], *, concurrency: int = 5
    ) -> BatchResult[I, R]:
        """Call ``fn(item)`` for each item, ``concurrency`` at a time (threads).

        Returns a :class:`BatchResult`: ``results`` in input order, and ``errors`` (index, item,
        exception) in input order; one failure never stops the others.
        """
        return run_sync(items, fn, concurrency)

    def close(self) -> None:
        """Close the connections (only those of an httpx client this client created)."""
        self._http.close()

    def __enter__(self) -> Vantio:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class AsyncVantio:
    """The asyncio client; the same resources and methods as :class:`Vantio`, awaited.

    >>> async with AsyncVantio(api_key="sk_test_...") as client:
    ...     referral = await client.referrals.get("ref_...")
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float | httpx.Timeout = 30.0,
        max_retries: int | None = None,
        retry: RetryPolicy | None = None,
        cache_ttl: float | None = None,
        headers: dict[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self._options = _options(api_key, base_url, max_retries, retry, cache_ttl, headers)
        owns = http_client is None
        client = http_client or httpx.AsyncClient(timeout=timeout, transport=transport)
        self._http = AsyncHTTP(self._options, client, owns_client=owns)
        self.programs = ar.AsyncPrograms(self._http)
        self.users = ar.AsyncUsers(self._http)
        self.posters = ar.AsyncPosters(self._http)
        self.impressions = ar.AsyncImpressions(self._http)
        self.referrals = ar.AsyncReferrals(self._http)
        self.earnings = ar.AsyncEarnings(self._http)
        self.payouts = ar.AsyncPayouts(self._http)
        self.webhook_endpoints = ar.AsyncWebhookEndpoints(self._http)
        self.events = ar.AsyncEvents(self._http)
        self.analytics = ar.AsyncAnalytics(self._http)
        self.vouchers = ar.AsyncVouchers(self._http)
        self.campaigns = ar.AsyncCampaigns(self._http)
        self.voucher_analytics = ar.AsyncVoucherAnalytics(self._http)

    @property
    def cache(self) -> TTLCache | None:
        """The GET cache, if ``cache_ttl`` turned it on."""
        return self._options.cache

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        idempotency_key: str | None = None,
    ) -> Any:
        """Call any path (e.g. one this version has no method for) with retries and auth."""
        return await self._http.request(
            method, path, params=params, json=json, idempotency_key=idempotency_key
        )

    async def batch(
        self, items: Iterable[I], fn: Callable[[I], Awaitable[R]], *, concurrency: int = 5
    ) -> BatchResult[I, R]:
        """Await ``fn(item)`` for each item, at most ``concurrency`` at a time.

        Returns a :class:`BatchResult`: ``results`` in input order, and ``errors`` (index, item,
        exception) in input order; one failure never stops the others.
        """
        return await run_async(items, fn, concurrency)

    async def aclose(self) -> None:
        """Close the connections (only those of an httpx client this client created)."""
        await self._http.aclose()

    async def __aenter__(self) -> AsyncVantio:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()
