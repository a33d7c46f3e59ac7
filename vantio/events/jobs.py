"""The delivery job: one stored event sent to one endpoint, for the worker's registry.

It lives with events, not webhooks, so that the dependency goes one way (events → webhooks):
events reads the event and records the `webhook_endpoint.disabled` event that a failing
endpoint's last attempt causes; webhooks sends the body and keeps the attempt.
"""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vantio.auth.context import owner_of
from vantio.events import service
from vantio.events.models import Event
from vantio.webhooks import delivery, dispatch
from vantio.webhooks.schemas import EventType
from vantio.worker import jobs


@jobs.handler(dispatch.DELIVER, max_attempts=5)
async def deliver(ctx: jobs.JobContext, payload: dict[str, Any]) -> None:
    async with ctx.snapshot() as session:
        sending = await load_delivery(
            session, event_id=payload["event_id"], endpoint_id=payload["endpoint_id"]
        )
    if sending is None:
        return  # the event or the endpoint is gone, or the endpoint is disabled
    disabled = await delivery.run_attempt(ctx, sending, attempt=int(payload.get("attempt", 1)))
    if disabled is not None:
        await service.record(
            ctx.session,
            owner_of(disabled),
            type=EventType.WEBHOOK_ENDPOINT_DISABLED,
            data=delivery.disabled_event_data(disabled),
        )


async def load_delivery(
    session: AsyncSession, *, event_id: str, endpoint_id: str
) -> delivery.Delivery | None:
    """What an attempt sends: the event's stored body, to the endpoint (None: nothing to send)."""
    # By id: a job has no API key; `prepare` checks the endpoint is the event owner's.
    event = await session.get(Event, event_id)
    if event is None:
        return None
    return await delivery.prepare(
        session,
        event_id=event.id,
        event_type=event.type,
        owner=event,
        body=service.body_of(event),
        endpoint_id=endpoint_id,
    )
