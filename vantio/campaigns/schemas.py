"""Request and response shapes of campaigns and of the voucher batch endpoints."""

from typing import Annotated, Any

from pydantic import BaseModel, Field

from vantio.campaigns.codes import DEFAULT_CHARSET
from vantio.campaigns.models import Campaign
from vantio.kit.schemas import Create, Currency, Metadata, Name, ProgramId, Strict, Timestamp
from vantio.vouchers.schemas import Cents, Conditions, VoucherType, number

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


class BatchResult(BaseModel):
    """One item of a batch answer: `success` with the object, or the error it met."""

    index: int
    success: bool
    voucher: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
