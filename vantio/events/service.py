"""Events: one row per state change, in the same transaction as the change."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vantio.auth.context import AuthContext
from vantio.db import repository
from vantio.errors import NotFound
from vantio.events.models import Event
from vantio.kit.ids import new_id
from vantio.kit.pagination import Page

TYPES = (
    "referral.created",
    "referral.status_changed",
    "earning.created",
    "earning.status_changed",
    "impression.created",
)


async def record(
    session: AsyncSession, auth: AuthContext, *, type: str, data: dict[str, Any]
) -> Event:
    event = Event(
        id=new_id("evt"), account_id=auth.account_id, livemode=auth.livemode, type=type, data=data
    )
    session.add(event)
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
