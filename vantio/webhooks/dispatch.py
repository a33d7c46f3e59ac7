"""Delivery jobs: one per event and endpoint, enqueued in the transaction that records the event."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from vantio.worker import jobs

DELIVER = "webhooks.deliver"


async def enqueue_delivery(
    session: AsyncSession,
    *,
    event_id: str,
    endpoint_id: str,
    attempt: int = 1,
    run_at: datetime | None = None,
) -> None:
    await jobs.enqueue(
        session,
        name=DELIVER,
        payload={"event_id": event_id, "endpoint_id": endpoint_id, "attempt": attempt},
        run_at=run_at,
    )
