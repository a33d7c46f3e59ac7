from typing import Annotated

from fastapi import APIRouter, Query

from vantio.events import service
from vantio.events.models import Event
from vantio.events.schemas import EventList, EventOut, Redelivery
from vantio.http.dependencies import AuthDep, ReferralPageDep, SessionDep
from vantio.http.routes import ReferralRoute, idempotent
from vantio.kit.schemas import EventId
from vantio.webhooks.models import WebhookAttempt
from vantio.webhooks.schemas import DeliveryAttemptOut, RedeliverRequest

router = APIRouter(prefix="/events", tags=["Events"], route_class=ReferralRoute)


def to_out(event: Event, attempts: list[WebhookAttempt]) -> EventOut:
    return EventOut(
        id=event.id,
        type=event.type,
        event=event.type,
        created_at=event.created_at,
        livemode=event.livemode,
        data=event.data,
        delivery_attempts=[DeliveryAttemptOut.of(a) for a in attempts],
    )


@router.get("", response_model=EventList)
async def list_events(
    session: SessionDep,
    auth: AuthDep,
    page: ReferralPageDep,
    type: Annotated[
        str | None,
        Query(
            description="Only events of this type",
            max_length=64,
            pattern=r"^[a-z_]+(\.[a-z_]+)*$",
        ),
    ] = None,
) -> EventList:
    """List events, newest first, each with its webhook delivery attempts."""
    rows, has_more = await service.list_events(session, auth, type=type, page=page)
    attempts = await service.attempts_of(session, auth, event_ids=[e.id for e in rows])
    return EventList(events=[to_out(e, attempts[e.id]) for e in rows], has_more=has_more)


@router.get("/{id}", response_model=EventOut)
async def get_event(session: SessionDep, auth: AuthDep, id: EventId) -> EventOut:
    """Retrieve an event with its webhook delivery attempts."""
    event = await service.get_event_or_raise(session, auth, event_id=id)
    attempts = await service.attempts_of(session, auth, event_ids=[event.id])
    return to_out(event, attempts[event.id])


@router.post("/{id}/redeliver", response_model=Redelivery)
@idempotent("events.redeliver")
async def redeliver_event(
    session: SessionDep, auth: AuthDep, id: EventId, body: RedeliverRequest | None = None
) -> Redelivery:
    """Send an event again to one endpoint (`endpoint_id`) or to every subscribed endpoint."""
    endpoint_id = body.endpoint_id if body is not None else None
    targets = await service.redeliver(session, auth, event_id=id, endpoint_id=endpoint_id)
    return Redelivery(event_id=id, endpoint_ids=targets)
