"""Form input to service input, and service errors back to plain words next to each field."""

from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError

from vantio.errors import VantioError
from vantio.kit.money import exponent

Errors = dict[str, str]
# Errors not tied to one field are shown at the top of the form.
FORM = "__form__"


class FormInvalid(Exception):
    """The form's own checks failed before any service was called."""

    def __init__(self, errors: Errors):
        super().__init__(errors)
        self.errors = errors


def friendly(kind: str, context: dict[str, Any], message: str, field: str) -> str:
    """A pydantic error type in words a program owner understands."""
    if kind in ("missing", "string_too_short") and context.get("min_length", 1) <= 1:
        return "Please fill this in."
    if kind == "too_short":
        return (
            "Choose at least one."
            if context.get("min_length", 1) <= 1
            else (f"Choose at least {context['min_length']}.")
        )
    if kind == "string_too_short":
        return f"Use at least {context['min_length']} characters."
    if kind == "string_too_long":
        return f"Use at most {context['max_length']} characters."
    if kind == "string_pattern_mismatch":
        if "url" in field or "picture" in field:
            return "Enter a web address starting with https:// (or http://)."
        return "This is not in the expected format."
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        bound = next(iter(context.values()))
        bound = f"{bound:g}" if isinstance(bound, float) else bound
        words = {
            "greater_than": f"Enter a number above {bound}.",
            "greater_than_equal": f"Enter {bound} or more.",
            "less_than": f"Enter a number below {bound}.",
            "less_than_equal": f"Enter {bound} or less.",
        }
        return words[kind]
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return "Enter a whole number."
    if kind in ("float_parsing", "float_type"):
        return "Enter a number."
    if kind in ("literal_error", "union_tag_invalid", "enum"):
        return "Choose one of the options."
    if kind == "value_error" and "email" in field:
        return "Enter an email address such as name@example.com."
    text = message.removeprefix("Value error, ")
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def from_validation(exc: ValidationError, fields: dict[str, str] | None = None) -> Errors:
    """Map each failing location to a form field; `fields` renames dotted locations."""
    fields = fields or {}
    errors: Errors = {}
    for error in exc.errors():
        parts = [str(p) for p in error.get("loc", ())]
        # A discriminated union puts the tag in the location: commission.percentage.rate
        parts = [p for p in parts if p not in ("percentage", "flat", "tiered")]
        dotted = ".".join(parts)
        field = fields.get(dotted) or _prefix_match(dotted, fields) or dotted or FORM
        errors.setdefault(
            field,
            friendly(error.get("type", ""), dict(error.get("ctx") or {}), error["msg"], field),
        )
    return errors


def _prefix_match(dotted: str, fields: dict[str, str]) -> str | None:
    for name in sorted(fields, key=len, reverse=True):
        if name.endswith("*") and dotted.startswith(name[:-1]):
            return fields[name]
    return None


# Service error codes that deserve their own words.
_CODE_WORDS = {
    "duplicate_user": ("email", "An ambassador with this email already exists in this program."),
    "duplicate_referral": ("email", "This email was already referred in this program."),
    "duplicate_operator": ("email", "Someone already signs in with this email."),
}


def from_service(exc: VantioError, fields: dict[str, str] | None = None) -> Errors:
    """A service's VantioError on the field it names (in its details), else on the form."""
    fields = fields or {}
    if exc.code in _CODE_WORDS:
        named, words = _CODE_WORDS[exc.code]
        return {fields.get(named, named): words}
    details = exc.details
    field: str | None = None
    message = exc.message
    if isinstance(details, list) and details and isinstance(details[0], dict):
        field = details[0].get("field")
        message = str(details[0].get("message", message))
    elif isinstance(details, dict):
        field = details.get("field")
    if field and message.startswith(f"{field}: "):
        message = message[len(field) + 2 :]
    message = message[:1].upper() + message[1:]
    if not message.endswith("."):
        message += "."
    if not field:
        return {FORM: message}
    return {fields.get(str(field)) or _prefix_match(str(field), fields) or str(field): message}


def to_minor(raw: str, currency: str, field: str) -> int:
    """'12.50' in USD -> 1250; errors name the field."""
    try:
        value = Decimal(raw.replace(",", "").strip())
    except InvalidOperation:
        raise FormInvalid({field: "Enter an amount such as 25 or 25.50."}) from None
    digits = exponent(currency)
    minor = value * (10**digits)
    if minor != minor.to_integral_value() or not value.is_finite():
        raise FormInvalid({field: f"Use at most {digits} decimals for {currency}."})
    return int(minor)


def parse_tiers(raw: str) -> list[dict[str, Any]]:
    """One tier a line, 'referrals: rate' -- e.g. '0: 10' then '5: 15'."""
    tiers: list[dict[str, Any]] = []
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        left, sep, right = line.partition(":")
        try:
            if not sep:
                raise ValueError
            tiers.append({"min_referrals": int(left.strip()), "rate": float(right.strip())})
        except ValueError:
            raise FormInvalid(
                {"commission_tiers": f"Line {number}: write 'referrals: rate', e.g. '5: 15'."}
            ) from None
    return tiers


def tiers_text(tiers: list[dict[str, Any]]) -> str:
    return "\n".join(f"{t['min_referrals']}: {t['rate']:g}" for t in tiers)
