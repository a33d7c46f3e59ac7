"""Payouts: an ambassador's pending earnings grouped into one payment, and its outcome."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import exists, select, update
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
from vantio.kit.crypto import random_token
from vantio.kit.ids import new_id
from vantio.kit.pagination import Page
from vantio.kit.time import utc_now
from vantio.kit.workflow import Workflow
from vantio.payouts import details, files
from vantio.payouts.errors import PayoutConflict, PayoutEarningsChanged
from vantio.payouts.models import Payout, PayoutEarning
from vantio.payouts.schemas import PayoutOut, PayoutStatus, PayoutUpdate, Skipped
from vantio.programs import service as program_service
from vantio.users import service as user_service
from vantio.users.models import User
from vantio.vouchers import service as voucher_service
from vantio.vouchers.schemas import Conditions, VoucherCreate
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
    program = await program_service.get_program_or_raise(session, auth, program_id=program_id)
    if student_id is not None:
        user = await user_service.get_user(session, auth, user_id=student_id)
        if user is None:
            raise NotFound(f"No user with id {student_id}", details={"field": "student_id"})
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
                await earning_service.split_clawback(session, auth, clawback=clawback, keep=keep)
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
            await _mark_paid(session, auth, payout)  # netted to nothing: nothing to send
        result.payouts.append(payout)
    return result


async def _pay_in_store_credit(session: AsyncSession, auth: AuthContext, *, payout: Payout) -> None:
    """A single-use fixed voucher of the payout's amount that only the ambassador's email can
    redeem; the payout records it and is paid (the credit is delivered when it exists)."""
    if payout.amount > 0:
        user = await ambassador_of(session, auth, payout=payout)
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
    await _mark_paid(session, auth, payout)


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
                    await earning_service.release(session, auth, earning=other)
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


# -- payout files and reconciliation -------------------------------------------------------------


@dataclass(frozen=True)
class PayoutFile:
    filename: str
    media_type: str
    content: bytes


async def run_payouts(session: AsyncSession, auth: AuthContext, *, run_id: str) -> list[Payout]:
    query = repository.filter_by(repository.scoped(Payout, auth), Payout, run_id=run_id)
    payouts = list((await session.scalars(query.order_by(Payout.id))).all())
    if not payouts:
        raise NotFound(f"No payout run with id {run_id}")
    return payouts


async def run_file(
    session: AsyncSession, auth: AuthContext, *, run_id: str, currency: str | None = None
) -> PayoutFile:
    """The run's payout file: its payouts still `processing` with an amount to send."""
    payouts = await run_payouts(session, auth, run_id=run_id)
    method = payouts[0].method
    if method not in FILE_METHODS:
        raise FieldError("id", f"run {run_id} is paid by hand ({method}): it has no payout file")
    due = [
        p
        for p in payouts
        if p.status == PayoutStatus.PROCESSING
        and p.amount > 0
        and (currency is None or p.currency == currency)
    ]
    currencies = sorted({p.currency for p in due})
    if len(currencies) > 1:
        raise FieldError(
            "currency",
            f"one currency per file: choose one of {', '.join(currencies)}",
        )
    program = await program_service.get_program_or_raise(
        session, auth, program_id=payouts[0].program_id
    )
    opened = await details.details_of(session, auth, student_ids=(p.student_id for p in due))
    items = []
    for payout in due:
        user = await ambassador_of(session, auth, payout=payout)
        account = opened.get(payout.student_id)
        if account is None or account[0] != FILE_METHODS[method]:
            continue  # details removed since the run: the payout stays processing
        items.append(
            files.Item(
                payout_id=payout.id,
                amount=payout.amount,
                currency=payout.currency,
                name=f"{user.first_name} {user.last_name}",
                email=user.email,
                details=account[1],
            )
        )
    note = f"{program.name} payout"
    if method == "paypal":
        text = files.paypal_csv(items, note=note)
        return PayoutFile(f"{run_id}-paypal.csv", "text/csv; charset=utf-8", text.encode())
    if method == "wise":
        text = files.wise_csv(items, note=note)
        return PayoutFile(f"{run_id}-wise.csv", "text/csv; charset=utf-8", text.encode())
    if not items:
        raise FieldError("id", f"run {run_id} has nothing left to send")
    xml = files.sepa_xml(items, sender=program.payout_sender or {}, note=note, on=utc_now().date())
    return PayoutFile(f"{run_id}-sepa.xml", "application/xml", xml)


@dataclass
class Reconciled:
    paid: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)


async def reconcile(
    session: AsyncSession,
    auth: AuthContext,
    *,
    run_id: str,
    outcomes: list[tuple[str, str | None, str | None]],
) -> Reconciled:
    """Apply each (reference, paid|failed|None, reason) to the run's payout it names. A failed
    payout's earnings return to `pending`: payable by the next run."""
    payouts = {p.id: p for p in await run_payouts(session, auth, run_id=run_id)}
    done = Reconciled()
    for ref, status, reason in outcomes:
        payout = _match(payouts, ref)
        if payout is None:
            done.unmatched.append(ref)
            continue
        payout = await get_payout_or_raise(session, auth, payout_id=payout.id, for_update=True)
        if status is None or payout.status != PayoutStatus.PROCESSING:
            done.unchanged.append(payout.id)
            continue
        if status == PayoutStatus.PAID:
            await _mark_paid(session, auth, payout)
            done.paid.append(payout.id)
        else:
            await fail_and_release(session, auth, payout=payout, reason=reason)
            done.failed.append(payout.id)
    return done


async def fail_and_release(
    session: AsyncSession, auth: AuthContext, *, payout: Payout, reason: str | None
) -> None:
    """The provider could not pay it: the payout fails and its earnings are payable again."""
    held = list(await list_payout_earnings(session, auth, payout=payout, for_update=True))
    payout.failure_reason = reason[:500] if reason else None
    await _mark_failed(session, auth, payout)
    for earning in held:
        if earning.status == EarningStatus.FAILED:
            await earning_service.change_status(
                session, auth, earning=earning, status=EarningStatus.PENDING
            )


def _match(payouts: dict[str, Payout], ref: str) -> Payout | None:
    ref = ref.strip()
    if not ref:
        return None
    for payout_id, payout in payouts.items():
        short = files.reference(payout_id)
        if ref in (payout_id, short) or short in ref:
            return payout
    return None


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
