"""A voucher's definition in words and money, and the guided form's fields to and from the
Voucher API's `value`, `conditions` and `config` (amounts typed in major units, converted with
Decimal: `forms.to_minor`)."""

from datetime import datetime
from typing import Any

from vantio.dashboard import forms
from vantio.kit.money import is_currency, to_major

_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}


def money(amount: int | float | None, currency: str | None) -> str:
    code = currency if currency and is_currency(currency) else "USD"
    text = to_major(int(amount or 0), code)
    symbol = _SYMBOLS.get(code)
    return f"{symbol}{text}" if symbol else f"{text} {code}"


def _off(amount: float, kind: str, currency: str | None) -> str:
    return f"{amount:g}% off" if kind == "percentage" else f"{money(amount, currency)} off"


def _day(at: datetime | str | None) -> str | None:
    if at is None:
        return None
    if isinstance(at, str):
        at = datetime.fromisoformat(at.replace("Z", "+00:00"))
    return at.strftime("%Y-%m-%d")


def discount_words(voucher: Any) -> str:
    """What the voucher takes off: '20% off', 'Buy 2, get 1 free', 'Tiered: …'."""
    config: dict[str, Any] = voucher.config or {}
    currency = voucher.currency
    kind = voucher.type
    if kind == "percentage":
        return f"{voucher.value:g}% off"
    if kind == "fixed":
        return f"{money(voucher.value, currency)} off"
    if kind == "free_shipping":
        return "Free shipping"
    if kind == "bogo":
        get = config.get("get_discount", 100)
        get_type = config.get("get_discount_type", "percentage")
        what = "free" if get_type == "percentage" and get == 100 else _off(get, get_type, currency)
        return f"Buy {config.get('buy_quantity', 1)}, get {config.get('get_quantity', 1)} {what}"
    if kind == "tiered":
        parts = []
        for tier in config.get("tiers", []):
            low, high = tier.get("min_value"), tier.get("max_value")
            span = (
                f"orders from {money(low, currency)} to {money(high, currency)}"
                if high is not None
                else f"orders from {money(low, currency)}"
            )
            parts.append(
                f"{_off(tier['discount'], tier.get('discount_type', 'percentage'), currency)} on {span}"
            )
        return "Tiered: " + "; ".join(parts)
    if kind == "conditional":
        rules = [_rule(r, currency) for r in config.get("conditions", [])]
        joiner = " and " if config.get("all_conditions_required", True) else " or "
        off = _off(config.get("discount", 0), config.get("discount_type", "percentage"), currency)
        return f"{off} when {joiner.join(rules)}" if rules else off
    if kind == "stackable":
        off = _off(
            config.get("base_discount", 0), config.get("base_discount_type", "percentage"), currency
        )
        return f"{off}, combinable with other vouchers"
    return str(kind)


_OPERATORS = {"eq": "is", "ne": "is not", "gt": "is over", "gte": "is at least",
              "lt": "is under", "lte": "is at most", "in": "is one of"}  # fmt: skip


def _rule(rule: dict[str, Any], currency: str | None) -> str:
    value = rule.get("value")
    if rule.get("type") == "order_value" and isinstance(value, int | float):
        value = money(value, currency)
    name = str(rule.get("type", "")).replace("_", " ")
    return f"the {name} {_OPERATORS.get(str(rule.get('operator')), rule.get('operator'))} {value}"


def sentence(voucher: Any) -> str:
    """'20% off, up to $15.00, orders over $50.00, 3 of 100 uses, valid until 2026-12-31'."""
    conditions: dict[str, Any] = voucher.conditions or {}
    parts = [discount_words(voucher)]
    if conditions.get("max_discount_amount"):
        parts.append(f"up to {money(conditions['max_discount_amount'], voucher.currency)}")
    if conditions.get("min_order_value"):
        parts.append(f"orders over {money(conditions['min_order_value'], voucher.currency)}")
    used = voucher.usage_count
    if voucher.max_uses:
        parts.append(f"{used} of {voucher.max_uses} uses")
    else:
        parts.append(f"{used} use{'s' if used != 1 else ''}, no limit")
    if voucher.customer_limit:
        limit = voucher.customer_limit
        parts.append(f"{limit} use{'s' if limit != 1 else ''} per customer")
    since, until = _day(voucher.valid_from), _day(voucher.valid_until)
    if since and until:
        parts.append(f"valid from {since} until {until}")
    elif until:
        parts.append(f"valid until {until}")
    elif since:
        parts.append(f"valid from {since}")
    return ", ".join(parts)


# -- the guided form --------------------------------------------------------------------------

GUIDED_FIELDS = (
    "buy_quantity", "get_quantity", "get_discount", "base_discount", "discount",
    "rule_min_order", *(f"tier{i}_{part}" for i in range(5) for part in ("from", "to", "discount")),
)  # fmt: skip
TIER_ROWS = 5


def config_of(kind: str, values: dict[str, str], currency: str) -> dict[str, Any] | None:
    """The `config` of a bogo, tiered, conditional or stackable voucher from its form fields."""

    def number(name: str) -> float:
        try:
            return float(values[name])
        except ValueError:
            raise forms.FormInvalid({name: "Enter a number."}) from None

    def count(name: str) -> int:
        try:
            return int(values[name])
        except ValueError:
            raise forms.FormInvalid({name: "Enter a whole number."}) from None

    if kind == "bogo":
        config: dict[str, Any] = {}
        for name in ("buy_quantity", "get_quantity"):
            if values.get(name):
                config[name] = count(name)
        if values.get("get_discount"):
            config["get_discount"] = number("get_discount")
        return config
    if kind == "tiered":
        tiers = []
        for i in range(TIER_ROWS):
            low, high, off = (values.get(f"tier{i}_{p}", "") for p in ("from", "to", "discount"))
            if not (low or high or off):
                continue
            tier: dict[str, Any] = {
                "min_value": forms.to_minor(low or "0", currency, f"tier{i}_from"),
                "discount": number(f"tier{i}_discount") if off else None,
            }
            if high:
                tier["max_value"] = forms.to_minor(high, currency, f"tier{i}_to")
            if not off:
                raise forms.FormInvalid({f"tier{i}_discount": "Enter the percentage off."})
            tiers.append(tier)
        if not tiers:
            raise forms.FormInvalid({"tier0_from": "Fill in at least one tier."})
        return {"tiers": tiers}
    if kind == "conditional":
        if not values.get("rule_min_order"):
            raise forms.FormInvalid({"rule_min_order": "Enter the order value it needs."})
        minimum = forms.to_minor(values["rule_min_order"], currency, "rule_min_order")
        if not values.get("discount"):
            raise forms.FormInvalid({"discount": "Enter the percentage off."})
        return {
            "conditions": [{"type": "order_value", "operator": "gte", "value": minimum}],
            "discount": number("discount"),
        }
    if kind == "stackable":
        if not values.get("base_discount"):
            raise forms.FormInvalid({"base_discount": "Enter the percentage off."})
        return {"base_discount": number("base_discount")}
    return None


def guided_values(voucher: Any) -> dict[str, str]:
    """The guided form's fields from a voucher's config (to edit it)."""
    config: dict[str, Any] = voucher.config or {}
    currency = voucher.currency if voucher.currency and is_currency(voucher.currency) else "USD"
    values = dict.fromkeys(GUIDED_FIELDS, "")
    for name in ("buy_quantity", "get_quantity", "get_discount", "base_discount", "discount"):
        if config.get(name) is not None:
            values[name] = f"{config[name]:g}"
    for i, tier in enumerate(config.get("tiers", [])[:TIER_ROWS]):
        if tier.get("min_value") is not None:
            values[f"tier{i}_from"] = to_major(tier["min_value"], currency)
        if tier.get("max_value") is not None:
            values[f"tier{i}_to"] = to_major(tier["max_value"], currency)
        values[f"tier{i}_discount"] = f"{tier['discount']:g}"
    for rule in config.get("conditions", []):
        if rule.get("type") == "order_value" and isinstance(rule.get("value"), int):
            values["rule_min_order"] = to_major(rule["value"], currency)
    return values
