"""Earnings: commissions from an amount or from a sale, and their payment workflow."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from vantio.auth.context import AuthContext
from vantio.db import repository
from vantio.db.types import is_unique_violation
from vantio.earnings.errors import (
    CommissionWindowEnded,
    DuplicateConversion,
    EarningAlreadyReversed,
    EarningLocked,
    EarningNotReversible,
    ReferralRejected,
)
from vantio.earnings.models import Earning
from vantio.earnings.schemas import (
    CLAWBACK,
    EarningCreate,
    EarningOut,
    EarningStatus,
    EarningUpdate,
)
from vantio.errors import BadRequest, FieldError, NotFound
from vantio.events import service as event_service
from vantio.kit import metadata as metadata_rules
from vantio.kit.ids import new_id
from vantio.kit.pagination import Page
from vantio.kit.time import utc_now
from vantio.kit.workflow import Workflow
from vantio.programs import service as program_service
from vantio.programs.models import Program
from vantio.referrals import service as referral_service
from vantio.referrals.schemas import ReferralStatus
from vantio.users.models import User
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
        raise NotFound(f"No referral with id {data.referral_id}", details={"field": "referral_id"})
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
    first = await _first_earning_at(session, auth, referral_id=referral.id)
    _check_window(program, converted_at=first, now=now)
    metadata = dict(data.metadata or {})
    if data.sale_amount is not None:
        if program_service.tiers_per_month(program):
            conversions = await _conversions_this_month(
                session, auth, program_id=program.id, student_id=referral.student_id, now=now
            )
            if first is None or first < _period_start("month", now):
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
    capped = await _capped(
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
    await _emit(session, auth, EventType.EARNING_CREATED, earning)
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


async def _first_earning_at(
    session: AsyncSession, auth: AuthContext, *, referral_id: str
) -> datetime | None:
    """When the referral converted: its first earning (a clawback is no conversion)."""
    query = select(func.min(Earning.created_at)).where(
        repository.owned_by(Earning, auth),
        Earning.referral_id == referral_id,
        Earning.reverses.is_(None),
    )
    first = (await session.execute(query)).scalar_one_or_none()
    if first is not None and first.tzinfo is None:
        first = first.replace(tzinfo=UTC)
    return first


def add_months(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months later (the last day of a shorter month)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    for day in range(moment.day, 27, -1):
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    return moment.replace(year=year, month=month, day=min(moment.day, 28))


def _check_window(program: Program, *, converted_at: datetime | None, now: datetime) -> None:
    """A recurring commission pays for `commission_months` after the referral converted."""
    if program.commission_months is None or converted_at is None:
        return
    ends_at = add_months(converted_at, program.commission_months)
    if now >= ends_at:
        raise CommissionWindowEnded(
            f"referral_id: the program pays commission for {program.commission_months} months "
            f"after a referral converts; this referral converted at {converted_at.isoformat()} "
            f"and its window ended at {ends_at.isoformat()}: this sale earns nothing",
            details={
                "field": "referral_id",
                "commission_months": program.commission_months,
                "converted_at": converted_at.isoformat(),
                "window_ended_at": ends_at.isoformat(),
            },
        )


def _period_start(period: str, now: datetime) -> datetime:
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "day":
        return day
    if period == "week":
        return day - timedelta(days=day.weekday())  # ISO weeks start on Monday
    return day.replace(day=1)


async def _conversions_this_month(
    session: AsyncSession, auth: AuthContext, *, program_id: str, student_id: str, now: datetime
) -> int:
    """The ambassador's referrals whose first earning (their conversion) is in this UTC month."""
    firsts = (
        select(func.min(Earning.created_at).label("first"))
        .where(
            repository.owned_by(Earning, auth),
            Earning.program_id == program_id,
            Earning.student_id == student_id,
            Earning.reverses.is_(None),
        )
        .group_by(Earning.referral_id)
        .subquery()
    )
    query = (
        select(func.count())
        .select_from(firsts)
        .where(firsts.c.first >= _period_start("month", now))
    )
    return int((await session.execute(query)).scalar_one())


async def _capped(
    session: AsyncSession,
    auth: AuthContext,
    *,
    program: Program,
    student_id: str,
    amount: int,
    currency: str,
    now: datetime,
) -> int:
    """The amount cut to what the ambassador's cap for the period still allows."""
    cap: dict[str, Any] | None = program.commission_cap
    if not cap or currency != program.currency:
        return amount
    # One earning of an ambassador at a time while a cap applies (PostgreSQL: the row lock;
    # SQLite has one writer), so two concurrent earnings cannot both take the last of it.
    await repository.get(session, User, auth, student_id, for_update=True)
    used_query = select(func.coalesce(func.sum(Earning.amount), 0)).where(
        repository.owned_by(Earning, auth),
        Earning.program_id == program.id,
        Earning.student_id == student_id,
        Earning.currency == currency,
        Earning.reverses.is_(None),
        Earning.status != EarningStatus.REVERSED,
        Earning.created_at >= _period_start(str(cap["period"]), now),
    )
    used = int((await session.execute(used_query)).scalar_one())
    return max(0, min(amount, int(cap["amount"]) - used))


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
    await _emit(session, auth, EventType.EARNING_STATUS_CHANGED, earning, previous_status=previous)


async def release(session: AsyncSession, auth: AuthContext, *, earning: Earning) -> None:
    """A payout let go of this earning before it was paid (not a move a client makes): it is
    pending again, for the next run."""
    now = utc_now()
    previous = earning.status
    earning.status, earning.reference_id, earning.updated_at = EarningStatus.PENDING, None, now
    await session.flush()
    await _emit(session, auth, EventType.EARNING_STATUS_CHANGED, earning, previous_status=previous)


@dataclass
class Reversal:
    earning: Earning
    clawback: Earning | None


def check_reversible(earning: Earning) -> None:
    if earning.reverses is not None:
        raise EarningNotReversible(
            f"a clawback ({earning.id}) cannot be reversed", details={"earning_id": earning.id}
        )
    if earning.status == EarningStatus.REVERSED or earning.reversed_at is not None:
        raise EarningAlreadyReversed(
            f"earning {earning.id} was already reversed",
            details={"earning_id": earning.id, "status": earning.status},
        )


async def reverse_unpaid(
    session: AsyncSession, auth: AuthContext, *, earning: Earning, reason: str
) -> None:
    """An unpaid earning (no longer in any live payout) becomes `reversed`, for good."""
    check_reversible(earning)
    if earning.status == EarningStatus.PAID:
        raise EarningLocked("a paid earning is taken back by a clawback")
    now = utc_now()
    earning.status, earning.reversed_at, earning.reversal_reason = (
        EarningStatus.REVERSED,
        now,
        reason,
    )
    earning.updated_at = now
    await session.flush()
    await _emit(session, auth, EventType.EARNING_REVERSED, earning)


async def claw_back(
    session: AsyncSession, auth: AuthContext, *, earning: Earning, reason: str
) -> Earning:
    """A paid earning stays paid (`reversed_at` set); a negative earning of the same amount,
    payable at once, takes it back from the ambassador's next payouts in that currency."""
    check_reversible(earning)
    now = utc_now()
    earning.reversed_at, earning.reversal_reason, earning.updated_at = now, reason, now
    clawback = await _new_clawback(
        session,
        auth,
        source=earning,
        reverses=earning.id,
        amount=-earning.amount,
        reason=reason,
        now=now,
    )
    await _emit(session, auth, EventType.EARNING_CLAWBACK_CREATED, clawback)
    return clawback


async def split_clawback(
    session: AsyncSession, auth: AuthContext, *, clawback: Earning, keep: int
) -> Earning:
    """Keep `keep` (negative, smaller in size) on the clawback, and carry the rest as a new
    pending clawback of the same reversal (a payout nets only what it can: never below zero)."""
    if not clawback.amount < keep < 0:
        raise ValueError(f"cannot keep {keep} of a clawback of {clawback.amount}")
    rest = clawback.amount - keep
    clawback.amount = keep
    carried = await _new_clawback(
        session,
        auth,
        source=clawback,
        reverses=clawback.reverses,
        amount=rest,
        reason=clawback.reversal_reason or "",
        now=utc_now(),
        carried_from=clawback.id,
    )
    return carried


async def _new_clawback(
    session: AsyncSession,
    auth: AuthContext,
    *,
    source: Earning,
    reverses: str | None,
    amount: int,
    reason: str,
    now: datetime,
    carried_from: str | None = None,
) -> Earning:
    clawback = Earning(
        id=new_id("earn"),
        account_id=auth.account_id,
        livemode=auth.livemode,
        referral_id=source.referral_id,
        program_id=source.program_id,
        student_id=source.student_id,
        amount=amount,
        currency=source.currency,
        type=CLAWBACK,
        description=f"Clawback of {reverses}: {reason}",
        status=EarningStatus.PENDING,
        reverses=reverses,
        reversal_reason=reason,
        payable_at=now,
        metadata_={"carried_from": carried_from} if carried_from else {},
        created_at=now,
        updated_at=now,
    )
    session.add(clawback)
    await session.flush()
    return clawback


async def _emit(
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
