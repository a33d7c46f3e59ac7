"""The answers of `POST /v1/vouchers/validate`: a valid code, a valid stack, or (`soft`) why not.

Shaped from the engine's result (`validation_out`); the batch validate answers the same bodies.
"""

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from vantio.vouchers.schemas import number, omitted_when_none

# `is_valid` has a default but is always sent: required in the schema, as clients read it.
ALWAYS_SENT = ConfigDict(json_schema_serialization_defaults_required=True)

if TYPE_CHECKING:  # the engine imports the schemas: only its types are needed here
    from vantio.vouchers.engine import Outcome, StackResult


class VoucherBrief(BaseModel):
    id: str
    code: str
    type: str
    value: int | float | None


class AppliedItem(BaseModel):
    """One order item's share of the discount."""

    item_id: str
    original_price: int
    discount_amount: int
    final_price: int


class VoucherDiscount(BaseModel):
    """What one code of a stack came to."""

    voucher: VoucherBrief
    discount_amount: int
    validation_details: dict[str, Any]
    applied_to: list[AppliedItem]
    conditions_met: list[str]

    @classmethod
    def of(cls, outcome: "Outcome") -> "VoucherDiscount":
        c = outcome.candidate
        return cls(
            voucher=VoucherBrief(
                id=c.voucher_id, code=c.code, type=c.type, value=number(c.definition.value)
            ),
            discount_amount=outcome.discount_amount,
            validation_details=outcome.validation_details,
            applied_to=[AppliedItem(**entry) for entry in outcome.applied_to],
            conditions_met=outcome.conditions_met,
        )


class ValidationOut(BaseModel):
    """A valid code (`code` sent): its discount on the order."""

    model_config = ALWAYS_SENT

    is_valid: Literal[True] = True
    voucher: VoucherBrief
    discount_amount: int
    final_amount: int
    currency: str
    validation_details: dict[str, Any]
    applied_to: list[AppliedItem]
    conditions_met: list[str]


class StackValidationOut(BaseModel):
    """A valid stack (`codes` sent): each code's discount and the stack's total."""

    model_config = ALWAYS_SENT

    is_valid: Literal[True] = True
    vouchers: list[VoucherDiscount]
    discount_amount: int
    final_amount: int
    currency: str
    validation_details: dict[str, Any]
    applied_to: list[AppliedItem]
    conditions_met: list[str]


class ErrorOut(BaseModel):
    code: str = Field(description="A stable UPPER_SNAKE code", examples=["VOUCHER_EXPIRED"])
    message: str
    details: dict[str, Any] | list[Any] | None = omitted_when_none()


class InvalidValidation(BaseModel):
    """A code that cannot be applied, answered with 200 because `soft` was sent."""

    model_config = ALWAYS_SENT

    is_valid: Literal[False] = False
    error: ErrorOut


def validation_out(
    result: "StackResult", *, multiple: bool, currency: str
) -> ValidationOut | StackValidationOut:
    """The body of a valid validate: one code, or (`codes` sent) a stack."""
    per_voucher = [VoucherDiscount.of(o) for o in result.outcomes]
    if not multiple:
        single = per_voucher[0]
        details = dict(single.validation_details)
        if result.details["stack_count"] > 1:
            details["stacking"] = result.details
        return ValidationOut(
            voucher=single.voucher,
            discount_amount=single.discount_amount,
            final_amount=result.final_amount,
            currency=currency,
            validation_details=details,
            applied_to=single.applied_to,
            conditions_met=single.conditions_met,
        )
    merged: dict[str, AppliedItem] = {}
    for outcome in result.outcomes:
        for entry in outcome.applied_to:
            item = merged.setdefault(
                entry["item_id"],
                AppliedItem(
                    item_id=entry["item_id"],
                    original_price=entry["original_price"],
                    discount_amount=0,
                    final_price=entry["original_price"],
                ),
            )
            item.discount_amount += entry["discount_amount"]
            item.final_price = item.original_price - item.discount_amount
    conditions: list[str] = []
    for one in per_voucher:
        conditions.extend(c for c in one.conditions_met if c not in conditions)
    return StackValidationOut(
        vouchers=per_voucher,
        discount_amount=result.discount_amount,
        final_amount=result.final_amount,
        currency=currency,
        validation_details={"stacking": result.details},
        applied_to=list(merged.values()),
        conditions_met=conditions,
    )
