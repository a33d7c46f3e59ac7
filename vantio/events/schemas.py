from typing import Any

from pydantic import BaseModel

from vantio.kit.schemas import Timestamp
from vantio.webhooks.schemas import DeliveryAttemptOut


class EventOut(BaseModel):
    id: str
    type: str
    event: str
    created_at: Timestamp
    livemode: bool
    data: dict[str, Any]
    delivery_attempts: list[DeliveryAttemptOut]


class EventList(BaseModel):
    events: list[EventOut]
    has_more: bool


class Redelivery(BaseModel):
    event_id: str
    endpoint_ids: list[str]
