"""Delivery jobs: one per event and endpoint, enqueued in the transaction that records the event."""

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vantio.worker import jobs

DELIVER = "webhooks.deliver"


def delivery_job(
    *, event_id: str, endpoint_id: str, attempt: int = 1
) -> tuple[str, dict[str, Any]]:
    """The name and payload of the job that sends this event to this endpoint."""
    return DELIVER, {"event_id": event_id, "endpoint_id": endpoint_id, "attempt": attempt}


async def enqueue_delivery(
    session: AsyncSession,
    *,
    event_id: str,
    endpoint_id: str,
    attempt: int = 1,
    run_at: datetime | None = None,
) -> None:
    name, payload = delivery_job(event_id=event_id, endpoint_id=endpoint_id, attempt=attempt)
    await jobs.enqueue(session, name=name, payload=payload, run_at=run_at)
