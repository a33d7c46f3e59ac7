"""The SDK's Voucher API (/v1) resources against the real app in-process."""

import secrets
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from vantio_client import (
    AsyncVantio,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    RetryPolicy,
)
from vantio_client.types import Order

from tests.helpers import Tenant

ORDER: Order = {
    "value": 10000,
    "currency": "USD",
    "items": [{"id": "sku_1", "price": 5000, "quantity": 2}],
}


@pytest.fixture
async def sdk(app: Any, tenant: Tenant) -> AsyncIterator[AsyncVantio]:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.10", 5555))
    async with AsyncVantio(
        api_key=tenant.test.key,
        base_url="http://testserver",
        transport=transport,
        retry=RetryPolicy(initial_delay=0.01),
    ) as client:
        yield client


def code(prefix: str = "SDK") -> str:
    return f"{prefix}{secrets.token_hex(4).upper()}"


async def test_voucher_crud_and_lists(sdk: AsyncVantio) -> None:
    created = await sdk.vouchers.create(
        code=code(), type="percentage", value=20, conditions={"min_order_value": 5000}
    )
    assert (created["status"], created["usage_count"]) == ("active", 0)
    assert (await sdk.vouchers.get(created["id"]))["code"] == created["code"]
    updated = await sdk.vouchers.update(created["id"], conditions={"max_uses": 5})
    assert updated["conditions"] == {"min_order_value": 5000, "max_uses": 5}  # merged
    fixed = await sdk.vouchers.create(code=code(), type="fixed", value=500, currency="USD")

    page = await sdk.vouchers.list(limit=1)
    assert ([v["id"] for v in page["data"]], page["total"], page["has_more"]) == (
        [fixed["id"]],
        2,
        True,
    )
    assert [v["id"] async for v in sdk.vouchers.list_all(page_size=1)] == [
        fixed["id"],
        created["id"],
    ]
    assert [v["id"] async for v in sdk.vouchers.list_all(type="fixed")] == [fixed["id"]]

    deleted = await sdk.vouchers.delete(created["id"])
    assert deleted["id"] == created["id"]
    assert deleted["deleted_at"].endswith("Z")


async def test_validate_apply_remove_rollback(sdk: AsyncVantio) -> None:
    voucher = await sdk.vouchers.create(
        code=code(), type="percentage", value=20, conditions={"max_uses": 2}
    )
    check = await sdk.vouchers.validate(code=voucher["code"], order=ORDER)
    assert (check["is_valid"], check["discount_amount"], check["final_amount"]) == (
        True,
        2000,
        8000,
    )

    applied = await sdk.vouchers.apply(code=voucher["code"], order_id="order_1", order=ORDER)
    assert (applied["discount_amount"], applied["final_amount"]) == (2000, 8000)
    again = await sdk.vouchers.apply(code=voucher["code"], order_id="order_1", order=ORDER)
    assert again["id"] == applied["id"]  # same code + order: the stored application
    assert (await sdk.vouchers.get(voucher["id"]))["usage_count"] == 1
    assert (await sdk.vouchers.get_application(applied["id"]))["order_id"] == "order_1"

    removed = await sdk.vouchers.remove(code=voucher["code"], order_id="order_1", reason="refund")
    assert removed["application_id"] == applied["id"]
    assert (await sdk.vouchers.get(voucher["id"]))["usage_count"] == 0
    with pytest.raises(ConflictError) as twice:
        await sdk.vouchers.rollback(applied["id"])
    assert twice.value.code == "ALREADY_ROLLED_BACK"

    second = await sdk.vouchers.apply(code=voucher["code"], order_id="order_2", order=ORDER)
    rolled = await sdk.vouchers.rollback(second["id"], reason="cancelled")
    assert (rolled["application_id"], rolled["reason"]) == (second["id"], "cancelled")


async def test_voucher_errors_are_typed(sdk: AsyncVantio, app: Any) -> None:
    with pytest.raises(NotFoundError) as missing:
        await sdk.vouchers.validate(code="NOSUCHCODE", order=ORDER)
    assert (missing.value.status, missing.value.code) == (404, "VOUCHER_NOT_FOUND")

    soft = await sdk.vouchers.validate(code="NOSUCHCODE", order=ORDER, soft=True)
    assert soft["is_valid"] is False
    assert soft["error"]["code"] == "VOUCHER_NOT_FOUND"

    limited = await sdk.vouchers.create(
        code=code(), type="fixed", value=100, conditions={"min_order_value": 50000}
    )
    with pytest.raises(BadRequestError) as below:
        await sdk.vouchers.validate(code=limited["code"], order=ORDER)
    assert below.value.code == "VOUCHER_INVALID"
    assert below.value.details["min_required"] == 50000

    with pytest.raises(BadRequestError) as invalid:
        await sdk.vouchers.create(code=code(), type="percentage", value=150)
    assert invalid.value.code == "INVALID_REQUEST"
    assert isinstance(invalid.value.details, list)

    with pytest.raises(NotFoundError):
        await sdk.vouchers.get("v_" + "0" * 16)

    transport = httpx.ASGITransport(app=app, client=("203.0.113.11", 5555))
    async with AsyncVantio(
        api_key="sk_test_wrong", base_url="http://testserver", transport=transport
    ) as stranger:
        with pytest.raises(AuthenticationError) as denied:
            await stranger.vouchers.list()
    assert (denied.value.status, denied.value.code) == (401, "INVALID_API_KEY")


async def test_stacked_codes(sdk: AsyncVantio) -> None:
    stackable = await sdk.vouchers.create(
        code=code("STACK"),
        type="stackable",
        config={"base_discount": 10, "stack_rules": {"stackable_with": ["fixed"]}},
    )
    fixed = await sdk.vouchers.create(code=code("FIX"), type="fixed", value=500)
    stack = await sdk.vouchers.validate(codes=[stackable["code"], fixed["code"]], order=ORDER)
    assert [v["voucher"]["code"] for v in stack["vouchers"]] == [stackable["code"], fixed["code"]]
    assert stack["discount_amount"] == 1500
    percentage = await sdk.vouchers.create(code=code("PCT"), type="percentage", value=5)
    with pytest.raises(ConflictError) as conflict:
        await sdk.vouchers.validate(codes=[stackable["code"], percentage["code"]], order=ORDER)
    assert conflict.value.code == "STACKING_CONFLICT"


async def test_batch_create_and_validate(sdk: AsyncVantio) -> None:
    good, other = code("B"), code("B")
    created = await sdk.vouchers.batch_create(
        [
            {"code": good, "type": "percentage", "value": 10},
            {"code": "x", "type": "percentage", "value": 500},
            {"code": other, "type": "fixed", "value": 300},
        ]
    )
    assert (created["total"], created["succeeded"], created["failed"]) == (3, 2, 1)
    assert [r["index"] for r in created["results"]] == [0, 1, 2]
    assert [r["success"] for r in created["results"]] == [True, False, True]
    assert created["results"][0]["voucher"]["code"] == good
    assert created["results"][1]["error"]["status"] == 400

    checked = await sdk.vouchers.batch_validate(
        [
            {"code": good, "order": ORDER},
            {"code": "NOSUCHCODE", "order": ORDER},
            {"code": other, "order": ORDER},
        ]
    )
    assert [v["is_valid"] for v in checked["validations"]] == [True, False, True]
    assert [v.get("discount_amount") for v in checked["validations"]] == [1000, None, 300]
    assert checked["validations"][1]["error"]["code"] == "VOUCHER_NOT_FOUND"
    assert (checked["valid"], checked["invalid"]) == (2, 1)


async def test_campaigns(sdk: AsyncVantio) -> None:
    prefix = code("C") + "-"
    campaign = await sdk.campaigns.create(
        name="Spring",
        type="percentage",
        value=15,
        code_pattern={"prefix": prefix, "length": 8, "count": 5},
    )
    assert campaign["id"].startswith("camp_")
    fetched = await sdk.campaigns.get(campaign["id"])
    assert (fetched["count"], fetched["status"]) == (5, "completed")
    assert campaign["id"] in [c["id"] for c in (await sdk.campaigns.list())["data"]]
    assert campaign["id"] in [c["id"] async for c in sdk.campaigns.list_all(status="completed")]
    page = await sdk.campaigns.codes(campaign["id"], limit=2)
    assert (len(page["data"]), page["total"], page["has_more"]) == (2, 5, True)
    codes = [v["code"] async for v in sdk.campaigns.codes_all(campaign["id"], page_size=2)]
    assert len(set(codes)) == 5
    assert all(c.startswith(prefix) for c in codes)
    assert len([v async for v in sdk.vouchers.list_all(campaign_id=campaign["id"])]) == 5
    check = await sdk.vouchers.validate(code=codes[0], order=ORDER)
    assert check["discount_amount"] == 1500


async def test_voucher_analytics_reports(sdk: AsyncVantio) -> None:
    voucher = await sdk.vouchers.create(code=code("A"), type="fixed", value=1000)
    await sdk.vouchers.validate(code=voucher["code"], order=ORDER)
    await sdk.vouchers.apply(
        code=voucher["code"], order_id="order_a1", order=ORDER, customer={"id": "cust_1"}
    )
    performance = await sdk.voucher_analytics.performance(voucher["id"], include_details=True)
    assert performance["voucher_id"] == voucher["id"]
    assert performance["performance"]["total_uses"] == 1
    assert performance["performance"]["total_discount"] == 1000
    trends = await sdk.voucher_analytics.trends(voucher["id"], interval="day", metrics=["uses"])
    assert sum(p["uses"] for p in trends["trends"]) == 1
    assert all(set(p) == {"date", "uses"} for p in trends["trends"])
    customers = await sdk.voucher_analytics.customers(voucher["id"])
    assert customers["customer_insights"]["total_customers"] == 1
    with pytest.raises(BadRequestError) as too_long:
        await sdk.voucher_analytics.performance(
            voucher["id"], start_date="2026-01-01", end_date="2026-12-31"
        )
    assert too_long.value.code == "INVALID_TIME_PERIOD"
