from typing import Annotated

from fastapi import APIRouter, Query

from vantio.events import service
from vantio.events.models import Event
from vantio.events.schemas import EventList, EventOut
from vantio.kit.schemas import EventId
from vantio.routing import AuthDep, ReferralPageDep, ReferralRoute, SessionDep

router = APIRouter(prefix="/events", tags=["Events"], route_class=ReferralRoute)


def to_out(event: Event) -> EventOut:
    return EventOut(
        id=event.id,
        type=event.type,
        event=event.type,
        created_at=event.created_at,
        livemode=event.livemode,
        data=event.data,
    )


@router.get("", response_model=EventList)
async def list_events(
    session: SessionDep,
    auth: AuthDep,
    page: ReferralPageDep,
    type: Annotated[str | None, Query(description="Only events of this type")] = None,
) -> EventList:
    """List events, newest first."""
    rows, has_more = await service.list_events(session, auth, type=type, page=page)
    return EventList(events=[to_out(e) for e in rows], has_more=has_more)


@router.get("/{id}", response_model=EventOut)
async def get_event(session: SessionDep, auth: AuthDep, id: EventId) -> EventOut:
    """Retrieve an event."""
    return to_out(await service.get_event_or_raise(session, auth, event_id=id))
