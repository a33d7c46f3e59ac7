"""Payouts' errors."""

from vantio.errors import Conflict


class PayoutEarningsChanged(Conflict):
    code = "payout_earnings_changed"


class PayoutConflict(Conflict):
    code = "payout_conflict"
