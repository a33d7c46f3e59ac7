"""Payouts: an ambassador's pending earnings grouped into one payment, and its outcome."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import exists, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from vantio.auth.context import AuthContext
from vantio.db import repository
from vantio.earnings import service as earning_service
from vantio.earnings.models import Earning
from vantio.earnings.schemas import EarningStatus
from vantio.errors import FieldError, NotFound
from vantio.events import service as event_service
from vantio.kit import metadata as metadata_rules
from vantio.kit.ids import new_id
from vantio.kit.pagination import Page
from vantio.kit.time import utc_now
from vantio.kit.workflow import Workflow
from vantio.payouts.errors import PayoutConflict, PayoutEarningsChanged
from vantio.payouts.models import Payout, PayoutEarning
from vantio.payouts.schemas import PayoutOut, PayoutStatus, PayoutUpdate, Skipped
from vantio.programs import service as program_service
from vantio.users import service as user_service
from vantio.users.models import User
from vantio.webhooks.schemas import EventType

WORKFLOW = Workflow(
    "payout",
    {
        PayoutStatus.PROCESSING: {PayoutStatus.PAID, PayoutStatus.FAILED},
        PayoutStatus.PAID: set(),
        PayoutStatus.FAILED: set(),
    },
)


@dataclass
class PayoutRunResult:
    payouts: list[Payout] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


async def create_payouts(
    session: AsyncSession,
    auth: AuthContext,
    *,
    program_id: str,
    student_id: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> PayoutRunResult:
    """Group each ambassador's pending earnings (per currency) into a payout once they reach
    the program's `minimum_payout`; the earnings move to `processing`."""
    program = await program_service.get_program_or_raise(session, auth, program_id=program_id)
    if student_id is not None:
        user = await user_service.get_user(session, auth, user_id=student_id)
        if user is None:
            raise NotFound(f"No user with id {student_id}", details={"field": "student_id"})
        if user.program_id != program.id:
            raise FieldError("student_id", "is not an ambassador of this program")
    earnings = await _claimable_earnings(
        session, auth, program_id=program.id, student_id=student_id
    )
    groups: dict[tuple[str, str], list[Earning]] = {}
    for earning in earnings:
        groups.setdefault((earning.student_id, earning.currency), []).append(earning)
    result = PayoutRunResult()
    for (student, currency), members in sorted(groups.items()):
        total = sum(earning.amount for earning in members)
        if total < program.minimum_payout:
            result.skipped.append(
                Skipped(student_id=student, currency=currency, pending_amount=total)
            )
            continue
        payout = await _create_payout(
            session,
            auth,
            program_id=program.id,
            student_id=student,
            currency=currency,
            earnings=members,
            metadata=metadata or {},
        )
        result.payouts.append(payout)
    return result


async def _claimable_earnings(
    session: AsyncSession, auth: AuthContext, *, program_id: str, student_id: str | None
) -> Sequence[Earning]:
    """Pending earnings in no live payout, locked for this run.

    On PostgreSQL a concurrent run skips the rows this one holds (SKIP LOCKED) and re-checks
    `status` on rows committed meanwhile; SQLite runs one writer at a time (BEGIN IMMEDIATE).
    """
    in_live_payout = exists().where(
        PayoutEarning.earning_id == Earning.id, PayoutEarning.active.is_(True)
    )
    query = repository.filter_by(
        repository.scoped(Earning, auth).where(
            Earning.status == EarningStatus.PENDING, ~in_live_payout
        ),
        Earning,
        program_id=program_id,
        student_id=student_id,
    )
    query = query.order_by(Earning.id).with_for_update(skip_locked=True, of=Earning)
    return (await session.scalars(query)).all()


async def _create_payout(
    session: AsyncSession,
    auth: AuthContext,
    *,
    program_id: str,
    student_id: str,
    currency: str,
    earnings: list[Earning],
    metadata: dict[str, Any],
) -> Payout:
    payout = Payout(
        id=new_id("payout"),
        account_id=auth.account_id,
        livemode=auth.livemode,
        program_id=program_id,
        student_id=student_id,
        amount=sum(earning.amount for earning in earnings),
        currency=currency,
        status=PayoutStatus.PROCESSING,
        earnings_count=len(earnings),
        metadata_=metadata_rules.check(dict(metadata)),
    )
    session.add(payout)
    session.add_all(
        PayoutEarning(
            payout_id=payout.id, earning_id=earning.id, amount=earning.amount, active=True
        )
        for earning in earnings
    )
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        # The unique (earning_id, active) refused an earning that another run put in a payout.
        raise PayoutConflict(
            "another payout run claimed some of these earnings at the same time; retry",
            details={"student_id": student_id},
        ) from exc
    for earning in earnings:
        earning.reference_id = payout.id
        await earning_service.change_status(
            session, auth, earning=earning, status=EarningStatus.PROCESSING
        )
    await _emit(session, auth, EventType.PAYOUT_CREATED, payout)
    return payout


async def get_payout(
    session: AsyncSession, auth: AuthContext, *, payout_id: str, for_update: bool = False
) -> Payout | None:
    return await repository.get(session, Payout, auth, payout_id, for_update=for_update)


async def get_payout_or_raise(
    session: AsyncSession, auth: AuthContext, *, payout_id: str, for_update: bool = False
) -> Payout:
    payout = await get_payout(session, auth, payout_id=payout_id, for_update=for_update)
    if payout is None:
        raise NotFound(f"No payout with id {payout_id}")
    return payout


async def list_payouts(
    session: AsyncSession,
    auth: AuthContext,
    *,
    program_id: str | None,
    student_id: str | None,
    status: str | None,
    page: Page,
) -> tuple[Sequence[Payout], bool]:
    query = repository.filter_by(
        repository.scoped(Payout, auth),
        Payout,
        program_id=program_id,
        student_id=student_id,
        status=status,
    )
    return await repository.page(session, query, Payout, page)


async def list_payout_earnings(
    session: AsyncSession, auth: AuthContext, *, payout: Payout, for_update: bool = False
) -> Sequence[Earning]:
    query = (
        repository.scoped(Earning, auth)
        .join(PayoutEarning, PayoutEarning.earning_id == Earning.id)
        .where(PayoutEarning.payout_id == payout.id)
        .order_by(Earning.id)
    )
    if for_update:
        query = query.with_for_update(of=Earning)
    return (await session.scalars(query)).all()


async def update_payout(
    session: AsyncSession, auth: AuthContext, *, payout_id: str, data: PayoutUpdate
) -> Payout:
    payout = await get_payout_or_raise(session, auth, payout_id=payout_id, for_update=True)
    if data.metadata is not None:
        payout.metadata_ = metadata_rules.merge(payout.metadata_, data.metadata)
        payout.updated_at = utc_now()
    if data.status is not None and data.status != payout.status:
        WORKFLOW.check(payout.status, data.status)
        if PayoutStatus(data.status) == PayoutStatus.PAID:
            await _mark_paid(session, auth, payout)
        else:
            await _mark_failed(session, auth, payout)
    await session.flush()
    return payout


async def _mark_paid(session: AsyncSession, auth: AuthContext, payout: Payout) -> None:
    """Every earning of the payout becomes `paid`; one moved elsewhere meanwhile refuses it."""
    earnings = await list_payout_earnings(session, auth, payout=payout, for_update=True)
    moved = [
        e.id for e in earnings if e.status not in (EarningStatus.PROCESSING, EarningStatus.PAID)
    ]
    if moved:
        raise PayoutEarningsChanged(
            "status: some earnings of this payout changed status since it was created; "
            "mark the payout failed, or move them back to processing",
            details={"field": "status", "earning_ids": moved},
        )
    now = utc_now()
    for earning in earnings:
        if earning.status == EarningStatus.PROCESSING:
            await earning_service.change_status(
                session, auth, earning=earning, status=EarningStatus.PAID
            )
    payout.status, payout.paid_at, payout.updated_at = PayoutStatus.PAID, now, now
    await session.flush()
    await _emit(
        session, auth, EventType.PAYOUT_PAID, payout, previous_status=PayoutStatus.PROCESSING
    )


async def _mark_failed(session: AsyncSession, auth: AuthContext, payout: Payout) -> None:
    """Its `processing` earnings become `failed` (retry: move them back to `pending`), and the
    earnings are released so a later payout may take them."""
    earnings = await list_payout_earnings(session, auth, payout=payout, for_update=True)
    for earning in earnings:
        if earning.status == EarningStatus.PROCESSING:
            await earning_service.change_status(
                session, auth, earning=earning, status=EarningStatus.FAILED
            )
    await session.execute(
        update(PayoutEarning).where(PayoutEarning.payout_id == payout.id).values(active=None)
    )
    payout.status, payout.updated_at = PayoutStatus.FAILED, utc_now()
    await session.flush()
    await _emit(
        session, auth, EventType.PAYOUT_FAILED, payout, previous_status=PayoutStatus.PROCESSING
    )


async def ambassador_of(session: AsyncSession, auth: AuthContext, *, payout: Payout) -> User:
    user = await user_service.get_user(session, auth, user_id=payout.student_id)
    if user is None:  # a payout's ambassador is a foreign key of the same account
        raise NotFound(f"No user with id {payout.student_id}")
    return user


async def _emit(
    session: AsyncSession,
    auth: AuthContext,
    type: EventType,
    payout: Payout,
    previous_status: str | None = None,
) -> None:
    data = PayoutOut.of(payout).model_dump(mode="json")
    if previous_status is not None:
        data["previous_status"] = previous_status
    await event_service.record(session, auth, type=type, data=data)
