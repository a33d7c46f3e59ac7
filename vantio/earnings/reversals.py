"""Reversals: an unpaid earning becomes `reversed`; a paid one gets a clawback (a negative
earning) that later payouts net off; a clawback too large for one payout is split."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from vantio.auth.context import AuthContext
from vantio.earnings import service as earnings
from vantio.earnings.errors import (
    EarningAlreadyReversed,
    EarningLocked,
    EarningNotReversible,
)
from vantio.earnings.models import Earning
from vantio.earnings.schemas import (
    CLAWBACK,
    EarningStatus,
)
from vantio.kit.ids import new_id
from vantio.kit.time import utc_now
from vantio.webhooks.schemas import EventType


async def release(session: AsyncSession, auth: AuthContext, *, earning: Earning) -> None:
    """A payout let go of this earning before it was paid (not a move a client makes): it is
    pending again, for the next run."""
    now = utc_now()
    previous = earning.status
    earning.status, earning.reference_id, earning.updated_at = EarningStatus.PENDING, None, now
    await session.flush()
    await earnings.emit(
        session, auth, EventType.EARNING_STATUS_CHANGED, earning, previous_status=previous
    )


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
    await earnings.emit(session, auth, EventType.EARNING_REVERSED, earning)


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
    await earnings.emit(session, auth, EventType.EARNING_CLAWBACK_CREATED, clawback)
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
