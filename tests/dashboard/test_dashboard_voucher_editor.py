"""Vouchers without JSON: each type from its own fields (money typed in major units, converted
exactly), the definition in words and money, every part editable through forms, the JSON kept
as the advanced view."""

import re
from html import unescape
from typing import Any

import pytest

from tests.dashboard.test_dashboard_money import VOUCHER_FORM, new_code
from tests.dashboard_helpers import Browser, error_of
from tests.helpers import Api


async def create(browser: Browser, **fields: str) -> str:
    response = await browser.post(
        "/dashboard/vouchers/new", {**VOUCHER_FORM, "code": new_code(), **fields}
    )
    assert response.status_code == 303, re.findall(r'class="error"[^>]*>([^<]*)<', response.text)
    return str(response.headers["location"].rsplit("/", 1)[1])


def words(html: str) -> str:
    found = re.search(r'id="voucher-words">([^<]*)<', html)
    assert found, html[:500]
    return unescape(found.group(1))


@pytest.mark.parametrize(
    ("fields", "config", "said"),
    [
        ({"type": "bogo", "value": "", "buy_quantity": "2", "get_quantity": "1",
          "get_discount": "100"},
         {"buy_quantity": 2, "get_quantity": 1, "get_discount": 100.0}, "Buy 2, get 1 free"),
        ({"type": "tiered", "value": "", "currency": "USD", "tier0_from": "50",
          "tier0_to": "99.99", "tier0_discount": "10", "tier1_from": "100",
          "tier1_discount": "20"},
         {"tiers": [{"min_value": 5000, "max_value": 9999, "discount": 10.0},
                    {"min_value": 10000, "discount": 20.0}]},
         "Tiered: 10% off on orders from $50.00 to $99.99; 20% off on orders from $100.00"),
        ({"type": "conditional", "value": "", "currency": "EUR", "rule_min_order": "50",
          "discount": "15"},
         {"conditions": [{"type": "order_value", "operator": "gte", "value": 5000}],
          "discount": 15.0},
         "15% off when the order value is at least €50.00"),
        ({"type": "stackable", "value": "", "base_discount": "5"}, {"base_discount": 5.0},
         "5% off, combinable with other vouchers"),
    ],
)  # fmt: skip
async def test_each_advanced_type_from_its_fields(
    signed_in: Browser, api: Api, fields: dict[str, str], config: dict[str, Any], said: str
) -> None:
    voucher_id = await create(signed_in, **fields)
    voucher = await api.ok("GET", f"/v1/vouchers/{voucher_id}")
    for key, value in config.items():
        got = voucher["config"][key]
        if key == "tiers":
            got = [
                {k: t[k] for k in ("min_value", "max_value", "discount") if t.get(k) is not None}
                for t in got
            ]
            value = [
                {k: t[k] for k in ("min_value", "max_value", "discount") if k in t} for t in value
            ]
        elif key == "conditions":
            got = [{k: r[k] for k in ("type", "operator", "value")} for r in got]
        assert got == value, key
    page = await signed_in.get(f"/dashboard/vouchers/{voucher_id}")
    assert words(page.text).startswith(said)
    assert 'id="voucher-json"' in page.text  # the JSON stays, folded


async def test_the_definition_in_words_and_money(signed_in: Browser) -> None:
    voucher_id = await create(
        signed_in, type="percentage", value="20", currency="USD", max_discount_amount="15",
        min_order_value="50", max_uses="100", valid_until="2030-12-31",
    )  # fmt: skip
    page = await signed_in.get(f"/dashboard/vouchers/{voucher_id}")
    assert words(page.text) == (
        "20% off, up to $15.00, orders over $50.00, 0 of 100 uses, valid until 2030-12-31"
    )
    fixed = await create(signed_in, type="fixed", value="5", currency="USD")
    page = await signed_in.get(f"/dashboard/vouchers/{fixed}")
    assert words(page.text) == "$5.00 off, 0 uses, no limit"
    assert 'name="value" type="text" value="5.00"' in page.text  # not 500.0


async def test_edit_value_conditions_limits_validity_and_status(
    signed_in: Browser, api: Api
) -> None:
    voucher_id = await create(
        signed_in, type="fixed", value="10", currency="USD", min_order_value="40",
        max_uses="10",
    )  # fmt: skip
    form = {
        "value": "12.35", "min_order_value": "", "max_discount_amount": "",
        "max_uses": "250", "customer_limit": "2", "valid_from": "2026-01-01",
        "valid_until": "2031-06-30", "status": "inactive",
    }  # fmt: skip
    saved = await signed_in.post(f"/dashboard/vouchers/{voucher_id}/edit", form)
    assert saved.status_code == 303
    voucher = await api.ok("GET", f"/v1/vouchers/{voucher_id}")
    assert voucher["value"] == 1235  # 12.35 converted exactly, not 1234.9999
    assert "min_order_value" not in (voucher["conditions"] or {})  # emptied: removed
    assert voucher["conditions"]["max_uses"] == 250
    assert voucher["conditions"]["customer_limit"] == 2
    assert voucher["conditions"]["valid_until"].startswith("2031-06-30T23:59:59")
    assert voucher["status"] == "inactive"
    page = await signed_in.get(saved.headers["location"])
    assert "Voucher saved." in page.text
    assert words(page.text) == (
        "$12.35 off, 0 of 250 uses, 2 uses per customer, valid from 2026-01-01 until 2031-06-30"
    )
    bad = await signed_in.post(
        f"/dashboard/vouchers/{voucher_id}/edit", {**form, "value": "12.345"}
    )
    assert bad.status_code == 400
    assert error_of(bad.text, "value") == "Use at most 2 decimals for USD."


async def test_edit_a_tiered_voucher_through_its_rows(signed_in: Browser, api: Api) -> None:
    voucher_id = await create(
        signed_in, type="tiered", value="", currency="USD", tier0_from="20", tier0_discount="5"
    )
    page = await signed_in.get(f"/dashboard/vouchers/{voucher_id}")
    assert 'name="tier0_from" aria-label="Tier 1: orders from" value="20.00"' in page.text
    form = {"tier0_from": "20", "tier0_to": "49.99", "tier0_discount": "5",
            "tier1_from": "50", "tier1_discount": "12.5", "status": "active"}  # fmt: skip
    saved = await signed_in.post(f"/dashboard/vouchers/{voucher_id}/edit", form)
    assert saved.status_code == 303
    tiers = (await api.ok("GET", f"/v1/vouchers/{voucher_id}"))["config"]["tiers"]
    assert [(t["min_value"], t.get("max_value"), t["discount"]) for t in tiers] == [
        (2000, 4999, 5.0),
        (5000, None, 12.5),
    ]
