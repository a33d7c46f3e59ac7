from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, EmailStr, Field, model_validator
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from vantio.kit.schemas import Create, Metadata, ProgramId, Strict, Timestamp, UserId, prefixed
from vantio.payouts.models import Payout

PayoutId = Annotated[str, prefixed("payout")]


class PayoutStatus(StrEnum):
    PROCESSING = "processing"
    PAID = "paid"
    FAILED = "failed"


# How a run pays: `manual` (the owner pays each payout; the default), one payout file per run
# (`paypal`: PayPal Payouts CSV; `wise`: Wise bulk-payment CSV; `sepa`: pain.001 XML, EUR), or
# `voucher_credit` (store credit: a single-use fixed voucher for the ambassador; paid at once).
PayoutMethod = Literal["manual", "paypal", "wise", "sepa", "voucher_credit"]


class PayoutCreate(Create):
    program_id: ProgramId
    student_id: UserId | None = None
    method: PayoutMethod = "manual"
    metadata: Metadata | None = None


class PayoutDetailsIn(Strict):
    """How an ambassador is paid: `paypal` with `paypal_email`, or `bank` with `iban`, `bic`
    and `account_holder` (the IBAN's checksum and country format and the BIC are checked)."""

    # Required (checked once the ambassador is found, so a stranger's id answers 404 first).
    method: Literal["paypal", "bank"] | None = None
    paypal_email: EmailStr | None = None
    iban: Annotated[str, Field(max_length=42)] | None = None
    bic: Annotated[str, Field(max_length=11)] | None = None
    account_holder: Annotated[str, Field(min_length=1, max_length=70)] | None = None

    @model_validator(mode="after")
    def complete_for_its_method(self) -> "PayoutDetailsIn":
        if self.method is None:
            return self
        if self.method == "paypal":
            if self.paypal_email is None:
                raise ValueError("paypal_email: required for the paypal method")
            if self.iban or self.bic or self.account_holder:
                raise ValueError("iban, bic, account_holder: only for the bank method")
            return self
        if self.paypal_email is not None:
            raise ValueError("paypal_email: only for the paypal method")
        if not (self.iban and self.bic and self.account_holder):
            raise ValueError("iban, bic and account_holder: all required for the bank method")
        try:
            self.iban = IBAN(self.iban).compact
        except SchwiftyException as error:
            raise ValueError(f"iban: {error}") from None
        try:
            self.bic = str(BIC(self.bic))
        except SchwiftyException as error:
            raise ValueError(f"bic: {error}") from None
        return self


class PayoutDetailsOut(BaseModel):
    """An ambassador's payout details as the API shows them: the IBAN masked; `method` null
    when the ambassador has given none."""

    student_id: str
    method: Literal["paypal", "bank"] | None
    paypal_email: str | None = None
    iban_last4: str | None = None
    bic: str | None = None
    account_holder: str | None = None
    updated_at: Timestamp | None = None


class PayoutDetailsDeleted(BaseModel):
    student_id: str
    deleted: Literal[True] = True


class ReconcileItem(BaseModel):
    payout_id: str
    status: Literal["paid", "failed"]
    reason: str | None = None


class ReconcileRequest(Strict):
    items: Annotated[list[ReconcileItem], Field(max_length=1000)] = []


class ReconcileResult(BaseModel):
    paid: list[str]
    failed: list[str]
    unchanged: list[str] = Field(description="Already in the status given")
    unmatched: list[str] = Field(description="References or rows that name no payout of the run")


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
    active: bool = Field(
        description="False once the earning left the payout before it was paid (reversed)"
    )


class PayoutDetail(PayoutOut):
    lines: list[PayoutLine]


class Skipped(BaseModel):
    student_id: str
    currency: str
    pending_amount: int
    reason: SkipReason = "below_minimum"
    payable_at: Timestamp | None = None


class PayoutRun(BaseModel):
    run_id: str | None = Field(description="`prun_...`: the payouts' run (its file, if any)")
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
