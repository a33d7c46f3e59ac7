"""The arithmetic: each voucher type is priced by its own function, on its typed config.

Money is integer minor units; percentages round half-up (`percent_of`); a discount never exceeds
what it applies to. `calculate` checks the caps every type shares and spreads the discount over
the order's lines; the `price_*` functions only say how much each type takes off.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from vantio.kit.money import percent_of
from vantio.kit.time import isoformat
from vantio.vouchers.cart import Candidate, Cart, Line, Outcome
from vantio.vouchers.definitions import (
    AdvancedConfig,
    BogoConfig,
    ConditionalConfig,
    Definition,
    Rule,
    StackableConfig,
    TieredConfig,
)
from vantio.vouchers.eligibility import as_time, compare, eligible_lines, failed, restricted
from vantio.vouchers.errors import ConditionNotMet, VoucherInvalid
from vantio.vouchers.schemas import number


@dataclass
class Priced:
    """What one voucher takes off before the shared caps: merchandise, and shipping."""

    amount: int = 0
    # Per-line discounts (index into the eligible lines) for types that pick units (BOGO);
    # None: an order-level amount, spread over the lines in proportion.
    per_line: dict[int, int] | None = None
    shipping: int = 0
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Basis:
    """What a type is priced against: the cart, its eligible lines and what is left of them."""

    cart: Cart
    lines: list[Line]
    eligible: int


def discount(eligible: int, amount: float, kind: str) -> int:
    """A configured discount (percent or a fixed amount) of `eligible`."""
    if kind == "percentage":
        return percent_of(eligible, amount)
    return min(int(amount), eligible)


# -- one function per type ------------------------------------------------------------------


def price_percentage(rate: float, basis: Basis) -> Priced:
    return Priced(amount=percent_of(basis.eligible, rate))


def price_fixed(amount: float, basis: Basis) -> Priced:
    return Priced(amount=int(amount))


def price_free_shipping(cap: int | None, basis: Basis) -> Priced:
    """The shipping left, up to `conditions.max_discount_amount`."""
    shipping = basis.cart.remaining_shipping
    return Priced(
        shipping=min(shipping, cap) if cap is not None else shipping,
        details={"shipping_amount": basis.cart.shipping},
    )


def price_tiered(config: TieredConfig, basis: Basis) -> Priced:
    """The highest tier the order value reaches (tiers do not overlap)."""
    cart = basis.cart
    tier = next(
        (
            t
            for t in reversed(config.tiers)
            if cart.value >= (t.min_value or 0)
            and (t.max_value is None or cart.value <= t.max_value)
        ),
        None,
    )
    if tier is None:
        raise VoucherInvalid(
            "No tier matches the order value",
            details={
                "reason": "No tier matches the order value",
                "min_required": config.tiers[0].min_value,
                "current_value": cart.value,
                "currency": cart.currency,
            },
        )
    applicable = {
        "min_value": tier.min_value,
        "max_value": tier.max_value,
        "discount": number(tier.discount),
        "discount_type": tier.discount_type,
    }
    return Priced(
        amount=discount(basis.eligible, tier.discount, tier.discount_type),
        details={"order_value": cart.value, "applicable_tier": applicable},
    )


def price_conditional(config: ConditionalConfig, basis: Basis) -> Priced:
    """The discount, when all (or, if not required, one) of the rules hold."""
    met_rules, failed_rules = _judge(config.conditions, basis.cart)
    required = len(config.conditions) if config.all_conditions_required else 1
    if len(met_rules) < required:
        raise ConditionNotMet(
            "Voucher conditions are not met",
            details=failed(failed_rules, required=required, met=len(met_rules)),
        )
    return Priced(
        amount=discount(basis.eligible, config.discount, config.discount_type),
        details={
            "conditions_met": met_rules,
            "conditions_failed": failed_rules,
            "all_conditions_satisfied": not failed_rules,
            "discount_applicable": True,
        },
    )


def _judge(rules: list[Rule], cart: Cart) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    customer = cart.customer or {}
    met: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    for rule in rules:
        expected = rule.value
        if rule.type == "customer_segment":
            actual: Any = customer.get("segment")
        elif rule.type == "order_value":
            actual = cart.value
        elif rule.type == "customer_registration_date":
            actual = as_time(customer.get("registration_date"))
            expected = as_time(expected)
        elif rule.type == "customer_orders":
            actual = customer.get("orders_count")
        elif rule.type == "item_count":
            actual = sum(line.quantity for line in cart.lines)
        else:
            actual = cart.currency
        plain = isoformat(actual) if isinstance(actual, datetime) else actual
        entry = {"type": rule.type, "expected": rule.value, "actual": plain}
        (met if compare(actual, rule.operator, expected) else failures).append(entry)
    return met, failures


def price_stackable(config: StackableConfig, basis: Basis) -> Priced:
    return Priced(amount=discount(basis.eligible, config.base_discount, config.base_discount_type))


def price_bogo(config: BogoConfig, basis: Basis) -> Priced:
    """Buy X get Y: the cheapest qualifying units are the discounted ones."""
    applicable = config.applicable_items
    excluded = set(config.excluded_items or ())
    units: list[tuple[int, int]] = []  # (unit amount left, line index)
    for index, line in enumerate(basis.lines):
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
    group = config.buy_quantity + config.get_quantity
    groups = len(units) // group
    cap = config.max_uses_per_order
    if cap is not None:
        groups = min(groups, cap)
    if groups == 0:
        raise ConditionNotMet(
            "Not enough qualifying items for this offer",
            details=failed(
                [{"type": "bogo_quantity", "expected": group, "actual": len(units)}],
                required=1,
                met=0,
            ),
        )
    units.sort(key=lambda unit: unit[0])
    free = units[: groups * config.get_quantity]
    per_line: dict[int, int] = {}
    for price, index in free:
        off = discount(price, config.get_discount, config.get_discount_type)
        per_line[index] = per_line.get(index, 0) + off
    return Priced(
        amount=sum(per_line.values()),
        per_line=per_line,
        details={
            "bogo_eligible_items": len(units),
            "bogo_applied_items": len(free),
            "remaining_eligibility": (cap - groups) if cap is not None else None,
        },
    )


def _advanced(pricer: Callable[[Any, Basis], Priced]) -> Callable[[Definition, Basis], Priced]:
    def price(d: Definition, basis: Basis) -> Priced:
        config: AdvancedConfig | None = d.typed_config
        if config is None:
            raise ValueError(f"a {d.type} voucher without config")
        return pricer(config, basis)

    return price


PRICERS: dict[str, Callable[[Definition, Basis], Priced]] = {
    "percentage": lambda d, basis: price_percentage(d.value or 0, basis),
    "fixed": lambda d, basis: price_fixed(d.value or 0, basis),
    "free_shipping": lambda d, basis: price_free_shipping(
        d.conditions.get("max_discount_amount"), basis
    ),
    "tiered": _advanced(price_tiered),
    "conditional": _advanced(price_conditional),
    "stackable": _advanced(price_stackable),
    "bogo": _advanced(price_bogo),
}


# -- what every type shares ---------------------------------------------------------------


def calculate(candidate: Candidate, cart: Cart, met: list[str]) -> Outcome:
    """The discount of one voucher on what the cart has left; consumes it from the cart."""
    d = candidate.definition
    outcome = Outcome(candidate, conditions_met=list(met))
    scoped = restricted(d)
    lines = eligible_lines(d, cart) if scoped else list(cart.lines)
    eligible = (
        min(cart.remaining_value, sum(line.remaining for line in lines))
        if scoped
        else cart.remaining_value
    )
    priced = PRICERS[d.type](d, Basis(cart, lines, eligible))
    details: dict[str, Any] = {
        "min_order_value_met": True,
        "usage_limit_not_exceeded": True,
        "valid_date_range": True,
        "customer_eligible": True,
        **priced.details,
    }
    outcome.shipping_discount = priced.shipping
    cart.remaining_shipping -= priced.shipping
    amount = priced.amount
    cap = d.conditions.get("max_discount_amount")
    if cap is not None and d.type != "free_shipping":
        amount = min(amount, cap)
    amount = max(0, min(amount, eligible))
    per_line = (
        _spread(amount, lines) if priced.per_line is None else _trim(priced.per_line, amount, lines)
    )
    outcome.applied_to = _consume(lines, per_line)
    cart.remaining_value -= amount
    outcome.discount_amount = amount + outcome.shipping_discount
    if d.type == "bogo":
        details["discount_applied"] = amount
    outcome.validation_details = details
    return outcome


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


def _consume(lines: list[Line], per_line: dict[int, int]) -> list[dict[str, Any]]:
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
