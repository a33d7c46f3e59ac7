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
    method: str = Field(description="`manual`, `paypal`, `wise`, `sepa` or `voucher_credit`")
    run_id: str | None = Field(description="The run (`prun_...`) that made it")
    voucher_id: str | None = Field(description="The store-credit voucher (`voucher_credit`)")
    failure_reason: str | None
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
            method=payout.method,
            run_id=payout.run_id,
            voucher_id=payout.voucher_id,
            failure_reason=payout.failure_reason,
            created_at=payout.created_at,
            paid_at=payout.paid_at,
            updated_at=payout.updated_at,
            metadata=payout.metadata_,
        )


SkipReason = Literal[
    "below_minimum",  # the net amount is below the program's minimum_payout
    "on_hold",  # earnings whose hold has not ended (payable_at: the earliest end)
    "negative_balance",  # only clawbacks are pending: they wait for new earnings
    "missing_payout_details",  # the run's method needs details the ambassador has not given
    "unsupported_currency",  # the run's method cannot pay this currency (SEPA: EUR only)
]


class PayoutLine(BaseModel):
    """One earning the payout holds, or one clawback it nets off (a negative amount)."""

    earning_id: str
    amount: int
    type: str | None
    reverses: str | None
    active: bool = Field(description="False once the earning left the payout (reversed)")


class PayoutDetail(PayoutOut):
    lines: list[PayoutLine]


class Skipped(BaseModel):
    student_id: str
    currency: str
    pending_amount: int
    reason: SkipReason = "below_minimum"
    payable_at: Timestamp | None = None


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
