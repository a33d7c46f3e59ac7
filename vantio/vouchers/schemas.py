"""Request and response shapes of the Voucher API, with the wire names of voucher-docs.md."""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from vantio.kit.schemas import Create, Currency, Metadata, ProgramId, Strict, Timestamp
from vantio.vouchers.models import Voucher, VoucherApplication, VoucherRollback

VoucherType = Literal[
    "percentage", "fixed", "free_shipping", "bogo", "tiered", "conditional", "stackable"
]
VoucherStatus = Literal["active", "inactive", "expired"]
DiscountType = Literal["percentage", "fixed"]

Cents = Annotated[int, Field(ge=0, le=10**12, strict=True)]
Count = Annotated[int, Field(ge=1, le=10**9, strict=True)]
Ref = Annotated[str, Field(min_length=1, max_length=255)]
CodeIn = Annotated[str, Field(min_length=1, max_length=100)]
IdList = Annotated[list[Ref], Field(max_length=1000)]


class Conditions(Strict):
    """`conditions` of a voucher; on PUT the keys sent are merged, a key set to null is removed."""

    min_order_value: Cents | None = None
    max_uses: Count | None = None
    customer_limit: Count | None = None
    max_uses_per_customer: Count | None = None  # Gen-1 SDK spelling of customer_limit
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    product_ids: IdList | None = None
    excluded_product_ids: IdList | None = None
    categories: IdList | None = None
    excluded_categories: IdList | None = None
    max_discount_amount: Cents | None = None
    rules: Annotated[list[dict[str, Any]], Field(max_length=50)] | None = None


class DiscountConfig(Strict):
    """Gen-1 `discount_config`, mapped onto `value` and `conditions.max_discount_amount`."""

    percentage: Annotated[float, Field(gt=0, le=100)] | None = None
    max_discount_amount: Cents | None = None


class VoucherCreate(Create):
    code: CodeIn
    type: VoucherType
    value: float | None = None
    conditions: Conditions | None = None
    config: dict[str, Any] | None = None
    currency: Currency | None = None
    metadata: Metadata | None = None
    max_discount_amount: Cents | None = None
    discount_config: DiscountConfig | None = None
    name: Annotated[str, Field(max_length=200)] | None = None  # Gen-1; kept in metadata
    program_id: ProgramId | None = None


class VoucherUpdate(Strict):
    # Immutable: accepted only to answer with a clear 400 naming the field.
    code: str | None = None
    type: str | None = None
    created_at: str | None = None
    value: float | None = None
    # A plain mapping, so that keys explicitly set to null (removal) survive parsing.
    conditions: dict[str, Any] | None = None
    config: dict[str, Any] | None = None
    status: Literal["active", "inactive"] | None = None
    metadata: dict[str, Any] | None = None


class OrderItem(Strict):
    id: Ref
    product_id: Ref | None = None
    name: Annotated[str, Field(max_length=500)] | None = None
    price: Cents
    quantity: Annotated[int, Field(ge=1, le=100_000, strict=True)] = 1
    category: Ref | None = None
    categories: IdList | None = None


class Order(Strict):
    id: Ref | None = None
    value: Cents | None = None
    currency: Currency | None = None
    items: Annotated[list[OrderItem], Field(max_length=1000)] = []
    shipping_amount: Cents = 0
    impression_id: Ref | None = None
    metadata: Metadata | None = None

    @model_validator(mode="after")
    def value_or_items(self) -> "Order":
        if self.value is None and not self.items:
            raise ValueError("send the order's value or its items")
        if sum(item.price * item.quantity for item in self.items) > 10**15:
            raise ValueError("the items add up to more than any order can")
        return self


class Customer(BaseModel):
    """Free-form, as the docs show `{id, segment, ...}`; the named keys are the ones rules read."""

    model_config = ConfigDict(extra="allow")

    id: Ref | None = None
    email: Annotated[str, Field(max_length=320)] | None = None
    segment: Annotated[str, Field(max_length=100)] | None = None
    orders_count: Annotated[int, Field(ge=0)] | None = None
    registration_date: datetime | None = None


class ValidateRequest(Create):
    code: CodeIn | None = None
    codes: Annotated[list[CodeIn], Field(min_length=1, max_length=10)] | None = None
    order: Order
    customer: Customer | None = None
    preview: bool = False
    soft: bool = False

    @model_validator(mode="after")
    def code_or_codes(self) -> "ValidateRequest":
        if (self.code is None) == (self.codes is None):
            raise ValueError("send exactly one of code or codes")
        return self

    @property
    def code_list(self) -> list[str]:
        return list(self.codes) if self.codes is not None else [self.code or ""]


class ApplyRequest(Create):
    code: CodeIn
    order_id: Ref
    order: Order | None = None
    # Gen-1: the order's total in cents, for an apply without `order`.
    order_value: Cents | None = None
    customer: Customer | None = None
    metadata: Metadata | None = None


class RollbackRequest(Create):
    reason: Annotated[str, Field(max_length=500)] | None = None


class RemoveRequest(Create):
    code: CodeIn
    order_id: Ref
    reason: Annotated[str, Field(max_length=500)] | None = None


def _is_none(value: Any) -> bool:
    return value is None


def _no_default(schema: dict[str, Any]) -> None:
    # Left out rather than null: FastAPI's schema of the field shows no default, and the event
    # catalog's (pydantic's) must be the same schema.
    schema.pop("default", None)


def omitted_when_none() -> Any:
    """A field left out of the body when it is None (as the docs print the object)."""
    return Field(default=None, exclude_if=_is_none, json_schema_extra=_no_default)


def number(value: float | None) -> int | float | None:
    """20.0 → 20 on the wire, as the docs print values."""
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


class UsageEntry(BaseModel):
    id: str
    order_id: str
    discount_amount: int
    applied_at: Timestamp
    status: str


class VoucherOut(BaseModel):
    id: str
    code: str
    type: str
    value: int | float | None
    conditions: dict[str, Any]
    config: dict[str, Any] | None = omitted_when_none()
    currency: str | None
    metadata: dict[str, Any]
    status: str
    usage_count: int
    campaign_id: str | None
    program_id: str | None
    created_at: Timestamp
    updated_at: Timestamp
    deleted_at: Timestamp | None = omitted_when_none()
    usage_history: list[UsageEntry] | None = omitted_when_none()

    @classmethod
    def of(
        cls, voucher: Voucher, usage_history: list[VoucherApplication] | None = None
    ) -> "VoucherOut":
        return cls(
            id=voucher.id,
            code=voucher.code,
            type=voucher.type,
            value=number(voucher.value),
            conditions=voucher.conditions,
            config=voucher.config,
            currency=voucher.currency,
            metadata=voucher.metadata_,
            status=voucher.status,
            usage_count=voucher.usage_count,
            campaign_id=voucher.campaign_id,
            program_id=voucher.program_id,
            created_at=voucher.created_at,
            updated_at=voucher.updated_at,
            deleted_at=voucher.deleted_at,
            usage_history=None
            if usage_history is None
            else [
                UsageEntry(
                    id=a.id,
                    order_id=a.order_id,
                    discount_amount=a.discount_amount,
                    applied_at=a.created_at,
                    status=a.status,
                )
                for a in usage_history
            ],
        )

    def wire(self) -> dict[str, Any]:
        """The JSON body (an event's data): `config`, `deleted_at`, `usage_history` only if set."""
        return self.model_dump(mode="json")


class VoucherList(BaseModel):
    data: list[VoucherOut]
    total: int
    limit: int
    offset: int
    has_more: bool


class DeletedVoucher(BaseModel):
    id: str
    deleted_at: Timestamp


class VoucherRef(BaseModel):
    id: str
    code: str


class ApplicationOut(BaseModel):
    id: str
    voucher: VoucherRef
    order_id: str
    customer_id: str | None
    discount_amount: int
    final_amount: int
    currency: str
    applied_to: list[dict[str, Any]]
    status: str
    applied_at: Timestamp
    rolled_back_at: Timestamp | None
    metadata: dict[str, Any]
    # The validation whose order priced it, when the apply sent no order (docs/API.md).
    validation_id: str | None = None

    @classmethod
    def of(cls, application: VoucherApplication) -> "ApplicationOut":
        return cls(
            id=application.id,
            voucher=VoucherRef(id=application.voucher_id, code=application.code),
            order_id=application.order_id,
            customer_id=application.customer_id,
            discount_amount=application.discount_amount,
            final_amount=application.final_amount,
            currency=application.currency,
            applied_to=list(application.breakdown.get("applied_to", [])),
            status=application.status,
            applied_at=application.created_at,
            rolled_back_at=application.rolled_back_at,
            metadata=application.metadata_,
            validation_id=application.validation_id,
        )


class RollbackOut(BaseModel):
    id: str
    application_id: str
    voucher: VoucherRef
    order_id: str
    discount_amount: int
    currency: str
    reason: str | None
    status: Literal["succeeded"] = "succeeded"
    created_at: Timestamp

    @classmethod
    def of(cls, rollback: VoucherRollback, code: str) -> "RollbackOut":
        return cls(
            id=rollback.id,
            application_id=rollback.application_id,
            voucher=VoucherRef(id=rollback.voucher_id, code=code),
            order_id=rollback.order_id,
            discount_amount=rollback.discount_amount,
            currency=rollback.currency,
            reason=rollback.reason,
            created_at=rollback.created_at,
        )
