"""Request and response shapes of campaigns and of the voucher batch endpoints."""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from vantio.campaigns.codes import DEFAULT_CHARSET
from vantio.campaigns.models import Campaign
from vantio.kit.schemas import Create, Currency, Metadata, Name, ProgramId, Strict, Timestamp
from vantio.vouchers.answers import ALWAYS_SENT, StackValidationOut, ValidationOut
from vantio.vouchers.schemas import (
    Cents,
    Conditions,
    VoucherOut,
    VoucherType,
    number,
    omitted_when_none,
)

MAX_CODES = 1_000_000
Affix = Annotated[str, Field(max_length=40, pattern=r"^[A-Za-z0-9_-]*$")]


class CodePattern(Strict):
    prefix: Affix = ""
    suffix: Affix = ""
    length: Annotated[int, Field(ge=4, le=32, strict=True)] = 8
    charset: Annotated[str, Field(min_length=2, max_length=62, pattern=r"^[A-Za-z0-9]+$")] = (
        DEFAULT_CHARSET
    )
    count: Annotated[int, Field(ge=1, le=MAX_CODES, strict=True)]


class CampaignCreate(Create):
    name: Name
    description: Annotated[str, Field(max_length=5000)] | None = None
    # The voucher definition every code shares (as in POST /v1/vouchers).
    type: VoucherType
    value: float | None = None
    conditions: Conditions | None = None
    config: dict[str, Any] | None = None
    currency: Currency | None = None
    max_discount_amount: Cents | None = None
    program_id: ProgramId | None = None
    metadata: Metadata | None = None
    code_pattern: CodePattern


class CampaignOut(BaseModel):
    id: str
    object: str = "campaign"
    name: str
    description: str | None
    type: str
    value: int | float | None
    conditions: dict[str, Any]
    config: dict[str, Any] | None
    currency: str | None
    program_id: str | None
    code_pattern: dict[str, Any]
    count: int
    codes_generated: int
    progress: float
    status: str
    metadata: dict[str, Any]
    created_at: Timestamp
    updated_at: Timestamp
    completed_at: Timestamp | None

    @classmethod
    def of(cls, campaign: Campaign) -> "CampaignOut":
        return cls(
            id=campaign.id,
            name=campaign.name,
            description=campaign.description,
            type=campaign.type,
            value=number(campaign.value),
            conditions=campaign.conditions,
            config=campaign.config,
            currency=campaign.currency,
            program_id=campaign.program_id,
            code_pattern=campaign.code_pattern,
            count=campaign.codes_requested,
            codes_generated=campaign.codes_generated,
            progress=round(campaign.codes_generated / campaign.codes_requested, 4),
            status=campaign.status,
            metadata=campaign.metadata_,
            created_at=campaign.created_at,
            updated_at=campaign.updated_at,
            completed_at=campaign.completed_at,
        )


class CampaignList(BaseModel):
    data: list[CampaignOut]
    total: int
    limit: int
    offset: int
    has_more: bool


class ItemError(BaseModel):
    """A batch item's error, as the Voucher API renders errors, with the status it would have had."""

    status: int
    code: str
    message: str
    details: dict[str, Any] | list[Any] | None = omitted_when_none()


class CreatedItem(BaseModel):
    index: int
    model_config = ALWAYS_SENT

    success: Literal[True] = True
    voucher: VoucherOut


class FailedItem(BaseModel):
    index: int
    model_config = ALWAYS_SENT

    success: Literal[False] = False
    error: ItemError


class BatchCreateOut(BaseModel):
    """Per-item results in input order."""

    results: list[Annotated[CreatedItem | FailedItem, Field(discriminator="success")]]
    total: int
    succeeded: int
    failed: int


class Indexed(BaseModel):
    index: int


class IndexedValidation(ValidationOut, Indexed):
    """A valid item (`code`): the index, then the body `POST /v1/vouchers/validate` answers."""


class IndexedStackValidation(StackValidationOut, Indexed):
    """A valid item (`codes`): the index, then the body `POST /v1/vouchers/validate` answers."""


class InvalidItem(Indexed):
    model_config = ALWAYS_SENT

    is_valid: Literal[False] = False
    error: ItemError


class BatchValidateOut(BaseModel):
    """Per-item results in input order."""

    validations: list[IndexedValidation | IndexedStackValidation | InvalidItem]
    total: int
    valid: int
    invalid: int
