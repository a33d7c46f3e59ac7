from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, Field, model_validator

from vantio.earnings.models import Earning
from vantio.kit.money import MAX_AMOUNT
from vantio.kit.schemas import Create, Currency, Metadata, ReferralId, Timestamp, Update


class EarningStatus(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    PAID = "paid"
    FAILED = "failed"
    # Terminal: reversed before it was paid (refund, chargeback, rolled-back order); it is in no
    # payout. A paid earning is never reversed: it gets a clawback (below) instead.
    REVERSED = "reversed"


# The type of the negative earning that takes back a paid one (`reverses` names it).
CLAWBACK = "clawback"


Amount = Annotated[int, Field(gt=0, le=MAX_AMOUNT, strict=True)]
EarningType = Annotated[str, Field(min_length=1, max_length=64)]
Description = Annotated[str, Field(max_length=1000)]
ExternalId = Annotated[str, Field(min_length=1, max_length=255)]


class EarningCreate(Create):
    referral_id: ReferralId
    amount: Amount | None = None
    sale_amount: Amount | None = None
    currency: Currency | None = None
    type: EarningType | None = None
    description: Description | None = None
    # The order or invoice id: a second earning with it in the program and mode is refused.
    external_id: ExternalId | None = None
    metadata: Metadata | None = None

    @model_validator(mode="after")
    def exactly_one_amount(self) -> "EarningCreate":
        if (self.amount is None) == (self.sale_amount is None):
            raise ValueError(
                "send exactly one of amount (the commission) or sale_amount (the sale it is on)"
            )
        if self.type == CLAWBACK:
            raise ValueError(
                "type: clawback earnings are made by POST /api/v1/earnings/{id}/reverse"
            )
        return self


class EarningReverse(Create):
    # Required (checked once the earning is found, so a stranger's id answers 404 first).
    reason: Annotated[str, Field(min_length=1, max_length=500)] | None = None


class EarningUpdate(Update):
    clearable = frozenset({"type", "description", "reference_id"})

    amount: Amount | None = None
    currency: Currency | None = None
    type: EarningType | None = None
    description: Description | None = None
    status: EarningStatus | None = None
    reference_id: Annotated[str | None, Field(max_length=255)] = None
    metadata: dict[str, Any] | None = None


class EarningOut(BaseModel):
    id: str
    referral_id: str
    amount: int
    currency: str
    type: str | None
    description: str | None
    status: str
    reference_id: str | None
    external_id: str | None
    payable_at: Timestamp = Field(description="When the hold ends and a payout may take it")
    original_amount: int | None = Field(
        description="The amount before the program's cap cut it; null when not cut"
    )
    reverses: str | None = Field(description="A clawback's reversed earning (`earn_...`)")
    reversed_at: Timestamp | None
    reversal_reason: str | None
    created_at: Timestamp
    paid_at: Timestamp | None
    updated_at: Timestamp
    metadata: dict[str, Any]

    @classmethod
    def of(cls, earning: Earning) -> "EarningOut":
        return cls(
            id=earning.id,
            referral_id=earning.referral_id,
            amount=earning.amount,
            currency=earning.currency,
            type=earning.type,
            description=earning.description,
            status=earning.status,
            reference_id=earning.reference_id,
            external_id=earning.external_id,
            payable_at=earning.payable_at or earning.created_at,
            original_amount=earning.original_amount,
            reverses=earning.reverses,
            reversed_at=earning.reversed_at,
            reversal_reason=earning.reversal_reason,
            created_at=earning.created_at,
            paid_at=earning.paid_at,
            updated_at=earning.updated_at,
            metadata=earning.metadata_,
        )


class EarningList(BaseModel):
    earnings: list[EarningOut]
    has_more: bool


class EarningReversal(BaseModel):
    """What a reversal did: the earning (now `reversed`, or `paid` with `reversed_at` set) and,
    for a paid one, the clawback the ambassador's next payout nets off."""

    earning: EarningOut
    clawback: EarningOut | None
