"""Earnings' errors."""

from vantio.errors import BadRequest, Conflict


class ReferralRejected(BadRequest):
    code = "referral_rejected"


class EarningLocked(BadRequest):
    code = "earning_locked"


class DuplicateConversion(Conflict):
    code = "duplicate_conversion"


class EarningAlreadyReversed(Conflict):
    code = "earning_already_reversed"


class EarningNotReversible(BadRequest):
    code = "earning_not_reversible"


class CommissionWindowEnded(BadRequest):
    code = "commission_window_ended"
