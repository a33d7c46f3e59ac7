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


Amount = Annotated[int, Field(gt=0, le=MAX_AMOUNT, strict=True)]
EarningType = Annotated[str, Field(min_length=1, max_length=64)]
Description = Annotated[str, Field(max_length=1000)]


class EarningCreate(Create):
    referral_id: ReferralId
    amount: Amount | None = None
    sale_amount: Amount | None = None
    currency: Currency | None = None
    type: EarningType | None = None
    description: Description | None = None
    metadata: Metadata | None = None

    @model_validator(mode="after")
    def exactly_one_amount(self) -> "EarningCreate":
        if (self.amount is None) == (self.sale_amount is None):
            raise ValueError(
                "send exactly one of amount (the commission) or sale_amount (the sale it is on)"
            )
        return self


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
            created_at=earning.created_at,
            paid_at=earning.paid_at,
            updated_at=earning.updated_at,
            metadata=earning.metadata_,
        )


class EarningList(BaseModel):
    earnings: list[EarningOut]
    has_more: bool
