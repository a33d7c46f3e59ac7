"""A run's payout file (PayPal, Wise, SEPA) and what the provider did with it."""

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from vantio.auth.context import AuthContext
from vantio.db import repository
from vantio.earnings import service as earning_service
from vantio.earnings.schemas import EarningStatus
from vantio.errors import FieldError, NotFound
from vantio.kit.time import utc_now
from vantio.payouts import details, files, runs
from vantio.payouts import service as payout_service
from vantio.payouts.models import Payout
from vantio.payouts.schemas import PayoutStatus
from vantio.programs import service as program_service

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
    if method not in runs.FILE_METHODS:
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
        user = await payout_service.ambassador_of(session, auth, payout=payout)
        account = opened.get(payout.student_id)
        if account is None or account[0] != runs.FILE_METHODS[method]:
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
        payout = await payout_service.get_payout_or_raise(
            session, auth, payout_id=payout.id, for_update=True
        )
        if status is None or payout.status != PayoutStatus.PROCESSING:
            done.unchanged.append(payout.id)
            continue
        if status == PayoutStatus.PAID:
            await payout_service.mark_paid(session, auth, payout)
            done.paid.append(payout.id)
        else:
            await fail_and_release(session, auth, payout=payout, reason=reason)
            done.failed.append(payout.id)
    return done


async def fail_and_release(
    session: AsyncSession, auth: AuthContext, *, payout: Payout, reason: str | None
) -> None:
    """The provider could not pay it: the payout fails and its earnings are payable again."""
    held = list(
        await payout_service.list_payout_earnings(session, auth, payout=payout, for_update=True)
    )
    payout.failure_reason = reason[:500] if reason else None
    await payout_service.mark_failed(session, auth, payout)
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
