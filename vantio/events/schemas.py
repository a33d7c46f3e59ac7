from typing import Any

from pydantic import BaseModel

from vantio.kit.schemas import Timestamp


class EventOut(BaseModel):
    id: str
    type: str
    event: str
    created_at: Timestamp
    livemode: bool
    data: dict[str, Any]


class EventList(BaseModel):
    events: list[EventOut]
    has_more: bool
