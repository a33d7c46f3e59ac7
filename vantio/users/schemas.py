from typing import Annotated, Any

from pydantic import BaseModel, Field

from vantio.kit.schemas import Create, Email, Metadata, Name, ProgramId, Timestamp, Update, Url
from vantio.users.models import User


class UserCreate(Create):
    program_id: ProgramId
    first_name: Name
    last_name: Name
    email: Email
    profile_picture: Url | None = None
    metadata: Metadata | None = None


class UserUpdate(Update):
    clearable = frozenset({"profile_picture"})

    first_name: Name | None = None
    last_name: Name | None = None
    email: Email | None = None
    profile_picture: Annotated[str | None, Field(max_length=2048, pattern=r"^https?://\S+$")] = None
    metadata: dict[str, Any] | None = None


class UserOut(BaseModel):
    id: str
    first_name: str
    last_name: str
    email: str
    program_id: str
    profile_picture: str | None
    created_at: Timestamp
    updated_at: Timestamp
    metadata: dict[str, Any]

    @classmethod
    def of(cls, user: User) -> "UserOut":
        return cls(
            id=user.id,
            first_name=user.first_name,
            last_name=user.last_name,
            email=user.email,
            program_id=user.program_id,
            profile_picture=user.profile_picture,
            created_at=user.created_at,
            updated_at=user.updated_at,
            metadata=user.metadata_,
        )


class UserList(BaseModel):
    users: list[UserOut]
    has_more: bool
