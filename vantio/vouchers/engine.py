"""The pure part of the engine: eligibility checks in the documented order, and the arithmetic.

Order of checks (voucher-docs.md §6.1, §16.4): active → date window → `max_uses` →
`customer_limit` → (currency) → `min_order_value` → item scope and item/order rules → customer
rules → type-specific conditions → calculation with caps. Money is integer minor units;
percentages round half-up (`percent_of`); a discount never exceeds what it applies to.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from vantio.kit.money import percent_of
from vantio.kit.time import isoformat
from vantio.vouchers.definitions import Definition, parse_time
from vantio.vouchers.errors import (
    ConditionNotMet,
    StackingConflict,
    UsageLimitExceeded,
    VoucherExpired,
    VoucherInvalid,
)


@dataclass
class Line:
    item_id: str
    product_id: str
    categories: frozenset[str]
    unit_price: int
    quantity: int
    remaining: int  # what is left of price * quantity after earlier discounts


@dataclass
class Cart:
    """An order as the engine sees it; stacked discounts consume `remaining` amounts in turn."""

    value: int
    currency: str
    lines: list[Line]
    shipping: int
    customer: dict[str, Any] | None = None
    remaining_value: int = 0
    remaining_shipping: int = 0

    def __post_init__(self) -> None:
        self.remaining_value = self.value
        self.remaining_shipping = self.shipping

    @classmethod
    def of(
        cls,
        *,
        value: int | None,
        currency: str,
        items: list[dict[str, Any]],
        shipping: int = 0,
        customer: dict[str, Any] | None = None,
    ) -> "Cart":
        lines = [
            Line(
                item_id=str(item["id"]),
                product_id=str(item.get("product_id") or item["id"]),
                categories=frozenset(
                    [c for c in [item.get("category"), *(item.get("categories") or [])] if c]
                ),
                unit_price=int(item["price"]),
                quantity=int(item.get("quantity", 1)),
                remaining=int(item["price"]) * int(item.get("quantity", 1)),
            )
            for item in items
        ]
        total = value if value is not None else sum(line.remaining for line in lines)
        return cls(total, currency, lines, shipping, customer)


@dataclass
class Candidate:
    """A voucher taking part in an evaluation, with the counters the checks read."""

    voucher_id: str
    code: str
    status: str
    deleted: bool
    definition: Definition
    usage_count: int
    customer_usage: int | None = None  # None: no customer given
    # Set for an application already standing on the order: its discount is fixed.
    applied: dict[str, Any] | None = None

    @property
    def type(self) -> str:
        return self.definition.type

    @property
    def stackable(self) -> bool:
        return self.definition.type == "stackable"

    @property
    def priority(self) -> int:
        if self.stackable and self.definition.config:
            return int(self.definition.config.get("priority", 0))
        return 0


@dataclass
class Outcome:
    candidate: Candidate
    discount_amount: int = 0  # on merchandise and shipping together
    shipping_discount: int = 0
    applied_to: list[dict[str, Any]] = field(default_factory=list)
    validation_details: dict[str, Any] = field(default_factory=dict)
    conditions_met: list[str] = field(default_factory=list)

    def breakdown(self) -> dict[str, Any]:
        return {"applied_to": self.applied_to, "shipping_discount": self.shipping_discount}


@dataclass
class StackResult:
    outcomes: list[Outcome]  # the new vouchers, in the order given
    discount_amount: int  # of the new vouchers
    existing_discount: int
    final_amount: int
    details: dict[str, Any]


# ---------------------------------------------------------------------------------------------
# Checks


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
    if d.type == "bogo" and d.config:
        minimums.append(d.config.get("min_order_value"))
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
    if _restricted(d) and not eligible_lines(d, cart):
        raise ConditionNotMet(
            "No item of the order is eligible for this voucher",
            details=_failed(
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
    if _restricted(d):
        met.append("product_scope")
    rules = d.conditions.get("rules", [])
    failed: list[dict[str, Any]] = []
    passed = 0
    for rule in [r for r in rules if r["type"] != "customer"] + [
        r for r in rules if r["type"] == "customer"
    ]:
        problems = _rule_failures(rule, cart)
        failed.extend(problems)
        if not problems:
            passed += 1
            met.append("customer_segment" if rule["type"] == "customer" else rule["type"])
    if failed:
        raise ConditionNotMet(
            "Voucher conditions are not met",
            details=_failed(failed, required=len(rules), met=passed),
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


def _failed(failed: list[dict[str, Any]], *, required: int, met: int) -> dict[str, Any]:
    return {"failed_conditions": failed, "required_conditions": required, "met_conditions": met}


def _restricted(d: Definition) -> bool:
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
            actual = _as_time(customer.get("registration_date"))
            if not compare(actual, registered["operator"], parse_time(registered["value"])):
                failures.append(
                    {
                        "type": "registration_date",
                        "expected": f"{registered['operator']} {registered['value']}",
                        "actual": isoformat(actual),
                    }
                )
    return failures


def _as_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return parse_time(value)
        except ValueError:
            return None
    return None


# ---------------------------------------------------------------------------------------------
# Calculation


def calculate(candidate: Candidate, cart: Cart, met: list[str]) -> Outcome:
    """The discount of one voucher on what the cart has left; consumes it from the cart."""
    d = candidate.definition
    outcome = Outcome(candidate, conditions_met=list(met))
    lines = eligible_lines(d, cart) if _restricted(d) else list(cart.lines)
    eligible = (
        min(cart.remaining_value, sum(line.remaining for line in lines))
        if _restricted(d)
        else cart.remaining_value
    )
    details: dict[str, Any] = {
        "min_order_value_met": True,
        "usage_limit_not_exceeded": True,
        "valid_date_range": True,
        "customer_eligible": True,
    }
    per_line: dict[int, int] | None = None
    amount = 0
    config = d.config or {}
    if d.type == "percentage":
        amount = percent_of(eligible, d.value or 0)
    elif d.type == "fixed":
        amount = int(d.value or 0)
    elif d.type == "free_shipping":
        shipping = cart.remaining_shipping
        cap = d.conditions.get("max_discount_amount")
        outcome.shipping_discount = min(shipping, cap) if cap is not None else shipping
        cart.remaining_shipping -= outcome.shipping_discount
        details["shipping_amount"] = cart.shipping
    elif d.type == "tiered":
        tier = _tier_for(config["tiers"], cart.value)
        if tier is None:
            raise VoucherInvalid(
                "No tier matches the order value",
                details={
                    "reason": "No tier matches the order value",
                    "min_required": config["tiers"][0]["min_value"],
                    "current_value": cart.value,
                    "currency": cart.currency,
                },
            )
        amount = _discount(eligible, tier["discount"], tier["discount_type"])
        details.update(order_value=cart.value, applicable_tier=tier)
    elif d.type == "conditional":
        met_rules, failed_rules = _conditional(config["conditions"], cart)
        required = len(config["conditions"]) if config["all_conditions_required"] else 1
        satisfied = len(met_rules) >= required
        details.update(
            conditions_met=met_rules,
            conditions_failed=failed_rules,
            all_conditions_satisfied=not failed_rules,
            discount_applicable=satisfied,
        )
        if not satisfied:
            raise ConditionNotMet(
                "Voucher conditions are not met",
                details=_failed(failed_rules, required=required, met=len(met_rules)),
            )
        amount = _discount(eligible, config["discount"], config["discount_type"])
    elif d.type == "stackable":
        amount = _discount(eligible, config["base_discount"], config["base_discount_type"])
    elif d.type == "bogo":
        per_line, bogo_details = _bogo(config, lines, eligible)
        amount = sum(per_line.values())
        details.update(bogo_details)
    cap = d.conditions.get("max_discount_amount")
    if cap is not None and d.type != "free_shipping":
        amount = min(amount, cap)
    amount = max(0, min(amount, eligible))
    per_line = _spread(amount, lines) if per_line is None else _trim(per_line, amount, lines)
    outcome.applied_to = _consume(cart, lines, per_line)
    cart.remaining_value -= amount
    outcome.discount_amount = amount + outcome.shipping_discount
    if d.type == "bogo":
        details["discount_applied"] = amount
    outcome.validation_details = details
    return outcome


def _discount(eligible: int, discount: float, kind: str) -> int:
    if kind == "percentage":
        return percent_of(eligible, discount)
    return min(int(discount), eligible)


def _tier_for(tiers: list[dict[str, Any]], value: int) -> dict[str, Any] | None:
    for tier in reversed(tiers):  # highest qualifying; tiers do not overlap
        if value >= tier["min_value"] and (tier["max_value"] is None or value <= tier["max_value"]):
            return dict(tier)
    return None


def _conditional(
    rules: list[dict[str, Any]], cart: Cart
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    customer = cart.customer or {}
    met: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    for rule in rules:
        kind = rule["type"]
        expected = rule["value"]
        if kind == "customer_segment":
            actual: Any = customer.get("segment")
        elif kind == "order_value":
            actual = cart.value
        elif kind == "customer_registration_date":
            actual = _as_time(customer.get("registration_date"))
            expected = _as_time(expected)
        elif kind == "customer_orders":
            actual = customer.get("orders_count")
        elif kind == "item_count":
            actual = sum(line.quantity for line in cart.lines)
        else:
            actual = cart.currency
        entry = {"type": kind, "expected": rule["value"], "actual": _plain(actual)}
        (met if compare(actual, rule["operator"], expected) else failed).append(entry)
    return met, failed


def _plain(value: Any) -> Any:
    return isoformat(value) if isinstance(value, datetime) else value


def _bogo(
    config: dict[str, Any], lines: list[Line], eligible: int
) -> tuple[dict[int, int], dict[str, Any]]:
    """Buy X get Y: the cheapest qualifying units are the discounted ones."""
    applicable = config.get("applicable_items")
    excluded = set(config.get("excluded_items") or ())
    units: list[tuple[int, int]] = []  # (unit amount left, line index)
    for index, line in enumerate(lines):
        if (
            applicable is not None
            and line.product_id not in applicable
            and line.item_id not in applicable
        ):
            continue
        if line.product_id in excluded or line.item_id in excluded:
            continue
        per_unit = line.remaining // line.quantity
        units.extend((per_unit, index) for _ in range(line.quantity))
    group = config["buy_quantity"] + config["get_quantity"]
    groups = len(units) // group
    cap = config.get("max_uses_per_order")
    if cap is not None:
        groups = min(groups, cap)
    if groups == 0:
        raise ConditionNotMet(
            "Not enough qualifying items for this offer",
            details=_failed(
                [{"type": "bogo_quantity", "expected": group, "actual": len(units)}],
                required=1,
                met=0,
            ),
        )
    units.sort(key=lambda unit: unit[0])
    free = units[: groups * config["get_quantity"]]
    per_line: dict[int, int] = {}
    for price, index in free:
        off = _discount(price, config["get_discount"], config["get_discount_type"])
        per_line[index] = per_line.get(index, 0) + off
    details = {
        "bogo_eligible_items": len(units),
        "bogo_applied_items": len(free),
        "remaining_eligibility": (cap - groups) if cap is not None else None,
    }
    return per_line, details


def _spread(amount: int, lines: list[Line]) -> dict[int, int]:
    """Share an order-level discount over lines in proportion to what is left of each."""
    base = sum(line.remaining for line in lines)
    if base <= 0 or amount <= 0:
        return {}
    amount = min(amount, base)
    shares = {i: amount * line.remaining // base for i, line in enumerate(lines)}
    left = amount - sum(shares.values())
    by_remainder = sorted(
        range(len(lines)), key=lambda i: (-(amount * lines[i].remaining % base), i)
    )
    for i in by_remainder:
        if left == 0:
            break
        if shares[i] < lines[i].remaining:
            shares[i] += 1
            left -= 1
    return {i: share for i, share in shares.items() if share}


def _trim(per_line: dict[int, int], amount: int, lines: list[Line]) -> dict[int, int]:
    """Per-line discounts cut down to a capped total, never above a line's rest."""
    out: dict[int, int] = {}
    left = amount
    for i in sorted(per_line):
        share = min(per_line[i], lines[i].remaining, left)
        if share:
            out[i] = share
            left -= share
    return out


def _consume(cart: Cart, lines: list[Line], per_line: dict[int, int]) -> list[dict[str, Any]]:
    applied = []
    for i, share in sorted(per_line.items()):
        line = lines[i]
        applied.append(
            {
                "item_id": line.item_id,
                "original_price": line.remaining,
                "discount_amount": share,
                "final_price": line.remaining - share,
            }
        )
        line.remaining -= share
    return applied


# ---------------------------------------------------------------------------------------------
# Stacking


def check_stacking(candidates: list[Candidate]) -> None:
    """Raises STACKING_CONFLICT unless every pair may combine and no stack limit is passed."""
    seen: set[str] = set()
    for c in candidates:
        if c.voucher_id in seen:
            raise StackingConflict(
                f"Voucher {c.code} is listed twice",
                details={"conflicting_voucher": c.code, "conflict_reason": "Voucher listed twice"},
            )
        seen.add(c.voucher_id)
    if len(candidates) < 2:
        return
    for i, later in enumerate(candidates):
        for earlier in candidates[:i]:
            reason = _conflict(earlier, later)
            if reason is not None:
                stackable = next((c for c in (earlier, later) if c.stackable), None)
                raise StackingConflict(
                    f"Voucher {later.code} cannot be combined with {earlier.code}",
                    details={
                        "conflicting_voucher": later.code,
                        "conflict_reason": reason,
                        "stackable_types": _stack_rules(stackable).get("stackable_with")
                        if stackable
                        else [],
                    },
                )
    for c in candidates:
        limit = _stack_rules(c).get("max_stack_count") if c.stackable else None
        if limit is not None and len(candidates) > limit:
            raise StackingConflict(
                "Maximum stack count exceeded",
                details={
                    "conflicting_voucher": c.code,
                    "conflict_reason": "Maximum stack count exceeded",
                    "max_stack_count": limit,
                    "stack_count": len(candidates),
                },
            )


def _stack_rules(c: Candidate) -> dict[str, Any]:
    return dict((c.definition.config or {}).get("stack_rules") or {})


def _conflict(a: Candidate, b: Candidate) -> str | None:
    if not a.stackable and not b.stackable:
        return "Incompatible voucher types"
    for s, other in ((a, b), (b, a)):
        if not s.stackable:
            continue
        rules = _stack_rules(s)
        if other.type in (rules.get("excluded_types") or ()):
            return "Incompatible voucher types"
        allowed = rules.get("stackable_with")
        if allowed is not None and not other.stackable and other.type not in allowed:
            return "Incompatible voucher types"
    return None


def evaluate(candidates: list[Candidate], cart: Cart, now: datetime) -> StackResult:
    """Check and price a stack: standing applications first, then the new codes by priority."""
    check_stacking(candidates)
    existing = [c for c in candidates if c.applied is not None]
    fresh = [c for c in candidates if c.applied is None]
    existing_discount = 0
    for c in existing:
        existing_discount += _replay(c, cart)
    order = sorted(range(len(fresh)), key=lambda i: (-fresh[i].priority, i))
    outcomes: dict[int, Outcome] = {}
    for i in order:
        met = check_eligibility(fresh[i], cart, now)
        outcomes[i] = calculate(fresh[i], cart, met)
    details: dict[str, Any] = {"stack_count": len(candidates)}
    caps: list[float] = [
        float(_stack_rules(c)["max_total_discount"])
        for c in candidates
        if c.stackable and _stack_rules(c).get("max_total_discount") is not None
    ]
    if caps:
        cap_amount = percent_of(cart.value, min(caps))
        over = existing_discount + sum(o.discount_amount for o in outcomes.values()) - cap_amount
        details.update(max_total_discount=min(caps), max_total_discount_amount=cap_amount)
        details["capped"] = over > 0
        for i in reversed(order):
            if over <= 0:
                break
            over -= _reduce(outcomes[i], over, cart)
    total = sum(o.discount_amount for o in outcomes.values())
    final = max(0, cart.value + cart.shipping - existing_discount - total)
    return StackResult(
        outcomes=[outcomes[i] for i in range(len(fresh))],
        discount_amount=total,
        existing_discount=existing_discount,
        final_amount=final,
        details=details,
    )


def _replay(c: Candidate, cart: Cart) -> int:
    """Take a standing application's recorded discount off the cart."""
    applied = c.applied or {}
    breakdown = applied.get("breakdown") or {}
    by_item: dict[str, int] = {}
    for entry in breakdown.get("applied_to", []):
        by_item[entry["item_id"]] = by_item.get(entry["item_id"], 0) + int(entry["discount_amount"])
    for line in cart.lines:
        take = min(by_item.get(line.item_id, 0), line.remaining)
        line.remaining -= take
        by_item[line.item_id] = by_item.get(line.item_id, 0) - take
    shipping = min(int(breakdown.get("shipping_discount", 0)), cart.remaining_shipping)
    cart.remaining_shipping -= shipping
    merchandise: int = max(0, int(applied.get("discount_amount", 0)) - shipping)
    cart.remaining_value = max(0, cart.remaining_value - merchandise)
    return merchandise + shipping


def _reduce(outcome: Outcome, by: int, cart: Cart) -> int:
    """Give back up to `by` of an outcome's discount (a stack cap); returns what was given back."""
    merchandise = outcome.discount_amount - outcome.shipping_discount
    order_level = merchandise - sum(int(e["discount_amount"]) for e in outcome.applied_to)
    taken: int = min(order_level, by)
    for entry in reversed(outcome.applied_to):
        give = min(int(entry["discount_amount"]), by - taken)
        entry["discount_amount"] -= give
        entry["final_price"] += give
        taken += give
        for line in cart.lines:
            if line.item_id == entry["item_id"]:
                line.remaining += give
                break
    cart.remaining_value += taken
    give_shipping = min(outcome.shipping_discount, by - taken)
    outcome.shipping_discount -= give_shipping
    cart.remaining_shipping += give_shipping
    taken += give_shipping
    outcome.applied_to = [e for e in outcome.applied_to if e["discount_amount"] > 0]
    outcome.discount_amount -= taken
    return taken
