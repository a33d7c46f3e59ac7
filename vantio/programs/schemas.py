import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, model_validator
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from vantio.kit.money import MAX_AMOUNT
from vantio.kit.schemas import (
    Create,
    Currency,
    Metadata,
    Name,
    Strict,
    Timestamp,
    Update,
    Url,
    prefixed,
)

PayoutSchedule = Literal["weekly", "biweekly", "monthly", "manual"]
Rate = Annotated[float, Field(gt=0, le=100)]
# The voucher a scan hands to the referred customer (a voucher of the same account and mode).
VoucherId = Annotated[str, prefixed("v")]


def _check_color(value: str) -> str:
    if not re.fullmatch(r"#[0-9A-Fa-f]{6}", value):
        raise ValueError("must be a color written as #RRGGBB, e.g. #1A73E8")
    return value.upper()


# What the program's printed posters show (see docs/API.md, "Printable posters").
Headline = Annotated[str, Field(min_length=1, max_length=120)]
Incentive = Annotated[str, Field(min_length=1, max_length=240)]
BrandColor = Annotated[str, AfterValidator(_check_color)]


class PercentageCommission(Strict):
    type: Literal["percentage"]
    rate: Rate


class FlatCommission(Strict):
    type: Literal["flat"]
    amount: Annotated[int, Field(gt=0, le=MAX_AMOUNT)]


class Tier(Strict):
    min_referrals: Annotated[int, Field(ge=0, le=1_000_000)]
    rate: Rate


class TieredCommission(Strict):
    """The rate of the highest tier whose `min_referrals` the ambassador's conversions reach."""

    type: Literal["tiered"]
    tiers: Annotated[list[Tier], Field(min_length=1, max_length=20)]
    # Which conversions count: all the ambassador's (`all_time`), or this calendar month's (UTC).
    period: Literal["all_time", "month"] = "all_time"

    @model_validator(mode="after")
    def tiers_are_distinct_and_start_at_zero(self) -> "TieredCommission":
        thresholds = [tier.min_referrals for tier in self.tiers]
        if len(set(thresholds)) != len(thresholds):
            raise ValueError("tiers must have distinct min_referrals")
        if 0 not in thresholds:
            raise ValueError("one tier must start at min_referrals 0")
        self.tiers.sort(key=lambda tier: tier.min_referrals)
        return self


Commission = Annotated[
    PercentageCommission | FlatCommission | TieredCommission, Field(discriminator="type")
]


class CommissionCap(Strict):
    """At most `amount` (minor units, the program's currency) per ambassador per `period` (UTC
    calendar day, ISO week, or month); an earning beyond it is cut to fit."""

    amount: Annotated[int, Field(ge=0, le=MAX_AMOUNT)]
    period: Literal["day", "week", "month"]


class PayoutSender(Strict):
    """The account a SEPA payout file (pain.001) pays from."""

    name: Annotated[str, Field(min_length=1, max_length=70)]
    iban: Annotated[str, Field(min_length=15, max_length=42)]
    bic: Annotated[str, Field(min_length=8, max_length=11)]

    @model_validator(mode="after")
    def valid_bank_account(self) -> "PayoutSender":
        try:
            self.iban = IBAN(self.iban).compact
        except SchwiftyException as error:
            raise ValueError(f"iban: {error}") from None
        try:
            self.bic = str(BIC(self.bic))
        except SchwiftyException as error:
            raise ValueError(f"bic: {error}") from None
        return self


HoldDays = Annotated[int, Field(ge=0, le=365)]
CommissionMonths = Annotated[int, Field(ge=1, le=120)]


class ProgramCreate(Create):
    name: Name
    description: Annotated[str | None, Field(max_length=5000)] = None
    landing_url: Url
    currency: Currency = "USD"
    commission: Commission = PercentageCommission(type="percentage", rate=10)
    payout_schedule: PayoutSchedule = "manual"
    minimum_payout: Annotated[int, Field(ge=0, le=MAX_AMOUNT)] = 0
    attribution_window_days: Annotated[int, Field(ge=1, le=3650)] = 30
    referee_voucher_id: VoucherId | None = None
    headline: Headline | None = None
    incentive: Incentive | None = None
    brand_color: BrandColor | None = None
    hold_days: HoldDays = 0
    commission_months: CommissionMonths | None = None
    commission_cap: CommissionCap | None = None
    payout_sender: PayoutSender | None = None
    metadata: Metadata | None = None


class ProgramUpdate(Update):
    clearable = frozenset(
        {
            "description",
            "referee_voucher_id",
            "headline",
            "incentive",
            "brand_color",
            "commission_months",
            "commission_cap",
            "payout_sender",
        }
    )

    name: Name | None = None
    description: Annotated[str | None, Field(max_length=5000)] = None
    landing_url: Url | None = None
    currency: Currency | None = None
    commission: Commission | None = None
    payout_schedule: PayoutSchedule | None = None
    minimum_payout: Annotated[int, Field(ge=0, le=MAX_AMOUNT)] | None = None
    attribution_window_days: Annotated[int, Field(ge=1, le=3650)] | None = None
    referee_voucher_id: VoucherId | None = None
    headline: Headline | None = None
    incentive: Incentive | None = None
    brand_color: BrandColor | None = None
    hold_days: HoldDays | None = None
    commission_months: CommissionMonths | None = None
    commission_cap: CommissionCap | None = None
    payout_sender: PayoutSender | None = None
    metadata: dict[str, Any] | None = None


class ProgramOut(BaseModel):
    id: str
    name: str
    description: str | None
    landing_url: str
    currency: str
    commission: dict[str, Any]
    payout_schedule: str
    minimum_payout: int
    attribution_window_days: int
    referee_voucher_id: str | None
    headline: str | None
    incentive: str | None
    brand_color: str | None
    # The logo's media type (`image/png` or `image/jpeg`), null without one; the image itself
    # is at `GET /api/v1/programs/{id}/logo`.
    logo_media_type: str | None
    hold_days: int
    commission_months: int | None
    commission_cap: CommissionCap | None
    payout_sender: PayoutSender | None
    metadata: dict[str, Any]
    created_at: Timestamp
    updated_at: Timestamp


class ProgramList(BaseModel):
    programs: list[ProgramOut]
    has_more: bool
