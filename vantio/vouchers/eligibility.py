"""The checks before a discount is calculated, in the documented order.

Order of checks (voucher-docs.md §6.1, §16.4): active → date window → `max_uses` →
`customer_limit` → (currency) → `min_order_value` → item scope and item/order rules → customer
rules → type-specific conditions (in `pricing`).
"""

from datetime import datetime
from typing import Any

from vantio.kit.time import isoformat
from vantio.vouchers.cart import Candidate, Cart, Line
from vantio.vouchers.definitions import BogoConfig, Definition, parse_time
from vantio.vouchers.errors import (
    ConditionNotMet,
    UsageLimitExceeded,
    VoucherExpired,
    VoucherInvalid,
)


def check_eligibility(candidate: Candidate, cart: Cart, now: datetime) -> list[str]:
    """The checks before calculation, in the documented order; returns the conditions met."""
    d = candidate.definition
    met: list[str] = []
    if candidate.deleted or candidate.status == "inactive":
        raise VoucherInvalid(
            "Voucher is not active",
            details={
                "reason": "Voucher is not active",
                "status": "inactive",
                "voucher_id": candidate.voucher_id,
            },
        )
    until, start = d.valid_until, d.valid_from
    if candidate.status == "expired" or (until is not None and now >= until):
        raise VoucherExpired(
            "Voucher has expired",
            details={"expired_at": isoformat(until), "current_time": isoformat(now)},
        )
    if start is not None and now < start:
        raise VoucherInvalid(
            "Voucher is not valid yet",
            details={
                "reason": "Voucher is not valid yet",
                "valid_from": isoformat(start),
                "current_time": isoformat(now),
            },
        )
    if start or until:
        met.append("valid_date_range")
    if d.max_uses is not None:
        if candidate.usage_count >= d.max_uses:
            raise usage_exceeded(d.max_uses, candidate.usage_count, "total_uses")
        met.append("usage_limit")
    if d.customer_limit is not None and candidate.customer_usage is not None:
        if candidate.customer_usage >= d.customer_limit:
            raise usage_exceeded(d.customer_limit, candidate.customer_usage, "per_customer")
        met.append("customer_limit")
    if d.currency is not None and d.currency != cart.currency:
        raise VoucherInvalid(
            "Voucher is in another currency than the order",
            details={
                "reason": "Currency mismatch",
                "voucher_currency": d.currency,
                "order_currency": cart.currency,
            },
        )
    minimums = [d.conditions.get("min_order_value")]
    bogo = d.typed_config
    if isinstance(bogo, BogoConfig):
        minimums.append(bogo.min_order_value)
    for minimum in minimums:
        if minimum is not None and cart.value < minimum:
            raise VoucherInvalid(
                "Order value below minimum",
                details={
                    "reason": "Order value below minimum",
                    "min_required": minimum,
                    "current_value": cart.value,
                    "currency": cart.currency,
                },
            )
    if any(m is not None for m in minimums):
        met.append("min_order_value")
    if restricted(d) and not eligible_lines(d, cart):
        raise ConditionNotMet(
            "No item of the order is eligible for this voucher",
            details=failed(
                [
                    {
                        "type": "items",
                        "expected": _scope(d),
                        "actual": [line.product_id for line in cart.lines],
                    }
                ],
                required=1,
                met=0,
            ),
        )
    if restricted(d):
        met.append("product_scope")
    rules = d.conditions.get("rules", [])
    failures: list[dict[str, Any]] = []
    passed = 0
    for rule in [r for r in rules if r["type"] != "customer"] + [
        r for r in rules if r["type"] == "customer"
    ]:
        problems = _rule_failures(rule, cart)
        failures.extend(problems)
        if not problems:
            passed += 1
            met.append("customer_segment" if rule["type"] == "customer" else rule["type"])
    if failures:
        raise ConditionNotMet(
            "Voucher conditions are not met",
            details=failed(failures, required=len(rules), met=passed),
        )
    return met


def usage_exceeded(limit: int, used: int, kind: str) -> UsageLimitExceeded:
    message = (
        "Voucher usage limit exceeded"
        if kind == "total_uses"
        else "This customer has used the voucher as often as allowed"
    )
    return UsageLimitExceeded(
        message, details={"max_uses": limit, "current_uses": used, "limit_type": kind}
    )


def failed(failures: list[dict[str, Any]], *, required: int, met: int) -> dict[str, Any]:
    """The details of CONDITION_NOT_MET."""
    return {"failed_conditions": failures, "required_conditions": required, "met_conditions": met}


def restricted(d: Definition) -> bool:
    c = d.conditions
    return any(
        c.get(k)
        for k in ("product_ids", "excluded_product_ids", "categories", "excluded_categories")
    )


def _scope(d: Definition) -> dict[str, Any]:
    keys = ("product_ids", "excluded_product_ids", "categories", "excluded_categories")
    return {k: d.conditions[k] for k in keys if d.conditions.get(k)}


def eligible_lines(d: Definition, cart: Cart) -> list[Line]:
    c = d.conditions
    include, exclude = c.get("product_ids"), set(c.get("excluded_product_ids") or ())
    cats, excats = c.get("categories"), set(c.get("excluded_categories") or ())
    out = []
    for line in cart.lines:
        if include is not None and line.product_id not in include and line.item_id not in include:
            continue
        if line.product_id in exclude or line.item_id in exclude:
            continue
        if cats is not None and not (line.categories & set(cats)):
            continue
        if line.categories & excats:
            continue
        out.append(line)
    return out


def compare(actual: Any, operator: str, expected: Any) -> bool:
    try:
        if operator == "eq":
            return bool(actual == expected)
        if operator == "ne":
            return bool(actual != expected)
        if operator == "in":
            return actual in (expected or [])
        if operator == "not_in":
            return actual not in (expected or [])
        if actual is None:
            return False
        return bool(
            {
                "gt": actual > expected,
                "gte": actual >= expected,
                "lt": actual < expected,
                "lte": actual <= expected,
            }[operator]
        )
    except TypeError:
        return False


def _rule_failures(rule: dict[str, Any], cart: Cart) -> list[dict[str, Any]]:
    customer = cart.customer or {}
    if rule["type"] == "order_value":
        if compare(cart.value, rule["operator"], rule["value"]):
            return []
        return [
            {
                "type": "order_value",
                "expected": f"{rule['operator']} {rule['value']}",
                "actual": cart.value,
            }
        ]
    failures: list[dict[str, Any]] = []
    if rule["type"] == "items":
        for item_rule in rule["rules"]:
            lines = [
                line
                for line in cart.lines
                if (item_rule.get("item_id") in (None, line.item_id, line.product_id))
                and (item_rule.get("category") is None or item_rule["category"] in line.categories)
            ]
            quantity = sum(line.quantity for line in lines)
            amount = sum(line.unit_price * line.quantity for line in lines)
            expected = {k: v for k, v in item_rule.items() if v is not None}
            ok = (
                quantity > 0
                and quantity >= item_rule.get("min_quantity", 0)
                and (item_rule.get("max_quantity") is None or quantity <= item_rule["max_quantity"])
                and amount >= item_rule.get("min_value", 0)
            )
            if not ok:
                failures.append(
                    {
                        "type": "items",
                        "expected": expected,
                        "actual": {"quantity": quantity, "value": amount},
                    }
                )
        return failures
    for customer_rule in rule["rules"]:
        email = customer_rule.get("email")
        if email is not None and str(customer.get("email") or "").lower() != email.lower():
            failures.append(
                {"type": "customer_email", "expected": email, "actual": customer.get("email")}
            )
        segment = customer_rule.get("segment")
        if segment is not None and customer.get("segment") != segment:
            failures.append(
                {"type": "customer_segment", "expected": segment, "actual": customer.get("segment")}
            )
        min_orders = customer_rule.get("min_orders")
        if min_orders is not None and not compare(customer.get("orders_count"), "gte", min_orders):
            failures.append(
                {
                    "type": "min_orders",
                    "expected": min_orders,
                    "actual": customer.get("orders_count"),
                }
            )
        registered = customer_rule.get("registration_date")
        if registered is not None:
            actual = as_time(customer.get("registration_date"))
            if not compare(actual, registered["operator"], parse_time(registered["value"])):
                failures.append(
                    {
                        "type": "registration_date",
                        "expected": f"{registered['operator']} {registered['value']}",
                        "actual": isoformat(actual),
                    }
                )
    return failures


def as_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return parse_time(value)
        except ValueError:
            return None
    return None
