"""Typed request and response models (TypedDicts: at run time they are the plain JSON dicts).

Field names are the wire names of the docs. Every amount is an ``int`` in minor units of its
``currency`` (1000 = $10.00; JPY has no minor unit); every timestamp an ISO 8601 UTC string.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Generic, Literal, NotRequired, TypedDict, TypeVar

T = TypeVar("T")


class Page(list[T]):
    """One page of a Referral API list: a plain list of its items, plus the server's
    ``has_more`` (``None`` if the answer had none). ``list_all()`` walks every page for you."""

    has_more: bool | None

    def __init__(self, items: Iterable[T] = (), has_more: bool | None = None) -> None:
        super().__init__(items)
        self.has_more = has_more


ReferralStatus = Literal["pending", "converted", "verified", "rejected"]
EarningStatus = Literal["pending", "processing", "paid", "failed", "reversed"]
PayoutStatus = Literal["processing", "paid", "failed"]
PayoutSchedule = Literal["weekly", "biweekly", "monthly", "manual"]
VoucherStatus = Literal["active", "inactive", "expired"]
VoucherType = Literal[
    "percentage", "fixed", "free_shipping", "bogo", "tiered", "conditional", "stackable"
]
Interval = Literal["day", "week", "month"]

# ---------------------------------------------------------------- Referral API (/api/v1)


class PercentageCommission(TypedDict):
    type: Literal["percentage"]
    rate: float


class FlatCommission(TypedDict):
    type: Literal["flat"]
    amount: int


class CommissionTier(TypedDict):
    min_referrals: int
    rate: float


class TieredCommission(TypedDict):
    type: Literal["tiered"]
    tiers: list[CommissionTier]


Commission = PercentageCommission | FlatCommission | TieredCommission


class Program(TypedDict):
    id: str
    name: str
    description: str | None
    landing_url: str
    currency: str
    commission: dict[str, Any]
    payout_schedule: PayoutSchedule
    minimum_payout: int
    attribution_window_days: int
    referee_voucher_id: str | None
    hold_days: NotRequired[int]
    commission_months: NotRequired[int | None]
    commission_cap: NotRequired[dict[str, Any] | None]
    payout_sender: NotRequired[dict[str, Any] | None]
    metadata: dict[str, Any]
    created_at: str
    updated_at: str


class User(TypedDict):
    id: str
    first_name: str
    last_name: str
    email: str
    program_id: str
    profile_picture: NotRequired[str | None]
    created_at: str
    updated_at: NotRequired[str]
    metadata: NotRequired[dict[str, Any]]


class Poster(TypedDict):
    id: str
    program_id: str
    student_id: str
    code: str
    scan_url: str
    qr_code_url: str
    location: str | None
    destination_url: NotRequired[str | None]
    created_at: str
    updated_at: NotRequired[str]
    metadata: dict[str, Any]


class Impression(TypedDict):
    id: str
    poster_id: str
    program_id: str
    student_id: str
    scanned_at: str
    user_agent: str | None
    ip_address: str | None
    metadata: dict[str, Any]


class Referral(TypedDict):
    id: str
    impression_id: str
    first_name: str
    last_name: str
    email: str
    profile_picture: NotRequired[str | None]
    status: ReferralStatus
    program_id: str
    student_id: str
    created_at: str
    verified_at: NotRequired[str | None]
    updated_at: NotRequired[str]
    metadata: NotRequired[dict[str, Any]]


class Earning(TypedDict):
    id: str
    referral_id: str
    amount: int
    currency: str
    type: NotRequired[str | None]
    description: NotRequired[str | None]
    status: EarningStatus
    reference_id: NotRequired[str | None]
    external_id: NotRequired[str | None]
    payable_at: NotRequired[str]
    original_amount: NotRequired[int | None]
    reverses: NotRequired[str | None]
    reversed_at: NotRequired[str | None]
    reversal_reason: NotRequired[str | None]
    created_at: str
    paid_at: NotRequired[str | None]
    updated_at: NotRequired[str]
    metadata: NotRequired[dict[str, Any]]


class EarningReversal(TypedDict):
    """What ``POST /api/v1/earnings/{id}/reverse`` answers: the earning, and the clawback when
    it had been paid."""

    earning: Earning
    clawback: Earning | None


class Payout(TypedDict, total=False):
    id: str
    program_id: str
    student_id: str
    amount: int
    currency: str
    status: PayoutStatus
    earnings_count: int
    method: str
    run_id: str | None
    voucher_id: str | None
    failure_reason: str | None
    created_at: str
    paid_at: str | None
    updated_at: str
    metadata: dict[str, Any]
    lines: list[dict[str, Any]]  # only in the answer of ``get``


class SkippedPayout(TypedDict, total=False):
    student_id: str
    currency: str
    pending_amount: int
    reason: str  # below_minimum, on_hold, negative_balance, missing_payout_details, ...
    payable_at: str | None


class PayoutRun(TypedDict):
    """What ``POST /api/v1/payouts`` answers: the payouts created and the ambassadors skipped."""

    run_id: NotRequired[str | None]
    payouts: list[Payout]
    skipped: list[SkippedPayout]


class PayoutDetails(TypedDict, total=False):
    """How an ambassador is paid (``method`` None when they gave nothing); the IBAN masked."""

    student_id: str
    method: Literal["paypal", "bank"] | None
    paypal_email: str | None
    iban_last4: str | None
    bic: str | None
    account_holder: str | None
    updated_at: str | None


class ReconcileResult(TypedDict):
    paid: list[str]
    failed: list[str]
    unchanged: list[str]
    unmatched: list[str]


class WebhookEndpoint(TypedDict, total=False):
    id: str
    url: str
    description: str | None
    events: list[str]
    disabled: bool
    livemode: bool
    secret: str  # only in the answers of create and rotate_secret
    created_at: str
    updated_at: str
    metadata: dict[str, Any]
    secret_rotation_ends_at: str | None  # while the previous secret still signs


class DeletedObject(TypedDict):
    id: str
    deleted: bool


class DeliveryAttempt(TypedDict, total=False):
    id: str
    endpoint_id: str
    attempt: int
    created_at: str
    status_code: int | None
    error: str | None
    duration_ms: int
    response_body: str
    succeeded: bool
    next_retry_at: str | None


class Event(TypedDict):
    id: str
    type: str
    event: str
    created_at: str
    livemode: bool
    data: dict[str, Any]
    delivery_attempts: NotRequired[list[DeliveryAttempt]]


class Redelivery(TypedDict):
    event_id: str
    endpoint_ids: list[str]


class FunnelInterval(TypedDict, total=False):
    start: str
    end: str
    impressions: int
    referrals: int
    converted: int
    verified: int
    rejected: int
    earnings_count: int
    earnings_amount: int


class FunnelTotal(FunnelInterval, total=False):
    scan_to_signup_rate: float | None
    signup_to_conversion_rate: float | None
    conversion_to_verification_rate: float | None
    rejection_rate: float | None


class Funnel(TypedDict, total=False):
    program_id: str | None
    currency: str
    interval: Interval
    tz: str
    start: str
    end: str
    intervals: list[FunnelInterval]
    total: FunnelTotal


class Leaderboard(TypedDict, total=False):
    program_id: str | None
    currency: str
    sort: str
    start: str
    end: str
    ambassadors: list[dict[str, Any]]
    has_more: bool


class PosterReport(TypedDict, total=False):
    program_id: str | None
    start: str | None
    end: str | None
    posters: list[dict[str, Any]]
    locations: list[dict[str, Any]]


# ---------------------------------------------------------------- Voucher API (/v1)


class VoucherConditions(TypedDict, total=False):
    min_order_value: int
    max_uses: int
    valid_from: str
    valid_until: str
    customer_limit: int
    product_ids: list[str]
    excluded_product_ids: list[str]


class OrderItem(TypedDict, total=False):
    id: str
    price: int
    quantity: int
    category: str


class Order(TypedDict, total=False):
    id: str
    value: int
    currency: str
    items: list[OrderItem]
    shipping_amount: int
    impression_id: str


class Customer(TypedDict, total=False):
    id: str
    email: str
    segment: str


class Voucher(TypedDict, total=False):
    id: str
    code: str
    type: VoucherType
    value: int | float
    currency: str
    conditions: VoucherConditions
    config: dict[str, Any]
    metadata: dict[str, Any]
    program_id: str | None
    campaign_id: str | None
    status: VoucherStatus
    usage_count: int
    usage_history: list[dict[str, Any]]
    created_at: str
    updated_at: str
    deleted_at: str | None


class DeletedVoucher(TypedDict):
    id: str
    deleted_at: str


class ValidationResult(TypedDict, total=False):
    is_valid: bool
    voucher: dict[str, Any]
    vouchers: list[dict[str, Any]]
    discount_amount: int
    final_amount: int
    currency: str
    validation_details: dict[str, Any]
    applied_to: list[dict[str, Any]]
    conditions_met: list[str]
    error: dict[str, Any]


class Application(TypedDict, total=False):
    id: str
    voucher: dict[str, Any]
    order_id: str
    customer_id: str | None
    discount_amount: int
    final_amount: int
    currency: str
    applied_to: list[dict[str, Any]]
    status: str
    applied_at: str
    rolled_back_at: str | None
    metadata: dict[str, Any]
    validation_id: str | None  # the validation whose order priced an apply sent without one


class Rollback(TypedDict, total=False):
    id: str
    application_id: str
    voucher: dict[str, Any]
    order_id: str
    discount_amount: int
    currency: str
    reason: str | None
    status: str
    created_at: str


class CodePattern(TypedDict, total=False):
    prefix: str
    suffix: str
    length: int
    charset: str
    count: int  # required


class Campaign(TypedDict, total=False):
    id: str
    object: str
    name: str
    description: str | None
    type: VoucherType
    value: int | float | None
    conditions: dict[str, Any]
    config: dict[str, Any] | None
    currency: str | None
    program_id: str | None
    code_pattern: CodePattern
    count: int
    codes_generated: int
    progress: float
    status: Literal["generating", "completed"]
    metadata: dict[str, Any]
    created_at: str
    updated_at: str
    completed_at: str | None


class BatchItemError(TypedDict, total=False):
    status: int
    code: str
    message: str
    details: Any


class BatchCreateItem(TypedDict, total=False):
    index: int
    success: bool
    voucher: Voucher
    error: BatchItemError


class BatchCreateResult(TypedDict):
    results: list[BatchCreateItem]
    total: int
    succeeded: int
    failed: int


class BatchValidateItem(ValidationResult, total=False):
    index: int


class BatchValidateResult(TypedDict):
    validations: list[BatchValidateItem]
    total: int
    valid: int
    invalid: int


class Export(TypedDict, total=False):
    export_id: str
    status: Literal["processing", "completed", "failed"]
    format: str
    voucher_count: int
    metrics: list[str]
    time_period: dict[str, Any]
    created_at: str
    estimated_completion: str | None
    completed_at: str | None
    download_url: str | None
    expires_at: str | None
    file_size: str | None
    file_size_bytes: int | None
    record_count: int | None
    error: dict[str, Any] | None


class VoucherPage(TypedDict, Generic[T]):
    """The Voucher API's list envelope."""

    data: list[T]
    total: int
    limit: int
    offset: int
    has_more: bool
