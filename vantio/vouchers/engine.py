"""The pure part of vouchers: check and price a stack of codes against a cart.

`evaluate` is the entry point: the stacking rules (`check_stacking`), then for each new code the
checks in the documented order (`eligibility.check_eligibility`) and its discount
(`pricing.calculate`, one function per type), then the stack's cap. The pieces live in `cart`
(what is worked on), `eligibility`, `pricing`; this module holds the stacking rules.
"""

from datetime import datetime
from typing import Any

from vantio.kit.money import percent_of
from vantio.vouchers.cart import Candidate, Cart, Line, Outcome, StackResult, StandingApplication
from vantio.vouchers.eligibility import check_eligibility, eligible_lines, usage_exceeded
from vantio.vouchers.errors import StackingConflict
from vantio.vouchers.pricing import calculate

__all__ = [
    "Candidate",
    "Cart",
    "Line",
    "Outcome",
    "StackResult",
    "StandingApplication",
    "calculate",
    "check_eligibility",
    "check_stacking",
    "eligible_lines",
    "evaluate",
    "usage_exceeded",
]


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
                        "stackable_types": stackable.stack_rules.stackable_with
                        if stackable
                        else [],
                    },
                )
    for c in candidates:
        limit = c.stack_rules.max_stack_count if c.stackable else None
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


def _conflict(a: Candidate, b: Candidate) -> str | None:
    if not a.stackable and not b.stackable:
        return "Incompatible voucher types"
    for s, other in ((a, b), (b, a)):
        if not s.stackable:
            continue
        rules = s.stack_rules
        if other.type in (rules.excluded_types or ()):
            return "Incompatible voucher types"
        allowed = rules.stackable_with
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
        float(cap)
        for c in candidates
        if c.stackable and (cap := c.stack_rules.max_total_discount) is not None
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
    applied = c.applied or StandingApplication(0, {})
    breakdown = applied.breakdown or {}
    by_item: dict[str, int] = {}
    for entry in breakdown.get("applied_to", []):
        by_item[entry["item_id"]] = by_item.get(entry["item_id"], 0) + int(entry["discount_amount"])
    for line in cart.lines:
        take = min(by_item.get(line.item_id, 0), line.remaining)
        line.remaining -= take
        by_item[line.item_id] = by_item.get(line.item_id, 0) - take
    shipping = min(int(breakdown.get("shipping_discount", 0)), cart.remaining_shipping)
    cart.remaining_shipping -= shipping
    merchandise: int = max(0, int(applied.discount_amount) - shipping)
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
