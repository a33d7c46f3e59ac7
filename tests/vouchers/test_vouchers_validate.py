"""Validate: the documented response, every type's arithmetic, the checks in the documented order
with their error codes and details, stacking, `preview` and `soft`; validate consumes nothing."""

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.helpers import Api
from tests.vouchers.test_vouchers import cart, make_voucher
from vantio.kit.time import freeze


async def validate(api: Api, code: str | list[str], order: dict[str, Any], **extra: Any) -> Any:
    body: dict[str, Any] = {"codes": code} if isinstance(code, list) else {"code": code}
    return await api.post("/v1/vouchers/validate", {**body, "order": order, **extra})


async def test_documented_example(api: Api) -> None:
    v = await make_voucher(api, value=20, conditions={"min_order_value": 5000, "max_uses": 1000})
    order = {
        "value": 10000,
        "currency": "USD",
        "items": [{"id": "item_1", "price": 5000, "quantity": 2}],
    }
    response = await validate(api, v["code"].lower(), order, customer={"id": "customer_1"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["is_valid"] is True
    assert body["voucher"] == {"id": v["id"], "code": v["code"], "type": "percentage", "value": 20}
    assert body["discount_amount"] == 2000
    assert body["final_amount"] == 8000
    assert body["currency"] == "USD"
    assert body["validation_details"] == {
        "min_order_value_met": True,
        "usage_limit_not_exceeded": True,
        "valid_date_range": True,
        "customer_eligible": True,
    }
    assert body["applied_to"] == [
        {"item_id": "item_1", "original_price": 10000, "discount_amount": 2000, "final_price": 8000}
    ]
    assert body["conditions_met"] == ["usage_limit", "min_order_value"]


async def test_unknown_code_is_404_with_the_code(api: Api) -> None:
    response = await validate(api, "NOPE-123", cart(1000))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "VOUCHER_NOT_FOUND"
    assert response.json()["error"]["details"] == {"code": "NOPE-123"}
    assert "X-RateLimit-Remaining" in response.headers


async def test_percentage_rounds_half_up_and_caps(api: Api) -> None:
    v = await make_voucher(api, value=12.5, conditions={"max_discount_amount": 1000})
    body = (await validate(api, v["code"], cart(1004))).json()  # 125.5 → 126
    assert body["discount_amount"] == 126
    body = (await validate(api, v["code"], cart(50000))).json()
    assert body["discount_amount"] == 1000
    assert body["final_amount"] == 49000


async def test_fixed_never_exceeds_the_order(api: Api) -> None:
    v = await make_voucher(api, type="fixed", value=1500)
    body = (await validate(api, v["code"], cart(1000))).json()
    assert (body["discount_amount"], body["final_amount"]) == (1000, 0)


async def test_free_shipping(api: Api) -> None:
    v = await make_voucher(api, type="free_shipping", value=None)
    body = (await validate(api, v["code"], cart(4000, shipping_amount=599))).json()
    assert body["discount_amount"] == 599
    assert body["final_amount"] == 4000
    assert body["applied_to"] == []


async def test_product_scope_discounts_only_eligible_items(api: Api) -> None:
    v = await make_voucher(api, value=10, conditions={"product_ids": ["item_1"]})
    body = (await validate(api, v["code"], cart(3000, 5000, 7000))).json()
    assert body["discount_amount"] == 300
    assert [a["item_id"] for a in body["applied_to"]] == ["item_1"]
    assert body["final_amount"] == 15000 - 300
    w = await make_voucher(api, value=10, conditions={"excluded_product_ids": ["item_2"]})
    body = (await validate(api, w["code"], cart(3000, 5000, 7000))).json()
    assert body["discount_amount"] == 1000
    assert [a["item_id"] for a in body["applied_to"]] == ["item_1", "item_3"]
    response = await validate(
        api, v["code"], {"value": 500, "items": [{"id": "item_9", "price": 500}]}
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "CONDITION_NOT_MET"
    assert error["details"]["failed_conditions"][0]["type"] == "items"


async def test_categories(api: Api) -> None:
    v = await make_voucher(api, type="fixed", value=500, conditions={"categories": ["books"]})
    order = {
        "currency": "USD",
        "items": [
            {"id": "a", "price": 300, "quantity": 1, "category": "books"},
            {"id": "b", "price": 9000, "quantity": 1, "category": "electronics"},
        ],
    }
    body = (await validate(api, v["code"], order)).json()
    assert body["discount_amount"] == 300  # only the book is eligible
    assert body["final_amount"] == 9000


async def test_bogo_discounts_the_cheapest_units(api: Api) -> None:
    v = await make_voucher(
        api,
        type="bogo",
        value=None,
        config={"buy_quantity": 1, "get_quantity": 1, "max_uses_per_order": 2},
    )
    order = {
        "currency": "USD",
        "items": [
            {"id": "shirt", "price": 2500, "quantity": 1},
            {"id": "hat", "price": 1000, "quantity": 1},
            {"id": "shoes", "price": 6000, "quantity": 1},
        ],
    }
    body = (await validate(api, v["code"], order)).json()
    assert body["discount_amount"] == 1000  # 3 units → one pair → the hat is free
    details = body["validation_details"]
    assert details["bogo_eligible_items"] == 3
    assert details["bogo_applied_items"] == 1
    assert details["discount_applied"] == 1000
    assert details["remaining_eligibility"] == 1
    assert body["applied_to"] == [
        {"item_id": "hat", "original_price": 1000, "discount_amount": 1000, "final_price": 0}
    ]
    response = await validate(
        api, v["code"], {"currency": "USD", "items": [{"id": "x", "price": 10}]}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "CONDITION_NOT_MET"


async def test_tiered_picks_the_matching_tier(api: Api) -> None:
    tiers = [
        {"min_value": 5000, "max_value": 9999, "discount": 10, "discount_type": "percentage"},
        {"min_value": 10000, "max_value": 19999, "discount": 15, "discount_type": "percentage"},
        {"min_value": 20000, "max_value": None, "discount": 5000, "discount_type": "fixed"},
    ]
    v = await make_voucher(api, type="tiered", value=None, config={"tiers": tiers})
    body = (await validate(api, v["code"], cart(15000))).json()
    assert body["discount_amount"] == 2250
    assert body["validation_details"]["applicable_tier"]["min_value"] == 10000
    assert body["validation_details"]["order_value"] == 15000
    assert (await validate(api, v["code"], cart(30000))).json()["discount_amount"] == 5000
    response = await validate(api, v["code"], cart(100))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VOUCHER_INVALID"


async def test_overlapping_tiers_are_invalid_configuration(api: Api) -> None:
    tiers = [
        {"min_value": 0, "max_value": 10000, "discount": 5},
        {"min_value": 10000, "max_value": None, "discount": 10},
    ]
    response = await api.post(
        "/v1/vouchers", {"code": "TIERS01", "type": "tiered", "config": {"tiers": tiers}}
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "INVALID_CONFIGURATION"
    assert error["details"]["issue"] == "Overlapping tier ranges detected"
    assert error["details"]["field"] == "config.tiers"


async def test_conditional_and_or(api: Api) -> None:
    conditions = [
        {"type": "customer_segment", "operator": "eq", "value": "premium"},
        {"type": "order_value", "operator": "gte", "value": 10000},
    ]
    both = await make_voucher(
        api,
        type="conditional",
        value=None,
        config={
            "conditions": conditions,
            "discount": 20,
            "discount_type": "percentage",
            "all_conditions_required": True,
        },
    )
    either = await make_voucher(
        api,
        type="conditional",
        value=None,
        config={"conditions": conditions, "discount": 20, "all_conditions_required": False},
    )
    premium = {"id": "c1", "segment": "premium"}
    response = await validate(api, both["code"], cart(5000), customer=premium)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "CONDITION_NOT_MET"
    assert error["details"]["failed_conditions"] == [
        {"type": "order_value", "expected": 10000, "actual": 5000}
    ]
    assert error["details"]["required_conditions"] == 2
    assert error["details"]["met_conditions"] == 1
    ok = (await validate(api, either["code"], cart(5000), customer=premium)).json()
    assert ok["discount_amount"] == 1000
    assert ok["validation_details"]["discount_applicable"] is True
    assert ok["validation_details"]["all_conditions_satisfied"] is False


async def test_customer_rules(api: Api) -> None:
    v = await make_voucher(
        api,
        conditions={
            "rules": [{"type": "customer", "rules": [{"segment": "vip", "min_orders": 3}]}]
        },
    )
    response = await validate(
        api, v["code"], cart(1000), customer={"id": "c", "segment": "vip", "orders_count": 1}
    )
    assert response.status_code == 400
    details = response.json()["error"]["details"]
    assert details["failed_conditions"] == [{"type": "min_orders", "expected": 3, "actual": 1}]
    ok = await validate(
        api, v["code"], cart(1000), customer={"id": "c", "segment": "vip", "orders_count": 5}
    )
    assert ok.json()["is_valid"] is True
    assert "customer_segment" in ok.json()["conditions_met"]


async def test_checks_run_in_the_documented_order(api: Api) -> None:
    with freeze(datetime(2030, 1, 1, tzinfo=UTC)):
        # Expired, exhausted and below minimum at once: the date window is reported first.
        v = await make_voucher(
            api,
            conditions={
                "valid_until": "2030-06-01T00:00:00Z",
                "max_uses": 1,
                "min_order_value": 5000,
            },
        )
        await api.ok(
            "POST", "/v1/vouchers/apply", {"code": v["code"], "order_id": "o1", "order": cart(9000)}
        )
    with freeze(datetime(2031, 1, 1, tzinfo=UTC)):
        error = (await validate(api, v["code"], cart(100))).json()["error"]
        assert error["code"] == "VOUCHER_EXPIRED"
        assert error["details"] == {
            "expired_at": "2030-06-01T00:00:00Z",
            "current_time": "2031-01-01T00:00:00Z",
        }
    with freeze(datetime(2030, 2, 1, tzinfo=UTC)):
        error = (await validate(api, v["code"], cart(100))).json()["error"]
        assert error["code"] == "USAGE_LIMIT_EXCEEDED"
        assert error["details"] == {"max_uses": 1, "current_uses": 1, "limit_type": "total_uses"}
        await api.put(f"/v1/vouchers/{v['id']}", {"conditions": {"max_uses": None}})
        error = (await validate(api, v["code"], cart(100))).json()["error"]
        assert error["code"] == "VOUCHER_INVALID"
        assert error["details"] == {
            "reason": "Order value below minimum",
            "min_required": 5000,
            "current_value": 100,
            "currency": "USD",
        }


async def test_not_yet_valid_and_inactive(api: Api) -> None:
    v = await make_voucher(api, conditions={"valid_from": "2999-01-01T00:00:00Z"})
    error = (await validate(api, v["code"], cart(100))).json()["error"]
    assert error["code"] == "VOUCHER_INVALID"
    assert error["details"]["reason"] == "Voucher is not valid yet"
    w = await make_voucher(api)
    await api.ok("PUT", f"/v1/vouchers/{w['id']}", {"status": "inactive"})
    error = (await validate(api, w["code"], cart(100))).json()["error"]
    assert (error["code"], error["details"]["reason"]) == (
        "VOUCHER_INVALID",
        "Voucher is not active",
    )


async def test_soft_answers_200_with_the_error(api: Api) -> None:
    v = await make_voucher(api, conditions={"min_order_value": 5000})
    response = await validate(api, v["code"], cart(100), soft=True)
    assert response.status_code == 200
    body = response.json()
    assert body["is_valid"] is False
    assert body["error"]["code"] == "VOUCHER_INVALID"
    assert body["error"]["details"]["min_required"] == 5000


async def test_validate_never_consumes_and_preview_records_nothing(api: Api) -> None:
    v = await make_voucher(api, conditions={"max_uses": 1})
    for _ in range(3):
        assert (await validate(api, v["code"], cart(1000))).status_code == 200
    assert (await api.ok("GET", f"/v1/vouchers/{v['id']}"))["usage_count"] == 0
    events = await api.ok("GET", "/api/v1/events", type="voucher.validated")
    assert len(events["events"]) == 3
    assert events["events"][0]["data"]["is_valid"] is True
    assert (await validate(api, v["code"], cart(1000), preview=True)).status_code == 200
    assert (await validate(api, v["code"], cart(1), preview=True, soft=True)).status_code == 200
    events = await api.ok("GET", "/api/v1/events", type="voucher.validated")
    assert len(events["events"]) == 3


async def test_failed_validation_is_recorded_too(api: Api) -> None:
    v = await make_voucher(api, conditions={"min_order_value": 5000})
    assert (await validate(api, v["code"], cart(100))).status_code == 400
    events = await api.ok("GET", "/api/v1/events", type="voucher.validated")
    assert [e["data"]["is_valid"] for e in events["events"]] == [False]
    assert events["events"][0]["data"]["error_code"] == "VOUCHER_INVALID"


# Stacking ---------------------------------------------------------------------------------------


def stackable(base: int = 10, **rules: Any) -> dict[str, Any]:
    return {
        "type": "stackable",
        "value": None,
        "config": {"base_discount": base, "base_discount_type": "percentage", "stack_rules": rules},
    }


async def test_stack_of_codes_applies_in_priority_order(api: Api) -> None:
    a = await make_voucher(api, **stackable(10, max_stack_count=3, stackable_with=["fixed"]))
    b = await make_voucher(api, type="fixed", value=1000)
    response = await validate(api, [a["code"], b["code"]], cart(6000, 4000))
    assert response.status_code == 200, response.text
    body = response.json()
    # a (stackable, priority 0) and b (fixed) in the order given: 10% of 10000, then 1000 off.
    assert [v["discount_amount"] for v in body["vouchers"]] == [1000, 1000]
    assert body["discount_amount"] == 2000
    assert body["final_amount"] == 8000
    assert body["validation_details"]["stacking"]["stack_count"] == 2
    assert sum(i["discount_amount"] for i in body["applied_to"]) == 2000


async def test_two_plain_vouchers_do_not_stack(api: Api) -> None:
    a = await make_voucher(api)
    b = await make_voucher(api, type="fixed", value=100)
    response = await validate(api, [a["code"], b["code"]], cart(5000))
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "STACKING_CONFLICT"
    assert error["details"]["conflicting_voucher"] == b["code"]
    assert error["details"]["conflict_reason"] == "Incompatible voucher types"


async def test_excluded_types_and_stack_count(api: Api) -> None:
    a = await make_voucher(api, **stackable(10, excluded_types=["bogo"], max_stack_count=2))
    bogo = await make_voucher(api, type="bogo", value=None, config={})
    response = await validate(api, [a["code"], bogo["code"]], cart(1000, 1000))
    assert response.status_code == 409
    assert response.json()["error"]["details"]["stackable_types"] is None
    b = await make_voucher(api, **stackable(5))
    c = await make_voucher(api, **stackable(5))
    response = await validate(api, [a["code"], b["code"], c["code"]], cart(1000))
    assert response.status_code == 409
    details = response.json()["error"]["details"]
    assert details["conflict_reason"] == "Maximum stack count exceeded"
    assert details["max_stack_count"] == 2


async def test_max_total_discount_caps_the_stack(api: Api) -> None:
    a = await make_voucher(api, **stackable(20, max_total_discount=30))
    b = await make_voucher(api, **stackable(20))
    body = (await validate(api, [a["code"], b["code"]], cart(10000))).json()
    # 20% of 10000 = 2000, then 20% of the remaining 8000 = 1600, capped at 30% = 3000 in total.
    assert body["discount_amount"] == 3000
    assert [v["discount_amount"] for v in body["vouchers"]] == [2000, 1000]
    assert body["validation_details"]["stacking"]["capped"] is True


async def test_stacking_counts_the_orders_standing_applications(api: Api) -> None:
    a = await make_voucher(api, **stackable(10, max_stack_count=2))
    plain = await make_voucher(api, type="fixed", value=500)
    other = await make_voucher(api, type="fixed", value=700)
    order = cart(10000, id="order_stack_1")
    await api.ok(
        "POST",
        "/v1/vouchers/apply",
        {"code": plain["code"], "order_id": "order_stack_1", "order": order},
    )
    # another plain voucher cannot join the order's plain voucher
    response = await validate(api, other["code"], order)
    assert response.status_code == 409
    # the stackable one can, and is priced on what the first left
    body = (await validate(api, a["code"], order)).json()
    assert body["discount_amount"] == 950
    assert body["final_amount"] == 10000 - 500 - 950
    assert body["validation_details"]["stacking"]["stack_count"] == 2


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"type": "percentage", "value": 120}, "INVALID_REQUEST"),
        ({"type": "percentage"}, "INVALID_REQUEST"),
        ({"type": "fixed", "value": 10.5}, "INVALID_REQUEST"),
        ({"type": "bogo"}, "INVALID_CONFIGURATION"),
        ({"type": "stackable", "config": {"base_discount": 150}}, "INVALID_CONFIGURATION"),
        (
            {"type": "conditional", "config": {"conditions": [], "discount": 5}},
            "INVALID_CONFIGURATION",
        ),
        ({"type": "percentage", "value": 5, "config": {"x": 1}}, "INVALID_CONFIGURATION"),
        ({"type": "percentage", "value": 5, "conditions": {"max_usess": 1}}, "INVALID_REQUEST"),
        (
            {
                "type": "percentage",
                "value": 5,
                "conditions": {
                    "valid_from": "2030-01-01T00:00:00Z",
                    "valid_until": "2029-01-01T00:00:00Z",
                },
            },
            "INVALID_CONDITIONS",
        ),
        ({"type": "percentage", "value": 5, "code": "a b"}, "INVALID_VOUCHER_CODE"),
    ],
)
async def test_create_checks(api: Api, fields: dict[str, Any], code: str) -> None:
    body = {"code": "CHECKME1", **fields}
    response = await api.post("/v1/vouchers", body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == code
