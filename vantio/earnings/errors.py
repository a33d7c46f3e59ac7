"""Earnings' errors."""

from vantio.errors import BadRequest


class ReferralRejected(BadRequest):
    code = "referral_rejected"


class EarningLocked(BadRequest):
    code = "earning_locked"
