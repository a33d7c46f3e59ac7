"""The Voucher API's documented error codes (voucher-docs.md §9) as typed errors."""

from typing import Any

from vantio.errors import BadRequest, Conflict, NotFound, VantioError


class VoucherNotFound(NotFound):
    code = "VOUCHER_NOT_FOUND"
    message = "Voucher not found"


class ApplicationNotFound(NotFound):
    code = "APPLICATION_NOT_FOUND"
    message = "Voucher application not found"


class DuplicateVoucherCode(Conflict):
    code = "DUPLICATE_VOUCHER_CODE"
    message = "A voucher with this code already exists"


class InvalidVoucherCode(BadRequest):
    code = "INVALID_VOUCHER_CODE"


class InvalidConfiguration(BadRequest):
    """An advanced type's `config` breaks a rule; details `{field, issue, suggestion}`."""

    code = "INVALID_CONFIGURATION"

    def __init__(self, field: str, issue: str, suggestion: str | None = None):
        details: dict[str, Any] = {"field": field, "issue": issue}
        if suggestion:
            details["suggestion"] = suggestion
        super().__init__(f"{field}: {issue}", details=details)


class InvalidConditions(BadRequest):
    code = "INVALID_CONDITIONS"


class ValidationFailure(BadRequest):
    """A voucher that cannot be applied to this order; the subclasses are the documented codes."""


class VoucherInvalid(ValidationFailure):
    code = "VOUCHER_INVALID"
    message = "Voucher cannot be applied to this order"


class VoucherExpired(ValidationFailure):
    code = "VOUCHER_EXPIRED"
    message = "Voucher has expired"


class UsageLimitExceeded(ValidationFailure):
    code = "USAGE_LIMIT_EXCEEDED"
    message = "Voucher usage limit exceeded"


class ConditionNotMet(ValidationFailure):
    code = "CONDITION_NOT_MET"
    message = "Voucher conditions are not met"


class StackingConflict(Conflict):
    code = "STACKING_CONFLICT"
    message = "These vouchers cannot be combined"


class VoucherAlreadyApplied(Conflict):
    code = "VOUCHER_ALREADY_APPLIED"
    message = "Voucher has already been applied to this order"


class AlreadyRolledBack(Conflict):
    code = "ALREADY_ROLLED_BACK"
    message = "This voucher application was already rolled back"


# What a validation can fail with (rendered in `soft` mode as `{is_valid: false, error}`).
VALIDATION_ERRORS: tuple[type[VantioError], ...] = (
    VoucherNotFound,
    ValidationFailure,
    StackingConflict,
)
