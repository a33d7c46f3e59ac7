"""The referral loop of API.md: a referred customer's voucher purchase pays the ambassador.

A poster scan hands out the program's referee voucher (`voucher=<code>` on the redirect, next
to `impression_id`); the customer signs up (a referral of that impression) and buys with the
code. Applying a voucher linked to a program (its `program_id`, or the program whose
`referee_voucher_id` it is) with the `order.impression_id` or `customer.email` of one of the
program's referrals converts that referral and creates the ambassador's earning: the program's
commission on the order's final amount. Once per order: a replayed apply creates nothing (the
voucher engine returns the stored application), and an order already credited to the referral
(another linked code on the same order) is not credited again.

One ledger: rolling back an application (`/v1/vouchers/applications/{id}/rollback`, or
`/v1/vouchers/remove`) reverses the commission it created in the same transaction, whatever
its state (unpaid: `reversed`; paid: a clawback; see `flows/ledger.py`). An order applied again
after its rollback is a sale again, credited anew.
"""

import logging

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from vantio.auth.context import AuthContext
from vantio.earnings import service as earning_service
from vantio.earnings.models import Earning
from vantio.earnings.schemas import EarningCreate, EarningStatus
from vantio.errors import VantioError
from vantio.flows import ledger
from vantio.kit.pagination import Page
from vantio.programs import service as program_service
from vantio.programs.models import Program
from vantio.referrals import service as referral_service
from vantio.vouchers import redemption
from vantio.vouchers import service as voucher_service
from vantio.vouchers.models import Voucher, VoucherApplication, VoucherRollback
from vantio.vouchers.schemas import ApplyRequest

log = logging.getLogger(__name__)

SOURCE = "voucher"


async def apply_voucher(
    session: AsyncSession, auth: AuthContext, *, data: ApplyRequest
) -> redemption.Applied:
    """`POST /v1/vouchers/apply`, and the referral credit when the voucher is a program's."""
    applied = await redemption.apply(session, auth, data=data)
    if applied.created:
        await credit_referral(
            session, auth, application=applied.application, voucher=applied.voucher
        )
        # Last before the commit: the counter's UPDATE holds the voucher's row (PostgreSQL).
        await redemption.count_use(session, applied)
    return applied


async def program_of(session: AsyncSession, auth: AuthContext, voucher: Voucher) -> Program | None:
    if voucher.program_id is not None:
        return await program_service.get_program(session, auth, program_id=voucher.program_id)
    return await program_service.get_program_by_referee_voucher(
        session, auth, voucher_id=voucher.id
    )


async def credit_referral(
    session: AsyncSession,
    auth: AuthContext,
    *,
    application: VoucherApplication,
    voucher: Voucher,
) -> Earning | None:
    """Convert the order's referral and create the earning; None when nothing is owed.

    Never fails the apply: a commission the program refuses (one that rounds to zero) is
    skipped inside a savepoint and logged.
    """
    program = await program_of(session, auth, voucher)
    if program is None or application.final_amount <= 0:
        return None
    order = application.order_data or {}
    referral = await referral_service.find_for_order(
        session,
        auth,
        program_id=program.id,
        impression_id=order.get("impression_id"),
        email=application.customer_email,
    )
    if referral is None or referral.status == "rejected":
        return None
    if await _credited(session, auth, referral_id=referral.id, order_id=application.order_id):
        return None
    try:
        async with session.begin_nested():
            if referral.status == "pending":
                await referral_service.change_status(
                    session, auth, referral=referral, status="converted"
                )
            return await earning_service.create_earning(
                session,
                auth,
                data=EarningCreate(
                    referral_id=referral.id,
                    sale_amount=application.final_amount,
                    currency=application.currency,
                    type="voucher_sale",
                    description=f"Order {application.order_id} with voucher {application.code}",
                    metadata={
                        "source": SOURCE,
                        "order_id": application.order_id,
                        "voucher_id": application.voucher_id,
                        "voucher_code": application.code,
                        "voucher_application_id": application.id,
                    },
                ),
            )
    except (VantioError, ValidationError) as error:
        log.warning(
            "no earning for application %s (referral %s): %s",
            application.id,
            referral.id,
            getattr(error, "message", str(error)),
        )
        return None


async def rollback(
    session: AsyncSession, auth: AuthContext, *, application_id: str, reason: str | None
) -> VoucherRollback:
    """`POST /v1/vouchers/applications/{id}/rollback`, and the reversal of its commission."""
    record = await redemption.rollback(session, auth, application_id=application_id, reason=reason)
    await reverse_commission(session, auth, application_id=record.application_id, reason=reason)
    return record


async def remove(
    session: AsyncSession, auth: AuthContext, *, code: str, order_id: str, reason: str | None
) -> VoucherRollback:
    """`POST /v1/vouchers/remove`, and the reversal of its commission."""
    record = await redemption.remove(session, auth, code=code, order_id=order_id, reason=reason)
    await reverse_commission(session, auth, application_id=record.application_id, reason=reason)
    return record


async def reverse_commission(
    session: AsyncSession, auth: AuthContext, *, application_id: str, reason: str | None
) -> list[Earning]:
    """Reverse the earning(s) the application created: unpaid → `reversed`, paid → clawback."""
    application = await redemption.get_application_or_raise(
        session, auth, application_id=application_id
    )
    voucher = await voucher_service.get_voucher_or_raise(
        session, auth, voucher_id=application.voucher_id
    )
    program = await program_of(session, auth, voucher)
    if program is None:
        return []
    order = application.order_data or {}
    referral = await referral_service.find_for_order(
        session,
        auth,
        program_id=program.id,
        impression_id=order.get("impression_id"),
        email=application.customer_email,
    )
    if referral is None:
        return []
    why = f"voucher application {application.id} rolled back" + (f": {reason}" if reason else "")
    reversed_ = []
    for earning in await _earnings_of(session, auth, referral_id=referral.id):
        if earning.metadata_.get("voucher_application_id") != application.id or not _live(earning):
            continue
        locked = await earning_service.get_earning_or_raise(
            session, auth, earning_id=earning.id, for_update=True
        )
        if _live(locked):
            await ledger.reverse(session, auth, earning=locked, reason=why[:500])
            reversed_.append(locked)
    return reversed_


def _live(earning: Earning) -> bool:
    """Not reversed, and not a clawback."""
    return (
        earning.status != EarningStatus.REVERSED
        and earning.reversed_at is None
        and earning.reverses is None
    )


async def _earnings_of(
    session: AsyncSession, auth: AuthContext, *, referral_id: str
) -> list[Earning]:
    found: list[Earning] = []
    offset = 0
    while True:
        earnings, more = await earning_service.list_earnings(
            session,
            auth,
            referral_id=referral_id,
            program_id=None,
            status=None,
            page=Page(limit=100, offset=offset),
        )
        found.extend(earnings)
        if not more:
            return found
        offset += 100


async def _credited(
    session: AsyncSession, auth: AuthContext, *, referral_id: str, order_id: str
) -> bool:
    """Whether a live earning of this referral already pays for this order (a reversed one, of
    a rolled-back application, does not)."""
    return any(
        e.metadata_.get("source") == SOURCE and e.metadata_.get("order_id") == order_id and _live(e)
        for e in await _earnings_of(session, auth, referral_id=referral_id)
    )
