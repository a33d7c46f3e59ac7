"""Apply and roll back: idempotency per (code, order_id), usage consumed atomically (100 parallel
applies against max_uses and customer_limit), rollback giving usage back exactly, once."""

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.helpers import Api
from tests.vouchers.test_vouchers import cart, make_voucher
from vantio.kit.time import freeze
from vantio.runtime import Runtime
from vantio.vouchers import service as voucher_service
from vantio.worker.runner import run_due


async def apply(api: Api, code: str, order_id: str, **extra: Any) -> Any:
    return await api.post("/v1/vouchers/apply", {"code": code, "order_id": order_id, **extra})


async def test_apply_returns_the_documented_application(api: Api) -> None:
    v = await make_voucher(api)
    response = await apply(api, v["code"].lower(), "order_1234567890", order=cart(10000))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"].startswith("va_")
    assert body["voucher"] == {"id": v["id"], "code": v["code"]}
    assert body["order_id"] == "order_1234567890"
    assert (body["discount_amount"], body["final_amount"], body["currency"]) == (2000, 8000, "USD")
    assert body["applied_at"].endswith("Z")
    assert body["status"] == "applied"
    assert (await api.ok("GET", f"/v1/vouchers/{v['id']}"))["usage_count"] == 1
    events = (await api.ok("GET", "/api/v1/events", type="voucher.applied"))["events"]
    assert events[0]["data"]["voucher_id"] == v["id"]
    assert events[0]["data"]["id"] == body["id"]


async def test_apply_is_idempotent_per_code_and_order(api: Api) -> None:
    v = await make_voucher(api)
    first = (await apply(api, v["code"], "order_1", order=cart(10000))).json()
    same = await apply(api, v["code"], "order_1", order=cart(10000))
    assert same.status_code == 200
    assert same.json() == first
    bare = await apply(api, v["code"], "order_1")  # the documented request: code and order_id
    assert bare.json() == first
    other = await apply(api, v["code"], "order_1", order=cart(5000))
    assert other.status_code == 409
    error = other.json()["error"]
    assert error["code"] == "VOUCHER_ALREADY_APPLIED"
    assert error["details"]["order_id"] == "order_1"
    assert error["details"]["voucher_id"] == v["id"]
    assert (await api.ok("GET", f"/v1/vouchers/{v['id']}"))["usage_count"] == 1


async def test_apply_prices_the_order_validated_with_its_id(api: Api) -> None:
    v = await make_voucher(api, type="fixed", value=700)
    await api.ok(
        "POST", "/v1/vouchers/validate", {"code": v["code"], "order": cart(3000, id="o_77")}
    )
    body = (await apply(api, v["code"], "o_77")).json()
    assert (body["discount_amount"], body["final_amount"]) == (700, 2300)
    missing = await apply(api, v["code"], "o_unknown")
    assert missing.status_code == 400
    assert missing.json()["error"]["details"][0]["field"] == "order"


async def test_apply_revalidates(api: Api) -> None:
    v = await make_voucher(api, conditions={"min_order_value": 5000})
    response = await apply(api, v["code"], "o1", order=cart(100))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VOUCHER_INVALID"
    missing = await apply(api, "NOSUCHCODE", "o1", order=cart(100))
    assert missing.status_code == 404
    assert (await api.ok("GET", f"/v1/vouchers/{v['id']}"))["usage_count"] == 0


async def test_customer_limit_needs_a_customer_and_holds(api: Api) -> None:
    v = await make_voucher(api, conditions={"customer_limit": 1})
    response = await apply(api, v["code"], "o1", order=cart(1000))
    assert response.status_code == 400
    customer = {"id": "customer_1"}
    assert (
        await apply(api, v["code"], "o1", order=cart(1000), customer=customer)
    ).status_code == 200
    second = await apply(api, v["code"], "o2", order=cart(1000), customer=customer)
    assert second.status_code == 400
    assert second.json()["error"]["details"] == {
        "max_uses": 1,
        "current_uses": 1,
        "limit_type": "per_customer",
    }
    other = await apply(api, v["code"], "o3", order=cart(1000), customer={"id": "customer_2"})
    assert other.status_code == 200


async def _fire(api: Api, code: str, count: int, **extra: Any) -> Counter[Any]:
    responses = await asyncio.gather(
        *(apply(api, code, f"order_{i}", order=cart(1000), **extra) for i in range(count))
    )
    return Counter(
        r.status_code if r.status_code == 200 else r.json()["error"]["code"] for r in responses
    )


async def test_max_uses_holds_under_100_parallel_applies(api: Api) -> None:
    v = await make_voucher(api, conditions={"max_uses": 10})
    outcome = await _fire(api, v["code"], 100)
    assert outcome == Counter({200: 10, "USAGE_LIMIT_EXCEEDED": 90})
    got = await api.ok("GET", f"/v1/vouchers/{v['id']}")
    assert got["usage_count"] == 10
    assert len(got["usage_history"]) == 10


async def test_customer_limit_holds_under_100_parallel_applies(api: Api) -> None:
    v = await make_voucher(api, conditions={"customer_limit": 10})
    outcome = await _fire(api, v["code"], 100, customer={"id": "customer_same"})
    assert outcome == Counter({200: 10, "USAGE_LIMIT_EXCEEDED": 90})
    assert (await api.ok("GET", f"/v1/vouchers/{v['id']}"))["usage_count"] == 10


async def test_parallel_replays_of_one_order_make_one_application(api: Api) -> None:
    v = await make_voucher(api)
    responses = await asyncio.gather(
        *(apply(api, v["code"], "order_same", order=cart(1000)) for _ in range(20))
    )
    assert {r.status_code for r in responses} == {200}
    assert len({r.json()["id"] for r in responses}) == 1
    assert (await api.ok("GET", f"/v1/vouchers/{v['id']}"))["usage_count"] == 1
    events = (await api.ok("GET", "/api/v1/events", type="voucher.applied"))["events"]
    assert len(events) == 1


async def test_rollback_gives_usage_back_exactly_once(api: Api) -> None:
    v = await make_voucher(api, conditions={"max_uses": 1, "customer_limit": 1})
    customer = {"email": "Ann@Example.com"}
    application = (await apply(api, v["code"], "o1", order=cart(1000), customer=customer)).json()
    assert (
        await apply(api, v["code"], "o2", order=cart(1000), customer=customer)
    ).status_code == 400
    response = await api.post(
        f"/v1/vouchers/applications/{application['id']}/rollback", {"reason": "refund"}
    )
    assert response.status_code == 200, response.text
    rollback = response.json()
    assert rollback["id"].startswith("vr_")
    assert rollback["application_id"] == application["id"]
    assert (rollback["discount_amount"], rollback["reason"]) == (200, "refund")
    assert (await api.ok("GET", f"/v1/vouchers/{v['id']}"))["usage_count"] == 0
    again = await api.post(f"/v1/vouchers/applications/{application['id']}/rollback")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "ALREADY_ROLLED_BACK"
    assert (await api.ok("GET", f"/v1/vouchers/{v['id']}"))["usage_count"] == 0
    # both counters were given back: the same customer may use it again
    reused = await apply(
        api, v["code"], "o2", order=cart(1000), customer={"email": "ann@example.com"}
    )
    assert reused.status_code == 200
    got = await api.ok("GET", f"/v1/vouchers/applications/{application['id']}")
    assert got["status"] == "rolled_back"
    events = (await api.ok("GET", "/api/v1/events", type="voucher.rollback"))["events"]
    assert [e["data"]["id"] for e in events] == [rollback["id"]]


async def test_remove_by_code_and_order(api: Api) -> None:
    v = await make_voucher(api)
    await apply(api, v["code"], "o1", order=cart(1000))
    response = await api.post("/v1/vouchers/remove", {"code": v["code"].lower(), "order_id": "o1"})
    assert response.status_code == 200
    assert response.json()["order_id"] == "o1"
    assert (await api.ok("GET", f"/v1/vouchers/{v['id']}"))["usage_count"] == 0
    again = await api.post("/v1/vouchers/remove", {"code": v["code"], "order_id": "o1"})
    assert again.status_code == 409
    never = await api.post("/v1/vouchers/remove", {"code": v["code"], "order_id": "o9"})
    assert never.status_code == 404
    # after a rollback the order may take the code again: a new application
    reapplied = await apply(api, v["code"], "o1", order=cart(1000))
    assert reapplied.status_code == 200
    assert (await api.ok("GET", f"/v1/vouchers/{v['id']}"))["usage_count"] == 1


async def test_rollback_of_another_accounts_application_is_404(tenant: Any) -> None:
    v = await make_voucher(tenant.test)
    application = (await apply(tenant.test, v["code"], "o1", order=cart(1000))).json()
    response = await tenant.live.post(f"/v1/vouchers/applications/{application['id']}/rollback")
    assert response.status_code == 404


async def test_expiry_job_marks_expired_and_emits(api: Api, runtime: Runtime) -> None:
    with freeze(datetime(2040, 1, 1, tzinfo=UTC)):
        v = await make_voucher(api, conditions={"valid_until": "2040-01-02T00:00:00Z"})
        keep = await make_voucher(api, conditions={"valid_until": "2041-01-01T00:00:00Z"})
    # the first run creates the schedule (if no worker has yet); a minute later a run is due
    with freeze(datetime(2040, 1, 3, 0, 0, 30, tzinfo=UTC)):
        await run_due(runtime, names={"vouchers.expire"})
    with freeze(datetime(2040, 1, 3, 0, 1, 30, tzinfo=UTC)):
        await run_due(runtime, names={"vouchers.expire"})
        await run_due(runtime, names={"vouchers.expire"})  # a second run changes nothing
    assert (await api.ok("GET", f"/v1/vouchers/{v['id']}"))["status"] == "expired"
    assert (await api.ok("GET", f"/v1/vouchers/{keep['id']}"))["status"] == "active"
    events = (await api.ok("GET", "/api/v1/events", type="voucher.expired"))["events"]
    assert [e["data"]["voucher_id"] for e in events] == [v["id"]]
    assert (await api.ok("GET", "/v1/vouchers", status="expired"))["total"] == 1
    # extending its validity makes it active again
    extended = await api.ok(
        "PUT", f"/v1/vouchers/{v['id']}", {"conditions": {"valid_until": "2999-01-01T00:00:00Z"}}
    )
    assert extended["status"] == "active"


async def test_expire_due_service(api: Api, runtime: Runtime) -> None:
    with freeze(datetime(2050, 1, 1, tzinfo=UTC)):
        v = await make_voucher(api, conditions={"valid_until": "2050-01-02T00:00:00Z"})
    async with runtime.sessionmaker() as session:
        count = await voucher_service.expire_due(session, now=datetime(2050, 2, 1, tzinfo=UTC))
        await session.commit()
    assert count >= 1
    assert (await api.ok("GET", f"/v1/vouchers/{v['id']}"))["status"] == "expired"


async def test_large_orders_are_stored_whole(api: Api) -> None:
    v = await make_voucher(api, value=50)
    order = {"currency": "USD", "items": [{"id": "jet", "price": 10**12, "quantity": 1000}]}
    body = (await apply(api, v["code"], "o_big", order=order)).json()
    assert (body["discount_amount"], body["final_amount"]) == (5 * 10**14, 5 * 10**14)


async def test_non_finite_numbers_are_refused(api: Api) -> None:
    headers = {**api.headers, "Content-Type": "application/json"}
    for raw in (
        '{"code": "INF1X", "type": "stackable", "config": {"base_discount": Infinity}}',
        '{"code": "NAN1X", "type": "conditional", "config": {"conditions": '
        '[{"type": "order_value", "operator": "gte", "value": NaN}], "discount": 5}}',
        '{"code": "NAN2X", "type": "fixed", "value": NaN}',
    ):
        response = await api.client.post("/v1/vouchers", content=raw, headers=headers)
        assert response.status_code == 400, response.text


async def test_parallel_applies_of_different_codes_to_one_order_respect_stacking(
    api: Api,
) -> None:
    plain = [await make_voucher(api, type="fixed", value=100 + i) for i in range(20)]
    responses = await asyncio.gather(
        *(apply(api, v["code"], "order_contested", order=cart(5000)) for v in plain)
    )
    outcome = Counter(
        r.status_code if r.status_code == 200 else r.json()["error"]["code"] for r in responses
    )
    # plain vouchers never combine: one wins the order, the others conflict with it
    assert outcome == Counter({200: 1, "STACKING_CONFLICT": 19})


async def test_documented_flow_validate_order_then_apply_code_and_order_id(api: Api) -> None:
    """Issue 12 (voucher-docs §3.7): validate `{code, order}` then apply `{code, order_id}` was
    400 unless the validate carried `order.id`. Now the one recent validation of the code is
    used, and the application says which."""
    v = await make_voucher(api, type="fixed", value=700)
    checked = await api.ok(
        "POST",
        "/v1/vouchers/validate",
        {"code": v["code"], "order": cart(4000), "customer": {"id": "cust_1"}},
    )
    assert checked["discount_amount"] == 700, checked
    applied = await apply(api, v["code"], "ord_A")
    assert applied.status_code == 200, applied.text
    body = applied.json()
    assert (body["discount_amount"], body["final_amount"]) == (700, 3300)
    assert body["customer_id"] == "cust_1"
    assert body["validation_id"].startswith("vval_")
    # that validation priced one order: another order needs its own
    again = await apply(api, v["code"], "ord_B")
    assert again.status_code == 400
    assert again.json()["error"]["details"][0]["field"] == "order"
    # the tied flow records its validation too
    await api.ok("POST", "/v1/vouchers/validate", {"code": v["code"], "order": cart(900, id="o_9")})
    tied = (await apply(api, v["code"], "o_9")).json()
    assert tied["validation_id"].startswith("vval_")
    assert tied["validation_id"] != body["validation_id"]


async def test_competing_validations_without_order_id_are_refused(api: Api) -> None:
    """A public code at a busy checkout: never a discount computed on another customer's cart."""
    v = await make_voucher(api)  # 20 %
    for customer, price in (("cust_a", 1000), ("cust_b", 5000)):
        await api.ok(
            "POST",
            "/v1/vouchers/validate",
            {"code": v["code"], "order": cart(price), "customer": {"id": customer}},
        )
    refused = await apply(api, v["code"], "ord_1")
    assert refused.status_code == 400
    error = refused.json()["error"]
    assert error["details"][0]["field"] == "order"
    assert "order.id" in error["message"]
    # naming the customer picks that customer's validation
    mine = (await apply(api, v["code"], "ord_2", customer={"id": "cust_b"})).json()
    assert (mine["discount_amount"], mine["final_amount"]) == (1000, 4000)
    # which leaves one untied validation for the code: it is used
    other = (await apply(api, v["code"], "ord_3")).json()
    assert (other["discount_amount"], other["customer_id"]) == (200, "cust_a")


async def test_an_old_validation_without_order_id_is_not_used(api: Api) -> None:
    v = await make_voucher(api)
    with freeze(datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=31)):
        await api.ok("POST", "/v1/vouchers/validate", {"code": v["code"], "order": cart(1000)})
    late = await apply(api, v["code"], "ord_late")
    assert late.status_code == 400
    assert late.json()["error"]["details"][0]["field"] == "order"


async def test_gen1_order_value_on_apply(api: Api) -> None:
    v = await make_voucher(api)  # 20 %
    body = (await apply(api, v["code"], "ord_v", order_value=5000)).json()
    assert (body["discount_amount"], body["final_amount"]) == (1000, 4000)
    assert body["validation_id"] is None
    clash = await apply(api, v["code"], "ord_w", order=cart(3000), order_value=5000)
    assert clash.status_code == 400
    assert clash.json()["error"]["details"][0]["field"] == "order_value"
    same = await apply(api, v["code"], "ord_x", order=cart(3000), order_value=3000)
    assert same.status_code == 200, same.text
