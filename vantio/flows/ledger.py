"""One ledger: reversing an earning, wherever it stands in the payment workflow.

Unpaid (pending, failed, or in a payout not yet paid): it leaves the payout and becomes
`reversed`. Paid: it gets a clawback, a negative earning the ambassador's next payouts in that
currency net off. Called by `POST /api/v1/earnings/{id}/reverse`, the dashboard, and the
rollback of the voucher application that created it (`referral_loop`), always in the caller's
transaction.
"""

from sqlalchemy.ext.asyncio import AsyncSession

from vantio.auth.context import AuthContext
from vantio.earnings import reversals
from vantio.earnings import service as earning_service
from vantio.earnings.models import Earning
from vantio.earnings.schemas import EarningStatus
from vantio.errors import FieldError
from vantio.payouts import service as payout_service


async def reverse_earning(
    session: AsyncSession, auth: AuthContext, *, earning_id: str, reason: str | None
) -> reversals.Reversal:
    earning = await earning_service.get_earning_or_raise(
        session, auth, earning_id=earning_id, for_update=True
    )
    if not reason:
        raise FieldError("reason", "required: why the earning is reversed")
    return await reverse(session, auth, earning=earning, reason=reason)


async def reverse(
    session: AsyncSession, auth: AuthContext, *, earning: Earning, reason: str
) -> reversals.Reversal:
    reversals.check_reversible(earning)
    if earning.status == EarningStatus.PAID:
        clawback = await reversals.claw_back(session, auth, earning=earning, reason=reason)
        return reversals.Reversal(earning=earning, clawback=clawback)
    if earning.status == EarningStatus.PROCESSING:
        await payout_service.release_earning(session, auth, earning=earning)
    await reversals.reverse_unpaid(session, auth, earning=earning, reason=reason)
    return reversals.Reversal(earning=earning, clawback=None)
