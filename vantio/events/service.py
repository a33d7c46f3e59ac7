"""Events: one row per state change, in the same transaction as the change.

Every event is written by `write`, with one delivery job per webhook endpoint that subscribes to
it, in that same transaction: a rolled-back change sends nothing, a committed one is never lost.
Services record one event with `record`; the scan's group commit writes a batch with `write`.

Events depend on webhooks, never the other way: the writer asks webhooks who subscribes and
enqueues webhooks' delivery jobs, and the delivery job (`events.jobs`) hands webhooks the stored
body to send.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import Connection, Table, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from vantio.auth.context import AuthContext
from vantio.db import bulk, repository
from vantio.errors import NotFound
from vantio.events.models import Event
from vantio.kit.ids import new_ids
from vantio.kit.pagination import Page
from vantio.kit.time import utc_now
from vantio.webhooks import dispatch, signing
from vantio.webhooks import schemas as webhook_schemas
from vantio.webhooks import service as webhook_service
from vantio.webhooks.models import WebhookAttempt
from vantio.webhooks.schemas import EVENT_TYPES, HIGH_VOLUME
from vantio.worker import jobs

_KNOWN_TYPES = frozenset(EVENT_TYPES)
_EVENTS = cast(Table, Event.__table__)


class NewEvent(NamedTuple):
    """An event to write: whose it is, what happened (`type`, `data`: JSON values) and when."""

    account_id: str
    livemode: bool
    type: str
    data: dict[str, Any]
    created_at: datetime


class Written(NamedTuple):
    event_ids: list[str]
    deliveries: int  # delivery jobs enqueued


def write(connection: Connection, events: Sequence[NewEvent]) -> Written:
    """Write events in the connection's transaction, each with a delivery job per endpoint that
    subscribes to it, and the NOTIFY that wakes the workers when it commits.

    Blocking Core, so that the scan's batches (on a blocking connection) and services (through
    `record`) share it. The webhook body is serialized here, once, except for a high-volume type
    (`impression.created`) that no endpoint takes: a later redelivery serializes its data then.
    """
    subscriptions: dict[tuple[str, bool], webhook_service.Subscriptions] = {}
    rows: list[dict[str, Any]] = []
    deliveries: list[tuple[str, dict[str, Any]]] = []
    event_ids = new_ids("evt", len(events))
    for event, event_id in zip(events, event_ids, strict=True):
        if event.type not in _KNOWN_TYPES:
            raise ValueError(f"unknown event type {event.type!r}: add it to EventType")
        owner = (event.account_id, event.livemode)
        found = subscriptions.get(owner)
        if found is None:
            found = subscriptions[owner] = webhook_service.subscriptions(connection, event)
        endpoint_ids = found.endpoint_ids(event.type)
        rows.append(
            {
                "id": event_id,
                "account_id": event.account_id,
                "livemode": event.livemode,
                "created_at": event.created_at,
                "type": event.type,
                "data": event.data,
                "body": _serialize(event_id, event)
                if endpoint_ids or event.type not in HIGH_VOLUME
                else None,
            }
        )
        deliveries.extend(
            dispatch.delivery_job(event_id=event_id, endpoint_id=endpoint_id)
            for endpoint_id in endpoint_ids
        )
    if rows:
        bulk.insert_many(connection, _EVENTS, rows)  # the scan writes a batch at a time
    jobs.add_many(connection, deliveries)
    return Written(event_ids, len(deliveries))


async def record(
    session: AsyncSession, owner: repository.Owner, *, type: str, data: dict[str, Any]
) -> str:
    """Record one event in the session's transaction (see `write`); returns its id."""
    event = NewEvent(owner.account_id, owner.livemode, type, data, utc_now())
    return (await session.run_sync(write_in_session, [event]))[0]


def write_in_session(session: Session, events: Sequence[NewEvent]) -> list[str]:
    """`write` in a session's transaction (from `run_sync`), waking this process's workers when
    it commits if a delivery was enqueued; returns the events' ids."""
    written = write(session.connection(), events)
    if written.deliveries:
        jobs.wake_local_workers_at_commit(session)
    return written.event_ids


def _serialize(event_id: str, event: NewEvent | Event) -> str:
    return signing.serialize(
        event_id=event_id,
        type=event.type,
        created_at=event.created_at,
        livemode=event.livemode,
        data=event.data,
    )


def body_of(event: Event) -> str:
    """The bytes every delivery of the event sends: those stored when it was recorded, or its
    stored data serialized the same way (a high-volume event that no endpoint took then)."""
    return event.body or _serialize(event.id, event)


async def get_event_or_raise(session: AsyncSession, auth: AuthContext, *, event_id: str) -> Event:
    event = await repository.get(session, Event, auth, event_id)
    if event is None:
        raise NotFound(f"No event with id {event_id}")
    return event


async def list_events(
    session: AsyncSession, auth: AuthContext, *, type: str | None, page: Page
) -> tuple[Sequence[Event], bool]:
    query = repository.filter_by(repository.scoped(Event, auth), Event, type=type)
    return await repository.page(session, query, Event, page)


async def attempts_of(
    session: AsyncSession, auth: AuthContext, *, event_ids: Sequence[str]
) -> dict[str, list[WebhookAttempt]]:
    """The delivery attempts of these events, oldest first, by event."""
    result: dict[str, list[WebhookAttempt]] = {event_id: [] for event_id in event_ids}
    if not event_ids:
        return result
    rows = (
        await session.scalars(
            repository.scoped(WebhookAttempt, auth)
            .where(WebhookAttempt.event_id.in_(list(event_ids)))
            .order_by(WebhookAttempt.id)
        )
    ).all()
    for row in rows:
        result[row.event_id].append(row)
    return result


async def redeliver(
    session: AsyncSession, auth: AuthContext, *, event_id: str, endpoint_id: str | None
) -> list[str]:
    """Send an event again, now, to one endpoint or to every endpoint that subscribes to it."""
    event = await get_event_or_raise(session, auth, event_id=event_id)
    targets = await webhook_service.redelivery_targets(
        session, auth, event_type=event.type, endpoint_id=endpoint_id
    )
    for target in targets:
        await dispatch.enqueue_delivery(session, event_id=event.id, endpoint_id=target)
    return targets


async def deliveries_to(
    session: AsyncSession, auth: AuthContext, *, endpoint_id: str, page: Page
) -> tuple[list[tuple[WebhookAttempt, Event | None]], bool]:
    """An endpoint's delivery attempts, newest first, each with its event (None once the event
    is gone)."""
    query = repository.scoped(WebhookAttempt, auth).where(WebhookAttempt.endpoint_id == endpoint_id)
    attempts, more = await repository.page(session, query, WebhookAttempt, page)
    event_ids = list({a.event_id for a in attempts})
    events = (
        {
            e.id: e
            for e in await session.scalars(
                repository.scoped(Event, auth).where(Event.id.in_(event_ids))
            )
        }
        if event_ids
        else {}
    )
    return [(a, events.get(a.event_id)) for a in attempts], more


async def failure_streak(session: AsyncSession, auth: AuthContext, *, endpoint_id: str) -> int:
    """How many attempts to the endpoint failed since its last success (all of them if none
    succeeded)."""
    scoped = repository.scoped(WebhookAttempt, auth).where(
        WebhookAttempt.endpoint_id == endpoint_id
    )
    last_success = await session.scalar(
        select(func.max(WebhookAttempt.id)).where(
            repository.owned_by(WebhookAttempt, auth),
            WebhookAttempt.endpoint_id == endpoint_id,
            WebhookAttempt.succeeded.is_(True),
        )
    )
    failed = scoped.where(WebhookAttempt.succeeded.is_(False))
    if last_success is not None:
        failed = failed.where(WebhookAttempt.id > last_success)
    return int(await session.scalar(select(func.count()).select_from(failed.subquery())) or 0)


async def send_test(session: AsyncSession, auth: AuthContext, *, endpoint_id: str) -> Event | None:
    """Send the newest event the endpoint subscribes to again, to it alone, now: a real,
    signed delivery to test the receiver with. None when there is no such event yet."""
    endpoint = await webhook_service.get_endpoint_or_raise(session, auth, endpoint_id=endpoint_id)
    types = [t for t in EVENT_TYPES if webhook_schemas.subscribes(endpoint.events, t)]
    if not types:
        return None
    event = (
        await session.scalars(
            repository.scoped(Event, auth)
            .where(Event.type.in_(types))
            .order_by(Event.id.desc())
            .limit(1)
        )
    ).first()
    if event is None:
        return None
    await redeliver(session, auth, event_id=event.id, endpoint_id=endpoint.id)
    return event
