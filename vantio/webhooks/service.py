"""Webhook endpoints: the URLs an account's events go to, and their signing secrets."""

import asyncio
import time
from collections.abc import Sequence
from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy import Connection, bindparam, event, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from vantio.auth.context import AuthContext
from vantio.config import Settings
from vantio.db import repository
from vantio.errors import FieldError, NotFound, ReferenceNotFound
from vantio.kit import metadata as metadata_rules
from vantio.kit.ids import new_id
from vantio.kit.pagination import Page
from vantio.kit.time import utc_now
from vantio.webhooks import signing, ssrf
from vantio.webhooks.errors import EndpointDisabled
from vantio.webhooks.models import WebhookEndpoint
from vantio.webhooks.schemas import WebhookEndpointCreate, WebhookEndpointUpdate, subscribes

DNS_TIMEOUT_SECONDS = 5.0


async def check_url(settings: Settings, url: str) -> None:
    """Refuse a URL that resolves to a private, loopback or link-local address (400 naming `url`).

    Called before the request's transaction starts: no lock is held during the DNS lookup.
    """
    if settings.webhook_allow_private:
        return
    try:
        async with asyncio.timeout(DNS_TIMEOUT_SECONDS):
            await ssrf.resolve_public(url)
    except ssrf.UrlNotAllowed as exc:
        raise FieldError("url", str(exc), code="webhook_url_not_allowed") from None
    except TimeoutError:
        raise FieldError("url", ssrf.NOT_PUBLIC, code="webhook_url_not_allowed") from None


async def create_endpoint(
    session: AsyncSession, auth: AuthContext, *, settings: Settings, data: WebhookEndpointCreate
) -> WebhookEndpoint:
    await check_url(settings, data.url)
    endpoint = WebhookEndpoint(
        id=new_id("we"),
        account_id=auth.account_id,
        livemode=auth.livemode,
        url=data.url,
        description=data.description,
        events=data.events,
        disabled=False,
        secret=signing.new_secret(),
        metadata_=data.metadata or {},
    )
    session.add(endpoint)
    endpoints_changed(session)
    await session.flush()
    return endpoint


async def get_endpoint(
    session: AsyncSession, auth: AuthContext, *, endpoint_id: str, for_update: bool = False
) -> WebhookEndpoint | None:
    return await repository.get(session, WebhookEndpoint, auth, endpoint_id, for_update=for_update)


async def get_endpoint_or_raise(
    session: AsyncSession,
    auth: AuthContext,
    *,
    endpoint_id: str,
    field: str | None = None,
    for_update: bool = False,
) -> WebhookEndpoint:
    endpoint = await get_endpoint(session, auth, endpoint_id=endpoint_id, for_update=for_update)
    if endpoint is None and field:  # named in a request's body
        raise ReferenceNotFound(field, "webhook_endpoint", endpoint_id)
    if endpoint is None:
        raise NotFound(
            f"No webhook endpoint with id {endpoint_id}",
            details={"field": field} if field else None,
        )
    return endpoint


async def list_endpoints(
    session: AsyncSession, auth: AuthContext, *, page: Page
) -> tuple[Sequence[WebhookEndpoint], bool]:
    return await repository.page(
        session, repository.scoped(WebhookEndpoint, auth), WebhookEndpoint, page
    )


async def update_endpoint(
    session: AsyncSession,
    auth: AuthContext,
    *,
    settings: Settings,
    endpoint_id: str,
    data: WebhookEndpointUpdate,
) -> WebhookEndpoint:
    if data.url is not None:
        await check_url(settings, data.url)
    endpoint = await get_endpoint_or_raise(session, auth, endpoint_id=endpoint_id, for_update=True)
    if data.url is not None:
        endpoint.url = data.url
    if data.events is not None:
        endpoint.events = data.events
    if "description" in data.model_fields_set:
        endpoint.description = data.description
    if data.disabled is not None:
        if endpoint.disabled and not data.disabled:
            endpoint.failing_since = None  # a fresh start: five more days before disabling
        endpoint.disabled = data.disabled
    if data.metadata is not None:
        endpoint.metadata_ = metadata_rules.merge(endpoint.metadata_, data.metadata)
    endpoint.updated_at = utc_now()
    endpoints_changed(session)
    await session.flush()
    return endpoint


async def delete_endpoint(session: AsyncSession, auth: AuthContext, *, endpoint_id: str) -> None:
    """Delete an endpoint; its queued deliveries find it gone and stop. Attempts stay in history."""
    endpoint = await get_endpoint_or_raise(session, auth, endpoint_id=endpoint_id)
    await session.delete(endpoint)
    endpoints_changed(session)
    await session.flush()


async def rotate_secret(
    session: AsyncSession, auth: AuthContext, *, settings: Settings, endpoint_id: str
) -> WebhookEndpoint:
    """A new secret; the current one keeps signing beside it for the overlap (24 h): in
    `webhook-signature` beside the new one, and alone in the hex headers (`signing.headers`)."""
    endpoint = await get_endpoint_or_raise(session, auth, endpoint_id=endpoint_id, for_update=True)
    now = utc_now()
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = now + timedelta(
        seconds=settings.webhook_secret_overlap_seconds
    )
    endpoint.secret = signing.new_secret()
    endpoint.updated_at = now
    await session.flush()
    return endpoint


async def end_rotation(
    session: AsyncSession, auth: AuthContext, *, endpoint_id: str
) -> WebhookEndpoint:
    """End a rotation's grace period now: from the next attempt on, the new secret alone signs
    every header. Without a rotation under way, nothing changes (ending twice is harmless)."""
    endpoint = await get_endpoint_or_raise(session, auth, endpoint_id=endpoint_id, for_update=True)
    if endpoint.previous_secret is not None or endpoint.previous_secret_expires_at is not None:
        endpoint.previous_secret = None
        endpoint.previous_secret_expires_at = None
        endpoint.updated_at = utc_now()
        await session.flush()
    return endpoint


def signing_secrets(endpoint: WebhookEndpoint) -> list[str]:
    """The secrets that sign a delivery now: the current one first, the previous one (during a
    rotation's grace period) last; see `signing.headers` for which header carries which."""
    result = [endpoint.secret]
    if endpoint.rotation_ends_at() is not None and endpoint.previous_secret:
        result.append(endpoint.previous_secret)
    return result


# The enabled endpoints of one account and mode. Built once, with the owner as bound parameters:
# building the statement costs more than running it (~0.1 ms), and the scan writer runs it per
# batch.
_OWNER = SimpleNamespace(account_id=bindparam("account_id"), livemode=bindparam("livemode"))
_SUBSCRIPTIONS = (
    select(WebhookEndpoint.id, WebhookEndpoint.events)
    .where(repository.owned_by(WebhookEndpoint, _OWNER), WebhookEndpoint.disabled.is_(False))
    .order_by(WebhookEndpoint.id)
)


class Subscriptions:
    """Who receives an event of one account and mode: its enabled endpoints, by event type."""

    def __init__(self, endpoints: Sequence[tuple[str, list[str]]]) -> None:
        self._endpoints = endpoints
        self._by_type: dict[str, list[str]] = {}

    def endpoint_ids(self, event_type: str) -> list[str]:
        """The endpoints that take this event type, sorted."""
        found = self._by_type.get(event_type)
        if found is None:
            found = [id for id, events in self._endpoints if subscribes(events, event_type)]
            self._by_type[event_type] = found
        return found


# Who subscribes, remembered per account and mode for a short while: every event asks, and the
# answer changes only when an endpoint does. A change made in this process forgets at once (when
# made and again when it commits); one made by another process is seen within this many seconds.
# Remembering "subscribed" a moment too long costs nothing (the delivery finds the endpoint gone
# or disabled and stops); a new endpoint, or new event types, of another process's making receive
# this process's events from at most this many seconds after they commit.
SUBSCRIPTIONS_CACHE_SECONDS = 2.0
_remembered: dict[tuple[str, bool], tuple[Subscriptions, float]] = {}
_generation = 0
_MAX_REMEMBERED = 10_000


def forget_subscriptions() -> None:
    """Forget every remembered subscription (an endpoint changed in this process)."""
    global _generation
    _generation += 1
    _remembered.clear()


def _forget_at_commit(_session: Session) -> None:
    forget_subscriptions()


def endpoints_changed(session: AsyncSession) -> None:
    """An endpoint changed in this session: forget subscriptions now and when it commits."""
    forget_subscriptions()
    if not event.contains(session.sync_session, "after_commit", _forget_at_commit):
        event.listen(session.sync_session, "after_commit", _forget_at_commit)


def subscriptions(connection: Connection, owner: repository.Owner) -> Subscriptions:
    """The subscriptions of an account and mode, in the connection's transaction (blocking Core:
    the event writer runs it in the scan's batches and in request transactions alike), or as
    this process remembers them (see SUBSCRIPTIONS_CACHE_SECONDS)."""
    key = (owner.account_id, owner.livemode)
    now = time.monotonic()
    found = _remembered.get(key)
    if found is not None and found[1] > now:
        return found[0]
    generation = _generation
    rows = connection.execute(
        _SUBSCRIPTIONS, {"account_id": owner.account_id, "livemode": owner.livemode}
    )
    result = Subscriptions([(row.id, row.events) for row in rows])
    if generation == _generation:
        if len(_remembered) >= _MAX_REMEMBERED:
            _remembered.clear()
        _remembered[key] = (result, now + SUBSCRIPTIONS_CACHE_SECONDS)
    return result


async def redelivery_targets(
    session: AsyncSession, auth: AuthContext, *, event_type: str, endpoint_id: str | None
) -> list[str]:
    """One named endpoint (even if it does not subscribe to the type), or all subscribed ones."""
    if endpoint_id is None:
        found = await session.run_sync(lambda sync: subscriptions(sync.connection(), auth))
        return found.endpoint_ids(event_type)
    endpoint = await get_endpoint_or_raise(
        session, auth, endpoint_id=endpoint_id, field="endpoint_id"
    )
    if endpoint.disabled:
        raise EndpointDisabled(f"Webhook endpoint {endpoint_id} is disabled; enable it first")
    return [endpoint.id]
