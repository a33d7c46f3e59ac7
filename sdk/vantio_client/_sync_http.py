# Generated from _async_http.py by sdk/tools/unasync.py: do not edit by hand.
"""The request loop: auth, idempotency keys, retries, cache, pagination."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlencode

import httpx

from vantio_client._base import (
    Options,
    items_of,
    new_request_id,
    parse_retry_after,
    query_of,
    result_of,
)
from vantio_client._errors import APIConnectionError, error_from_response


class SyncHTTP:
    """Sends one API call, retrying it by the client's :class:`RetryPolicy`."""

    def __init__(self, options: Options, client: httpx.Client, *, owns_client: bool) -> None:
        self.options = options
        self.client = client
        self.owns_client = owns_client

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        idempotency_key: str | None = None,
        raw: bool = False,
    ) -> Any:
        """One call: the decoded answer, or a typed :class:`VantioError` after the retries."""
        query = query_of(params)
        cache = self.options.cache
        cache_key = f"{path}?{urlencode(sorted(query.items()), doseq=True)}"
        if method == "GET" and cache is not None and not raw:
            hit = cache.get(cache_key)
            if hit is not None:
                return hit
        request_id = new_request_id()
        # Built once: every retry of this call sends the same Idempotency-Key.
        headers = self.options.request_headers(method, idempotency_key, request_id)
        url = self.options.base_url + path
        retry = 0
        while True:
            request = self.client.build_request(
                method, url, params=query or None, json=json, headers=headers
            )
            try:
                response = self.client.send(request)
            except httpx.TransportError as exc:
                if not self.options.retry.should_retry(retry, None, None):
                    raise APIConnectionError(
                        f"{method} {path}: {type(exc).__name__}: {exc}".rstrip(": "),
                        request_id=request_id,
                    ) from exc
                delay = self.options.retry.delay(retry)
            else:
                status = response.status_code
                retry_after = None
                if status >= 400:
                    error = error_from_response(
                        status,
                        response.content,
                        request_id=response.headers.get("x-request-id") or request_id,
                    )
                    retry_after = parse_retry_after(response.headers.get("retry-after"))
                    error.retry_after = retry_after
                    if not self.options.retry.should_retry(retry, status, retry_after):
                        raise error
                    delay = self.options.retry.delay(retry, retry_after)
                else:
                    result = result_of(response, request_id, raw)
                    if cache is not None:
                        if method == "GET" and not raw:
                            cache.set(cache_key, path, result)
                        elif method != "GET":
                            cache.invalidate(path, json, result)
                    return result
            retry += 1
            time.sleep(delay)

    def paginate(
        self,
        path: str,
        key: str,
        params: Mapping[str, Any] | None = None,
        *,
        page_size: int = 100,
    ) -> Iterator[Any]:
        """Every item of a list, fetching one page at a time, only as the caller iterates."""
        query = dict(query_of(params))
        query["limit"] = page_size
        offset = int(query.pop("offset", 0) or 0)
        while True:
            page = self.request("GET", path, params={**query, "offset": offset})
            items, has_more = items_of(page, key)
            for item in items:
                offset += 1
                yield item
            if not items or has_more is False or (has_more is None and len(items) < page_size):
                return

    def close(self) -> None:
        if self.owns_client:
            self.client.close()
