"""Events: one row per state change, in the same transaction as the change.

Recording an event also enqueues, in that same transaction, one delivery job per webhook
endpoint that subscribes to it: a rolled-back change sends nothing, a committed one is never lost.
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vantio.auth.context import AuthContext
from vantio.db import repository
from vantio.errors import NotFound
from vantio.events.models import Event
from vantio.kit.ids import new_id
from vantio.kit.pagination import Page
from vantio.kit.time import utc_now
from vantio.webhooks import dispatch, signing
from vantio.webhooks import service as webhook_service
from vantio.webhooks.models import WebhookAttempt
from vantio.webhooks.schemas import EVENT_TYPES

TYPES = EVENT_TYPES


async def record(
    session: AsyncSession, auth: AuthContext, *, type: str, data: dict[str, Any]
) -> Event:
    event_id = new_id("evt")
    created_at = utc_now()
    body = signing.serialize(
        event_id=event_id, type=type, created_at=created_at, livemode=auth.livemode, data=data
    )
    event = Event(
        id=event_id,
        account_id=auth.account_id,
        livemode=auth.livemode,
        type=type,
        data=data,
        body=body,
        created_at=created_at,
    )
    session.add(event)
    for endpoint_id in await webhook_service.subscribed_endpoint_ids(
        session, auth, event_type=type
    ):
        await dispatch.enqueue_delivery(session, event_id=event_id, endpoint_id=endpoint_id)
    return event


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
