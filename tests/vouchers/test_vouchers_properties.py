"""Properties over random carts and vouchers (hypothesis): discounts never exceed what they apply
to, final amounts are never negative, percentages round half-up to whole minor units, stacks
respect max_total_discount and max_stack_count, and apply-then-rollback restores every counter.

The arithmetic is checked on the pure engine (fast, many examples); the counters through the API
(fewer examples: each one is a few HTTP round trips)."""

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.helpers import Api
from tests.vouchers.test_vouchers import make_voucher
from vantio.runtime import Runtime
from vantio.vouchers import definitions, engine
from vantio.vouchers.errors import StackingConflict, ValidationFailure
from vantio.vouchers.models import VoucherCustomerUsage

NOW = datetime(2030, 1, 1, tzinfo=UTC)
PRODUCTS = ["p1", "p2", "p3", "p4"]
CATEGORIES = ["books", "toys"]

items = st.lists(
    st.fixed_dictionaries(
        {
            "id": st.sampled_from(PRODUCTS),
            "price": st.integers(0, 50_000),
            "quantity": st.integers(1, 5),
            "category": st.sampled_from(CATEGORIES),
        }
    ),
    min_size=0,
    max_size=8,
)
rates = st.decimals(min_value=Decimal("0.01"), max_value=100, places=2)


@st.composite
def carts(draw: st.DrawFn) -> dict[str, Any]:
    lines = draw(items)
    for i, line in enumerate(lines):
        line["id"] = f"{line['id']}-{i}"
        line["product_id"] = line["id"].split("-")[0]
    total = sum(line["price"] * line["quantity"] for line in lines)
    # the order value may exceed its items (fees) or, with no items, stand alone
    value = draw(st.integers(total, total + 5_000)) if lines else draw(st.integers(0, 100_000))
    return {"items": lines, "value": value, "shipping": draw(st.integers(0, 2_000))}


scopes = st.fixed_dictionaries(
    {},
    optional={
        "product_ids": st.lists(st.sampled_from(PRODUCTS), min_size=1, unique=True),
        "categories": st.lists(st.sampled_from(CATEGORIES), min_size=1, unique=True),
        "max_discount_amount": st.integers(0, 20_000),
    },
)


@st.composite
def vouchers(draw: st.DrawFn) -> definitions.Definition:
    kind = draw(
        st.sampled_from(["percentage", "fixed", "free_shipping", "bogo", "tiered", "stackable"])
    )
    conditions = draw(scopes)
    value: float | None = None
    config: dict[str, Any] | None = None
    if kind == "percentage":
        value = float(draw(rates))
    elif kind == "fixed":
        value = float(draw(st.integers(1, 100_000)))
    elif kind == "bogo":
        config = {
            "buy_quantity": draw(st.integers(1, 3)),
            "get_quantity": draw(st.integers(1, 2)),
            "get_discount": draw(st.sampled_from([100, 50, 33.5])),
            "get_discount_type": "percentage",
            "max_uses_per_order": draw(st.none() | st.integers(1, 3)),
        }
        if draw(st.booleans()):
            config.update(get_discount=draw(st.integers(1, 60_000)), get_discount_type="fixed")
    elif kind == "tiered":
        config = {
            "tiers": [
                {"min_value": 0, "max_value": 9_999, "discount": 5},
                {
                    "min_value": 10_000,
                    "max_value": None,
                    "discount": 1_500,
                    "discount_type": "fixed",
                },
            ]
        }
    elif kind == "stackable":
        config = {"base_discount": float(draw(rates)), "stack_rules": {}}
    return definitions.build(
        type=kind, value=value, conditions=conditions, config=config, currency=None
    )


def candidate(definition: definitions.Definition, n: int = 0) -> engine.Candidate:
    return engine.Candidate(
        voucher_id=f"v_{n}",
        code=f"CODE{n}",
        status="active",
        deleted=False,
        definition=definition,
        usage_count=0,
    )


def build_cart(data: dict[str, Any]) -> engine.Cart:
    return engine.Cart.of(
        value=data["value"], currency="USD", items=data["items"], shipping=data["shipping"]
    )


@settings(max_examples=150, deadline=None)
@given(order=carts(), definition=vouchers())
def test_discount_within_eligible_and_final_never_negative(
    order: dict[str, Any], definition: definitions.Definition
) -> None:
    cart = build_cart(order)
    eligible_lines = engine.eligible_lines(definition, cart)
    restricted = any(definition.conditions.get(k) for k in ("product_ids", "categories"))
    eligible = (
        min(order["value"], sum(line.remaining for line in eligible_lines))
        if restricted
        else order["value"]
    )
    try:
        result = engine.evaluate([candidate(definition)], cart, NOW)
    except ValidationFailure:
        return  # not applicable to this cart: nothing to bound
    outcome = result.outcomes[0]
    merchandise = outcome.discount_amount - outcome.shipping_discount
    assert 0 <= merchandise <= eligible
    assert 0 <= outcome.shipping_discount <= order["shipping"]
    cap = definition.conditions.get("max_discount_amount")
    if cap is not None:
        assert outcome.discount_amount <= cap
    assert result.final_amount >= 0
    assert result.final_amount == order["value"] + order["shipping"] - outcome.discount_amount
    for line in outcome.applied_to:
        assert 0 <= line["discount_amount"] <= line["original_price"]
        assert line["final_price"] == line["original_price"] - line["discount_amount"]
    assert sum(line["discount_amount"] for line in outcome.applied_to) <= merchandise


@settings(max_examples=150, deadline=None)
@given(value=st.integers(0, 10**9), rate=rates)
def test_percentages_round_half_up_to_whole_minor_units(value: int, rate: Decimal) -> None:
    definition = definitions.build(
        type="percentage", value=float(rate), conditions={}, config=None, currency=None
    )
    cart = engine.Cart.of(value=value, currency="USD", items=[])
    discount = engine.evaluate([candidate(definition)], cart, NOW).discount_amount
    exact = Decimal(value) * rate / 100
    assert discount == int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    assert abs(Decimal(discount) - exact) <= Decimal("0.5")


@settings(max_examples=150, deadline=None)
@given(
    order=carts(),
    bases=st.lists(rates, min_size=1, max_size=5),
    caps=st.lists(st.none() | rates, min_size=5, max_size=5),
    counts=st.lists(st.none() | st.integers(1, 5), min_size=5, max_size=5),
)
def test_stacks_respect_max_total_discount_and_max_stack_count(
    order: dict[str, Any],
    bases: list[Decimal],
    caps: list[Decimal | None],
    counts: list[int | None],
) -> None:
    members = []
    for i, base in enumerate(bases):
        rules: dict[str, Any] = {}
        if caps[i] is not None:
            rules["max_total_discount"] = float(caps[i] or 0)
        if counts[i] is not None:
            rules["max_stack_count"] = counts[i]
        definition = definitions.build(
            type="stackable",
            value=None,
            conditions={},
            config={"base_discount": float(base), "stack_rules": rules},
            currency=None,
        )
        members.append(candidate(definition, i))
    limits = [c for c in counts[: len(bases)] if c is not None]
    cart = build_cart(order)
    if limits and len(bases) > min(limits):
        with pytest.raises(StackingConflict):
            engine.evaluate(members, cart, NOW)
        return
    result = engine.evaluate(members, cart, NOW)
    total = sum(o.discount_amount for o in result.outcomes)
    assert total == result.discount_amount
    assert 0 <= total <= order["value"]
    percents = [Decimal(str(c)) for c in caps[: len(bases)] if c is not None]
    if percents:
        limit = Decimal(order["value"]) * min(percents) / 100
        assert total <= int(limit.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    assert result.final_amount == order["value"] + order["shipping"] - total >= 0


# Counters through the API -------------------------------------------------------------------


async def _counters(runtime: Runtime, voucher_id: str) -> dict[str, int]:
    async with runtime.sessionmaker() as session:
        rows = await session.execute(
            select(VoucherCustomerUsage.customer_key, VoucherCustomerUsage.usage_count).where(
                VoucherCustomerUsage.voucher_id == voucher_id
            )
        )
        return {str(k): int(n) for k, n in rows.all() if n}


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    plan=st.lists(
        st.tuples(st.sampled_from([None, "c1", "c2", "c3"]), st.integers(100, 50_000)),
        min_size=1,
        max_size=6,
    ),
    undo=st.data(),
)
async def test_apply_then_rollback_restores_every_counter(
    api: Api, runtime: Runtime, plan: list[tuple[str | None, int]], undo: st.DataObject
) -> None:
    voucher = await make_voucher(api, conditions={"max_uses": 1000})
    seeded = await api.ok(
        "POST",
        "/v1/vouchers/apply",
        {
            "code": voucher["code"],
            "order_id": f"{voucher['code']}-seed",
            "order": {"value": 1000},
            "customer": {"id": "c1"},
        },
    )
    before = (await api.ok("GET", f"/v1/vouchers/{voucher['id']}"))["usage_count"]
    before_customers = await _counters(runtime, voucher["id"])
    applied = []
    for n, (customer, value) in enumerate(plan):
        body: dict[str, Any] = {
            "code": voucher["code"],
            "order_id": f"{voucher['code']}-{n}",
            "order": {"value": value},
        }
        if customer is not None:
            body["customer"] = {"id": customer}
        applied.append(await api.ok("POST", "/v1/vouchers/apply", body))
    assert (await api.ok("GET", f"/v1/vouchers/{voucher['id']}"))["usage_count"] == before + len(
        plan
    )
    order = undo.draw(st.permutations(applied))
    for n, application in enumerate(order):
        if n % 2:
            await api.ok("POST", f"/v1/vouchers/applications/{application['id']}/rollback", {})
        else:
            await api.ok(
                "POST",
                "/v1/vouchers/remove",
                {"code": voucher["code"], "order_id": application["order_id"]},
            )
    assert (await api.ok("GET", f"/v1/vouchers/{voucher['id']}"))["usage_count"] == before
    assert await _counters(runtime, voucher["id"]) == before_customers
    assert seeded["status"] == "applied"
