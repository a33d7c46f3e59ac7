from typing import Annotated, Any

from pydantic import BaseModel, Field

from vantio.kit.schemas import Create, Metadata, ProgramId, Timestamp, Update, Url, UserId
from vantio.posters.models import Poster

Location = Annotated[str, Field(min_length=1, max_length=500)]


class PosterCreate(Create):
    program_id: ProgramId
    student_id: UserId
    location: Location | None = None
    destination_url: Url | None = None
    metadata: Metadata | None = None


class PosterUpdate(Update):
    clearable = frozenset({"location", "destination_url"})

    location: Location | None = None
    destination_url: Url | None = None
    metadata: dict[str, Any] | None = None


class PosterOut(BaseModel):
    id: str
    program_id: str
    student_id: str
    code: str
    scan_url: str
    qr_code_url: str
    location: str | None
    destination_url: str | None
    created_at: Timestamp
    updated_at: Timestamp
    metadata: dict[str, Any]

    @classmethod
    def of(cls, poster: Poster, *, public_url: str) -> "PosterOut":
        scan_url = f"{public_url}/s/{poster.code}"
        return cls(
            id=poster.id,
            program_id=poster.program_id,
            student_id=poster.student_id,
            code=poster.code,
            scan_url=scan_url,
            qr_code_url=f"{scan_url}/qr.png",
            location=poster.location,
            destination_url=poster.destination_url,
            created_at=poster.created_at,
            updated_at=poster.updated_at,
            metadata=poster.metadata_,
        )


class PosterList(BaseModel):
    posters: list[PosterOut]
    has_more: bool
