from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field

from vantio.impressions.models import Impression
from vantio.kit.schemas import Create, Metadata, PosterId, Timestamp


class ImpressionCreate(Create):
    poster_id: PosterId
    user_agent: Annotated[str | None, Field(max_length=1000)] = None
    ip_address: Annotated[str | None, Field(max_length=64)] = None
    scanned_at: datetime | None = None
    metadata: Metadata | None = None


class ImpressionOut(BaseModel):
    id: str
    poster_id: str
    program_id: str
    student_id: str
    scanned_at: Timestamp
    user_agent: str | None
    ip_address: str | None
    metadata: dict[str, Any]

    @classmethod
    def of(cls, impression: Impression) -> "ImpressionOut":
        return cls(
            id=impression.id,
            poster_id=impression.poster_id,
            program_id=impression.program_id,
            student_id=impression.student_id,
            scanned_at=impression.scanned_at,
            user_agent=impression.user_agent,
            ip_address=impression.ip_address,
            metadata=impression.metadata_,
        )


class ImpressionList(BaseModel):
    impressions: list[ImpressionOut]
    has_more: bool
