"""Delivering one event to one endpoint: what the delivery job (`vantio.events.jobs`) runs.

Three steps, and no transaction is open during the HTTP call: read the endpoint in a short
snapshot (`prepare`; the job reads the event's stored body beside it), POST the body with its
signatures, then record the attempt (and the next retry, or the endpoint's failure streak) in
the job's own transaction, which also removes the job (`run_attempt`). Webhooks knows bodies and
endpoints, never the events package: that one depends on this one.
"""

import asyncio
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from vantio.config import Settings
from vantio.db import repository
from vantio.kit.ids import new_id
from vantio.kit.time import isoformat, utc_now
from vantio.observability.metrics import WEBHOOK_DELIVERIES
from vantio.webhooks import dispatch, signing, ssrf
from vantio.webhooks import service as webhook_service
from vantio.webhooks.models import WebhookAttempt, WebhookEndpoint
from vantio.webhooks.schemas import WebhookEndpointOut
from vantio.worker import jobs

RESPONSE_BYTES_KEPT = 2048
USER_AGENT = "Vantio-Webhooks/1"
# How long a delivery waits for its endpoint's turn in this worker before it steps aside.
GATE_WAIT_SECONDS = 0.5


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str | None
    duration_ms: int
    response_body: str

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def retryable(self) -> bool:
        """Network errors, timeouts, 429 and 5xx; other answers (4xx, 3xx) are final."""
        if self.status_code is None:
            return True
        return self.status_code == 429 or self.status_code >= 500


@dataclass(frozen=True)
class Delivery:
    event_id: str
    event_type: str
    endpoint_id: str
    url: str
    body: bytes
    secrets: list[str]


async def prepare(
    session: AsyncSession,
    *,
    event_id: str,
    event_type: str,
    owner: repository.Owner,
    body: str,
    endpoint_id: str,
) -> Delivery | None:
    """What one attempt sends, read in the caller's snapshot; None when the endpoint is gone,
    disabled, or not the event owner's (nothing more to send)."""
    endpoint = await repository.get(session, WebhookEndpoint, owner, endpoint_id)
    if endpoint is None or endpoint.disabled:
        return None
    return Delivery(
        event_id=event_id,
        event_type=event_type,
        endpoint_id=endpoint.id,
        url=endpoint.url,
        body=body.encode(),
        secrets=webhook_service.signing_secrets(endpoint),
    )


async def run_attempt(
    ctx: jobs.JobContext, delivery: Delivery, *, attempt: int
) -> WebhookEndpoint | None:
    """One attempt of a delivery job: send (no transaction open), then record the outcome in the
    job's transaction. Returns the endpoint when this attempt disabled it (its failures lasted
    too long): the caller records the `webhook_endpoint.disabled` event."""
    gates: dict[str, asyncio.Semaphore] = ctx.resource("webhooks.gates", dict)
    gate = gates.setdefault(
        delivery.endpoint_id, asyncio.Semaphore(ctx.runtime.settings.webhook_endpoint_concurrency)
    )
    try:
        # wait_for, unlike asyncio.timeout, hands back a permit granted as the time ran out.
        await asyncio.wait_for(gate.acquire(), GATE_WAIT_SECONDS)
    except TimeoutError:
        # This endpoint is busy (slow or hanging) in this worker: give the slot to others.
        raise jobs.RetryLater(timedelta(seconds=GATE_WAIT_SECONDS)) from None
    try:
        # Send only with a fresh lease (heartbeats extend it during the call): a worker that
        # stalled after its claim may have lost the job to another, which would send it too.
        settings = ctx.runtime.settings
        ctx.check_lease(settings.worker_lease_seconds / 2)
        client: httpx.AsyncClient = ctx.resource("webhooks.http", _new_client)
        outcome = await send(client, settings, delivery)
    finally:
        gate.release()
    return await record_outcome(ctx, delivery, attempt=attempt, outcome=outcome)


def _new_client() -> httpx.AsyncClient:
    return httpx.AsyncClient(
        follow_redirects=False,
        trust_env=False,
        limits=httpx.Limits(max_connections=256, max_keepalive_connections=64),
    )


async def send(client: httpx.AsyncClient, settings: Settings, delivery: Delivery) -> Outcome:
    """POST the body once; never raises: every failure is an outcome to record."""
    timeout = settings.webhook_timeout_seconds
    started = time.perf_counter()
    status: int | None = None
    error: str | None = None
    kept = bytearray()
    try:
        async with asyncio.timeout(timeout):
            url, headers, extensions = await _request_target(settings, delivery)
            async with client.stream(
                "POST",
                url,
                content=delivery.body,
                headers=headers,
                extensions=extensions,
                timeout=timeout,
            ) as response:
                status = response.status_code
                async for chunk in response.aiter_bytes():
                    kept += chunk
                    if len(kept) >= RESPONSE_BYTES_KEPT:
                        break
    except TimeoutError:
        error = f"timeout: no complete answer within {timeout:g} s"
    except httpx.TimeoutException:
        error = f"timeout: no complete answer within {timeout:g} s"
    except ssrf.UrlNotAllowed as exc:
        error = f"refused: {exc}"
        status = None
    except (httpx.HTTPError, OSError) as exc:
        error = f"{type(exc).__name__}: {exc}"[:500] or type(exc).__name__
    if error is not None:
        status = None
    duration_ms = int((time.perf_counter() - started) * 1000)
    text = bytes(kept[:RESPONSE_BYTES_KEPT]).decode("utf-8", errors="replace")
    return Outcome(status, error, duration_ms, text)


async def _request_target(
    settings: Settings, delivery: Delivery
) -> tuple[httpx.URL, dict[str, str], dict[str, Any]]:
    """The URL to connect to, the headers and the transport extensions of one attempt.

    Unless private addresses are allowed, the host is resolved and checked now (DNS can change
    since the endpoint was saved) and the connection goes to that very address, with the
    original host in `Host` and in TLS SNI, so a second lookup cannot be rebound elsewhere.
    """
    timestamp = int(utc_now().timestamp())
    headers = signing.headers(
        secrets_=delivery.secrets,
        msg_id=delivery.event_id,
        timestamp=timestamp,
        body=delivery.body,
        event_type=delivery.event_type,
    )
    headers["user-agent"] = USER_AGENT
    url = httpx.URL(delivery.url)
    extensions: dict[str, Any] = {}
    if not settings.webhook_allow_private:
        target = await ssrf.resolve_public(delivery.url)
        headers["host"] = url.netloc.decode("ascii")
        if url.scheme == "https":
            extensions["sni_hostname"] = target.host
        url = url.copy_with(host=target.address)
    return url, headers, extensions


async def record_outcome(
    ctx: jobs.JobContext, delivery: Delivery, *, attempt: int, outcome: Outcome
) -> WebhookEndpoint | None:
    """Keep the attempt, schedule the next one, and count the endpoint's failures; returns the
    endpoint when this attempt disabled it."""
    settings = ctx.runtime.settings
    session = ctx.session
    now = utc_now()
    schedule = settings.webhook_retry_schedule
    next_retry_at: datetime | None = None
    if not outcome.succeeded and outcome.retryable and attempt <= len(schedule):
        next_retry_at = now + timedelta(seconds=schedule[attempt - 1])
    WEBHOOK_DELIVERIES.labels(
        "succeeded" if outcome.succeeded else "retrying" if next_retry_at else "failed"
    ).inc()
    endpoint = await session.get(WebhookEndpoint, delivery.endpoint_id)
    if endpoint is None:
        return None  # deleted while we were sending
    session.add(
        WebhookAttempt(
            id=new_id("wha"),
            account_id=endpoint.account_id,
            livemode=endpoint.livemode,
            created_at=now,
            event_id=delivery.event_id,
            endpoint_id=delivery.endpoint_id,
            attempt=attempt,
            status_code=outcome.status_code,
            error=outcome.error,
            duration_ms=outcome.duration_ms,
            response_body=outcome.response_body,
            succeeded=outcome.succeeded,
            next_retry_at=next_retry_at,
        )
    )
    if next_retry_at is not None:
        await dispatch.enqueue_delivery(
            session,
            event_id=delivery.event_id,
            endpoint_id=delivery.endpoint_id,
            attempt=attempt + 1,
            run_at=next_retry_at,
        )
    if outcome.succeeded:
        if endpoint.failing_since is not None:
            await session.execute(
                update(WebhookEndpoint)
                .where(WebhookEndpoint.id == endpoint.id)
                .values(failing_since=None)
            )
        return None
    return await _count_failure(ctx, endpoint, now)


async def _count_failure(
    ctx: jobs.JobContext, endpoint: WebhookEndpoint, now: datetime
) -> WebhookEndpoint | None:
    """Start the endpoint's failure streak, or disable it once the streak is old enough (and
    return it, disabled)."""
    session = ctx.session
    if endpoint.failing_since is None:
        await session.execute(
            update(WebhookEndpoint)
            .where(WebhookEndpoint.id == endpoint.id, WebhookEndpoint.failing_since.is_(None))
            .values(failing_since=now)
        )
        return None
    cutoff = now - timedelta(seconds=ctx.runtime.settings.webhook_disable_after_seconds)
    result = await session.execute(
        update(WebhookEndpoint)
        .where(
            WebhookEndpoint.id == endpoint.id,
            WebhookEndpoint.disabled.is_(False),
            WebhookEndpoint.failing_since <= cutoff,
        )
        .values(disabled=True, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        return None
    webhook_service.endpoints_changed(session)
    await session.refresh(endpoint)
    return endpoint


def disabled_event_data(endpoint: WebhookEndpoint) -> dict[str, Any]:
    """The data of the `webhook_endpoint.disabled` event: the endpoint and why."""
    data = WebhookEndpointOut.of(endpoint).model_dump(mode="json")
    data["disabled_reason"] = "failing"
    data["failing_since"] = isoformat(endpoint.failing_since)
    return data
