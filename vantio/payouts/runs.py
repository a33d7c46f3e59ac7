"""Payout runs: an ambassador's payable earnings grouped into one payout per currency, their
clawbacks netted off (never below zero), paid by hand, by a payout file or in store credit."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import exists
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from vantio.auth.context import AuthContext
from vantio.db import repository
from vantio.earnings import reversals
from vantio.earnings import service as earning_service
from vantio.earnings.models import Earning
from vantio.earnings.schemas import EarningStatus
from vantio.errors import FieldError, ReferenceNotFound
from vantio.kit import metadata as metadata_rules
from vantio.kit.crypto import random_token
from vantio.kit.ids import new_id
from vantio.kit.time import utc_now
from vantio.payouts import details
from vantio.payouts import service as payouts
from vantio.payouts.errors import PayoutConflict
from vantio.payouts.models import Payout, PayoutEarning
from vantio.payouts.schemas import PayoutStatus, Skipped
from vantio.programs import service as program_service
from vantio.users import service as user_service
from vantio.vouchers import service as voucher_service
from vantio.vouchers.schemas import Conditions, VoucherCreate
from vantio.webhooks.schemas import EventType


@dataclass
class PayoutRunResult:
    run_id: str | None = None
    payouts: list[Payout] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


FILE_METHODS = {"paypal": "paypal", "wise": "bank", "sepa": "bank"}  # run method → details


async def create_payouts(
    session: AsyncSession,
    auth: AuthContext,
    *,
    program_id: str,
    student_id: str | None = None,
    metadata: dict[str, Any] | None = None,
    method: str = "manual",
) -> PayoutRunResult:
    """Group each ambassador's payable earnings (per currency) into a payout once they reach
    the program's `minimum_payout`; the earnings move to `processing`.

    Earnings on hold wait (`skipped`, reason `on_hold`); pending clawbacks are netted off, in
    order, as far as the positive earnings allow: a payout never goes below zero, and the part
    of a clawback it cannot absorb carries to the next run as a new pending clawback.
    """
    program = await program_service.get_program_or_raise(
        session, auth, program_id=program_id, field="program_id"
    )
    if student_id is not None:
        user = await user_service.get_user(session, auth, user_id=student_id)
        if user is None:
            raise ReferenceNotFound("student_id", "user", student_id)
        if user.program_id != program.id:
            raise FieldError("student_id", "is not an ambassador of this program")
    if method == "sepa" and not program.payout_sender:
        raise FieldError("method", "a SEPA run needs the program's payout_sender (name, iban, bic)")
    earnings = await _claimable_earnings(
        session, auth, program_id=program.id, student_id=student_id
    )
    now = utc_now()
    groups: dict[tuple[str, str], list[Earning]] = {}
    for earning in earnings:
        groups.setdefault((earning.student_id, earning.currency), []).append(earning)
    accounts: dict[str, tuple[str, dict[str, Any]]] = {}
    if method in FILE_METHODS:
        accounts = await details.details_of(
            session, auth, student_ids=(student for student, _ in groups)
        )
    result = PayoutRunResult(run_id=new_id("prun"))
    for (student, currency), members in sorted(groups.items()):
        held = [e for e in members if e.amount > 0 and _payable_at(e) > now]
        if held:
            result.skipped.append(
                Skipped(
                    student_id=student,
                    currency=currency,
                    pending_amount=sum(e.amount for e in held),
                    reason="on_hold",
                    payable_at=min(_payable_at(e) for e in held),
                )
            )
        plan = plan_netting(
            positives=[e.amount for e in members if e.amount > 0 and _payable_at(e) <= now],
            clawbacks=[e.amount for e in members if e.amount < 0],
        )
        clawbacks = [e for e in members if e.amount < 0]
        if plan.gross == 0:
            if clawbacks:
                result.skipped.append(
                    Skipped(
                        student_id=student,
                        currency=currency,
                        pending_amount=sum(e.amount for e in clawbacks),
                        reason="negative_balance",
                    )
                )
            continue
        if plan.net < program.minimum_payout:
            result.skipped.append(
                Skipped(student_id=student, currency=currency, pending_amount=plan.net)
            )
            continue
        if method in FILE_METHODS:
            reason = _cannot_pay(method, currency, accounts.get(student))
            if reason is not None:
                result.skipped.append(
                    Skipped(
                        student_id=student,
                        currency=currency,
                        pending_amount=plan.net,
                        reason=reason,
                    )
                )
                continue
        taken = [e for e in members if e.amount > 0 and _payable_at(e) <= now]
        for clawback, keep in zip(clawbacks, plan.taken, strict=False):
            if keep == 0:
                break
            if keep != clawback.amount:
                await reversals.split_clawback(session, auth, clawback=clawback, keep=keep)
            taken.append(clawback)
        payout = await _create_payout(
            session,
            auth,
            program_id=program.id,
            student_id=student,
            currency=currency,
            earnings=taken,
            metadata=metadata or {},
            method=method,
            run_id=result.run_id,
        )
        if method == "voucher_credit":
            await _pay_in_store_credit(session, auth, payout=payout)
        elif payout.amount == 0:
            await payouts.mark_paid(session, auth, payout)  # netted to nothing: nothing to send
        result.payouts.append(payout)
    return result


async def _pay_in_store_credit(session: AsyncSession, auth: AuthContext, *, payout: Payout) -> None:
    """A single-use fixed voucher of the payout's amount that only the ambassador's email can
    redeem; the payout records it and is paid (the credit is delivered when it exists)."""
    if payout.amount > 0:
        user = await payouts.ambassador_of(session, auth, payout=payout)
        voucher = await voucher_service.create_voucher(
            session,
            auth,
            data=VoucherCreate(
                code=f"CREDIT-{random_token(8).upper()}",
                type="fixed",
                value=payout.amount,
                currency=payout.currency,
                conditions=Conditions(
                    max_uses=1,
                    rules=[{"type": "customer", "rules": [{"email": user.email}]}],
                ),
                metadata={"payout_id": payout.id, "student_id": payout.student_id},
            ),
        )
        payout.voucher_id = voucher.id
    await payouts.mark_paid(session, auth, payout)


def _cannot_pay(
    method: str, currency: str, account: tuple[str, dict[str, Any]] | None
) -> Literal["missing_payout_details", "unsupported_currency"] | None:
    if account is None or account[0] != FILE_METHODS[method]:
        return "missing_payout_details"
    if method == "sepa" and currency != "EUR":
        return "unsupported_currency"
    return None


@dataclass(frozen=True)
class Netting:
    gross: int
    taken: list[int]  # per clawback, in order: the (negative) part this payout nets off

    @property
    def net(self) -> int:
        return self.gross + sum(self.taken)


def plan_netting(*, positives: list[int], clawbacks: list[int]) -> Netting:
    """How much of each clawback (in order) the positive earnings absorb, never below zero."""
    gross = sum(positives)
    room, taken = gross, []
    for clawback in clawbacks:
        part = min(room, -clawback)
        taken.append(-part)
        room -= part
    return Netting(gross=gross, taken=taken)


def _payable_at(earning: Earning) -> datetime:
    return earning.payable_at or earning.created_at


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
    method: str = "manual",
    run_id: str | None = None,
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
        method=method,
        run_id=run_id,
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
    await payouts.emit(session, auth, EventType.PAYOUT_CREATED, payout)
    return payout
