from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from vantio.kit.schemas import Create, Metadata, ProgramId, Strict, Timestamp, UserId, prefixed
from vantio.payouts.models import Payout

PayoutId = Annotated[str, prefixed("payout")]


class PayoutStatus(StrEnum):
    PROCESSING = "processing"
    PAID = "paid"
    FAILED = "failed"


class PayoutCreate(Create):
    program_id: ProgramId
    student_id: UserId | None = None
    metadata: Metadata | None = None


class PayoutUpdate(Strict):
    status: Literal["paid", "failed"] | None = None  # the moves a client makes; see WORKFLOW
    metadata: dict[str, Any] | None = None


class PayoutOut(BaseModel):
    id: str
    program_id: str
    student_id: str
    amount: int
    currency: str
    status: str
    earnings_count: int
    created_at: Timestamp
    paid_at: Timestamp | None
    updated_at: Timestamp
    metadata: dict[str, Any]

    @classmethod
    def of(cls, payout: Payout) -> "PayoutOut":
        return cls(
            id=payout.id,
            program_id=payout.program_id,
            student_id=payout.student_id,
            amount=payout.amount,
            currency=payout.currency,
            status=payout.status,
            earnings_count=payout.earnings_count,
            created_at=payout.created_at,
            paid_at=payout.paid_at,
            updated_at=payout.updated_at,
            metadata=payout.metadata_,
        )


class Skipped(BaseModel):
    student_id: str
    currency: str
    pending_amount: int
    reason: Literal["below_minimum"] = "below_minimum"


class PayoutRun(BaseModel):
    payouts: list[PayoutOut]
    skipped: list[Skipped]


class PayoutList(BaseModel):
    payouts: list[PayoutOut]
    has_more: bool


class PayoutRunSummary(BaseModel):
    """What one scheduled run did (for the worker's log)."""

    program_id: str
    period: str
    payouts: Annotated[int, Field(ge=0)]
