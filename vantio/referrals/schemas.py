from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, Field

from vantio.kit.schemas import Create, Email, ImpressionId, Metadata, Name, Timestamp, Update, Url
from vantio.referrals.models import Referral


class ReferralStatus(StrEnum):
    PENDING = "pending"
    CONVERTED = "converted"
    VERIFIED = "verified"
    REJECTED = "rejected"


class ReferralCreate(Create):
    impression_id: ImpressionId
    first_name: Name
    last_name: Name
    email: Email
    profile_picture: Url | None = None
    metadata: Metadata | None = None


class ReferralUpdate(Update):
    clearable = frozenset({"profile_picture"})

    first_name: Name | None = None
    last_name: Name | None = None
    email: Email | None = None
    profile_picture: Annotated[str | None, Field(max_length=2048, pattern=r"^https?://\S+$")] = None
    status: ReferralStatus | None = None
    verified_at: datetime | None = None
    metadata: dict[str, Any] | None = None


class ReferralOut(BaseModel):
    id: str
    impression_id: str
    first_name: str
    last_name: str
    email: str
    profile_picture: str | None
    status: str
    program_id: str
    student_id: str
    created_at: Timestamp
    verified_at: Timestamp | None
    updated_at: Timestamp
    metadata: dict[str, Any]

    @classmethod
    def of(cls, referral: Referral) -> "ReferralOut":
        return cls(
            id=referral.id,
            impression_id=referral.impression_id,
            first_name=referral.first_name,
            last_name=referral.last_name,
            email=referral.email,
            profile_picture=referral.profile_picture,
            status=referral.status,
            program_id=referral.program_id,
            student_id=referral.student_id,
            created_at=referral.created_at,
            verified_at=referral.verified_at,
            updated_at=referral.updated_at,
            metadata=referral.metadata_,
        )


class ReferralList(BaseModel):
    referrals: list[ReferralOut]
    has_more: bool
