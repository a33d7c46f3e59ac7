"""Earnings: commissions from an amount or from a sale, and their payment workflow."""

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from vantio.auth.context import AuthContext
from vantio.db import repository
from vantio.db.types import is_unique_violation
from vantio.earnings import rules
from vantio.earnings.errors import (
    DuplicateConversion,
    EarningLocked,
    ReferralRejected,
)
from vantio.earnings.models import Earning
from vantio.earnings.schemas import (
    EarningCreate,
    EarningOut,
    EarningStatus,
    EarningUpdate,
)
from vantio.errors import BadRequest, FieldError, NotFound, ReferenceNotFound
from vantio.events import service as event_service
from vantio.kit import metadata as metadata_rules
from vantio.kit.ids import new_id
from vantio.kit.pagination import Page
from vantio.kit.time import utc_now
from vantio.kit.workflow import Workflow
from vantio.programs import service as program_service
from vantio.referrals import service as referral_service
from vantio.referrals.schemas import ReferralStatus
from vantio.webhooks.schemas import EventType

WORKFLOW = Workflow(
    "earning",
    {
        EarningStatus.PENDING: {EarningStatus.PROCESSING, EarningStatus.FAILED},
        EarningStatus.PROCESSING: {EarningStatus.PAID, EarningStatus.FAILED},
        EarningStatus.FAILED: {EarningStatus.PENDING, EarningStatus.PROCESSING},
        EarningStatus.PAID: set(),
        # Reached only through `reverse_unpaid` (POST /earnings/{id}/reverse), never by a move.
        EarningStatus.REVERSED: set(),
    },
)
# Once an earning is in a payout its amount is part of that payout's total.
EDITABLE_AMOUNT_STATUSES = (EarningStatus.PENDING, EarningStatus.FAILED)


async def create_earning(
    session: AsyncSession, auth: AuthContext, *, data: EarningCreate
) -> Earning:
    referral = await referral_service.get_referral(
        session, auth, referral_id=data.referral_id, for_update=True
    )
    if referral is None:
        raise ReferenceNotFound("referral_id", "referral", data.referral_id)
    if referral.status == ReferralStatus.REJECTED:
        raise ReferralRejected(
            f"referral_id: referral {referral.id} was rejected and earns no commission",
            details={"field": "referral_id"},
        )
    program = await program_service.get_program_or_raise(
        session, auth, program_id=referral.program_id
    )
    if data.external_id is not None:
        await _refuse_duplicate(session, auth, program_id=program.id, external_id=data.external_id)
    now = utc_now()
    first = await rules.first_earning_at(session, auth, referral_id=referral.id)
    rules.check_window(program, converted_at=first, now=now)
    metadata = dict(data.metadata or {})
    if data.sale_amount is not None:
        if program_service.tiers_per_month(program):
            conversions = await rules.conversions_this_month(
                session, auth, program_id=program.id, student_id=referral.student_id, now=now
            )
            if first is None or first < rules.period_start("month", now):
                conversions += 1  # this sale converts the referral (this month)
        else:
            conversions = await referral_service.count_conversions(
                session, auth, program_id=program.id, student_id=referral.student_id
            )
            if referral.status == ReferralStatus.PENDING:
                conversions += 1  # this sale converts the referral
        amount, rate = program_service.commission_on(
            program, sale_amount=data.sale_amount, conversions=conversions
        )
        if amount <= 0:
            raise BadRequest(
                "sale_amount: the commission on this sale rounds to zero",
                details={"field": "sale_amount"},
            )
        metadata.update(commission_rate=rate, sale_amount=data.sale_amount)
    else:
        amount = data.amount or 0  # EarningCreate guarantees one of the two is set
    currency = data.currency or program.currency
    original_amount = None
    capped = await rules.capped(
        session,
        auth,
        program=program,
        student_id=referral.student_id,
        amount=amount,
        currency=currency,
        now=now,
    )
    if capped != amount:
        original_amount, amount = amount, capped
    if referral.status == ReferralStatus.PENDING:
        await referral_service.change_status(
            session, auth, referral=referral, status=ReferralStatus.CONVERTED
        )
    earning = Earning(
        id=new_id("earn"),
        account_id=auth.account_id,
        livemode=auth.livemode,
        referral_id=referral.id,
        program_id=referral.program_id,
        student_id=referral.student_id,
        amount=amount,
        original_amount=original_amount,
        currency=currency,
        type=data.type,
        description=data.description,
        status=EarningStatus.PENDING,
        external_id=data.external_id,
        payable_at=now + timedelta(days=program.hold_days),
        metadata_=metadata_rules.check(metadata),
        created_at=now,
        updated_at=now,
    )
    await session.flush()  # the referral's change, before the savepoint that may roll back
    program_id, external_id = program.id, data.external_id
    try:
        async with session.begin_nested():
            session.add(earning)
            await session.flush()
    except IntegrityError as exc:
        if external_id is None or not is_unique_violation(exc):
            raise
        # Another request inserted the same conversion meanwhile: the unique index decided.
        await _refuse_duplicate(session, auth, program_id=program_id, external_id=external_id)
        raise
    await emit(session, auth, EventType.EARNING_CREATED, earning)
    return earning


async def _refuse_duplicate(
    session: AsyncSession, auth: AuthContext, *, program_id: str, external_id: str
) -> None:
    """409 `duplicate_conversion`, naming the earning that already pays this conversion."""
    query = repository.scoped(Earning, auth).where(
        Earning.program_id == program_id, Earning.external_id == external_id
    )
    existing = (await session.scalars(query.limit(1))).first()
    if existing is not None:
        raise DuplicateConversion(
            f"external_id: earning {existing.id} already pays the conversion {external_id!r} "
            "in this program",
            details={"field": "external_id", "existing_id": existing.id},
        )


async def get_earning(
    session: AsyncSession, auth: AuthContext, *, earning_id: str, for_update: bool = False
) -> Earning | None:
    return await repository.get(session, Earning, auth, earning_id, for_update=for_update)


async def get_earning_or_raise(
    session: AsyncSession, auth: AuthContext, *, earning_id: str, for_update: bool = False
) -> Earning:
    earning = await get_earning(session, auth, earning_id=earning_id, for_update=for_update)
    if earning is None:
        raise NotFound(f"No earning with id {earning_id}")
    return earning


async def list_earnings(
    session: AsyncSession,
    auth: AuthContext,
    *,
    referral_id: str | None,
    program_id: str | None,
    status: str | None,
    page: Page,
    student_id: str | None = None,
    created_since: datetime | None = None,
    created_before: datetime | None = None,
) -> tuple[Sequence[Earning], bool]:
    query = repository.filter_by(
        repository.scoped(Earning, auth),
        Earning,
        referral_id=referral_id,
        program_id=program_id,
        student_id=student_id,
        status=status,
    )
    query = repository.created_between(query, Earning, created_since, created_before)
    return await repository.page(session, query, Earning, page)


async def update_earning(
    session: AsyncSession, auth: AuthContext, *, earning_id: str, data: EarningUpdate
) -> Earning:
    earning = await get_earning_or_raise(session, auth, earning_id=earning_id, for_update=True)
    if (data.amount is not None and data.amount != earning.amount) or (
        data.currency is not None and data.currency != earning.currency
    ):
        if earning.status not in EDITABLE_AMOUNT_STATUSES:
            raise EarningLocked(
                f"amount: an earning in status '{earning.status}' can no longer change its amount or currency",
                details={"field": "amount", "status": earning.status},
            )
        earning.amount = data.amount or earning.amount
        earning.currency = data.currency or earning.currency
    for name in ("type", "description", "reference_id"):
        value = getattr(data, name)
        if value is not None or data.cleared(name):
            setattr(earning, name, value)
    if data.metadata is not None:
        earning.metadata_ = metadata_rules.merge(earning.metadata_, data.metadata)
    if data.status == EarningStatus.REVERSED and earning.status != EarningStatus.REVERSED:
        raise FieldError("status", "reverse an earning with POST /api/v1/earnings/{id}/reverse")
    if data.status is not None and data.status != earning.status:
        await change_status(session, auth, earning=earning, status=data.status)
    await session.flush()
    return earning


async def change_status(
    session: AsyncSession, auth: AuthContext, *, earning: Earning, status: str
) -> None:
    """Move an earning along the payment workflow, or raise `invalid_status_transition`."""
    WORKFLOW.check(earning.status, status)
    now = utc_now()
    if status == EarningStatus.PAID:
        earning.paid_at = now
    previous, earning.status = earning.status, status
    earning.updated_at = now
    await session.flush()
    await emit(session, auth, EventType.EARNING_STATUS_CHANGED, earning, previous_status=previous)


async def emit(
    session: AsyncSession,
    auth: AuthContext,
    type: EventType,
    earning: Earning,
    previous_status: str | None = None,
) -> None:
    data = EarningOut.of(earning).model_dump(mode="json")
    if previous_status is not None:
        data["previous_status"] = previous_status
    await event_service.record(session, auth, type=type, data=data)
