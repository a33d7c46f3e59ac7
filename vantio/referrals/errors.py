"""Referrals' errors."""

from vantio.errors import BadRequest, Conflict


class AttributionWindowExpired(BadRequest):
    code = "attribution_window_expired"


class SelfReferral(BadRequest):
    code = "self_referral"


class DuplicateReferral(Conflict):
    code = "duplicate_referral"
