"""Payouts: an ambassador's pending earnings grouped into one payment, and its outcome."""

from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from vantio.auth.context import AuthContext
from vantio.db import repository
from vantio.earnings import reversals
from vantio.earnings import service as earning_service
from vantio.earnings.models import Earning
from vantio.earnings.schemas import EarningStatus
from vantio.errors import NotFound
from vantio.events import service as event_service
from vantio.kit import metadata as metadata_rules
from vantio.kit.pagination import Page
from vantio.kit.time import utc_now
from vantio.kit.workflow import Workflow
from vantio.payouts.errors import PayoutEarningsChanged
from vantio.payouts.models import Payout, PayoutEarning
from vantio.payouts.schemas import PayoutOut, PayoutStatus, PayoutUpdate
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
    """The earnings the payout holds (live lines: a reversed earning has left it)."""
    query = (
        repository.scoped(Earning, auth)
        .join(PayoutEarning, PayoutEarning.earning_id == Earning.id)
        .where(PayoutEarning.payout_id == payout.id, PayoutEarning.active.is_(True))
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
            await mark_paid(session, auth, payout)
        else:
            await mark_failed(session, auth, payout)
    await session.flush()
    return payout


async def mark_paid(session: AsyncSession, auth: AuthContext, payout: Payout) -> None:
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
    await emit(
        session, auth, EventType.PAYOUT_PAID, payout, previous_status=PayoutStatus.PROCESSING
    )


async def mark_failed(session: AsyncSession, auth: AuthContext, payout: Payout) -> None:
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
    await emit(
        session, auth, EventType.PAYOUT_FAILED, payout, previous_status=PayoutStatus.PROCESSING
    )


async def release_earning(session: AsyncSession, auth: AuthContext, *, earning: Earning) -> None:
    """Take an earning out of the live payout holding it (before a reversal). If the payout
    would go below zero (it netted clawbacks against this earning), its clawbacks go back to
    pending too: they carry to the next run."""
    row = (
        await session.scalars(
            select(PayoutEarning).where(
                PayoutEarning.earning_id == earning.id, PayoutEarning.active.is_(True)
            )
        )
    ).first()
    if row is None:
        return
    payout = await get_payout_or_raise(session, auth, payout_id=row.payout_id, for_update=True)
    if payout.status != PayoutStatus.PROCESSING:
        return
    await _drop_line(payout, row)
    if payout.amount < 0:
        for other in await list_payout_earnings(session, auth, payout=payout, for_update=True):
            if other.amount < 0 and other.status == EarningStatus.PROCESSING:
                line = await session.get(PayoutEarning, (payout.id, other.id))
                if line is not None and line.active:
                    await _drop_line(payout, line)
                    await reversals.release(session, auth, earning=other)
    payout.updated_at = utc_now()
    await session.flush()


async def _drop_line(payout: Payout, line: PayoutEarning) -> None:
    line.active, line.left_at = None, utc_now()
    payout.amount -= line.amount
    payout.earnings_count -= 1


async def list_lines(
    session: AsyncSession, auth: AuthContext, *, payout: Payout
) -> list[tuple[PayoutEarning, Earning]]:
    """The payout's lines (earnings and netted clawbacks), each with the amount it counted."""
    query = (
        select(PayoutEarning, Earning)
        .join(Earning, PayoutEarning.earning_id == Earning.id)
        .where(repository.owned_by(Earning, auth), PayoutEarning.payout_id == payout.id)
        .order_by(Earning.amount.desc(), Earning.id)
    )
    return [(line, earning) for line, earning in (await session.execute(query)).all()]


async def ambassador_of(session: AsyncSession, auth: AuthContext, *, payout: Payout) -> User:
    user = await user_service.get_user(session, auth, user_id=payout.student_id)
    if user is None:  # a payout's ambassador is a foreign key of the same account
        raise NotFound(f"No user with id {payout.student_id}")
    return user


async def emit(
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
