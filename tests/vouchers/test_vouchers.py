"""Voucher CRUD: documented fields, filters, pagination, immutable fields, merged conditions,
soft delete, case-insensitive unique codes, usage history."""

import secrets
from typing import Any

from tests.helpers import Api


def new_code(prefix: str = "CODE") -> str:
    return f"{prefix}{secrets.token_hex(4).upper()}"


async def make_voucher(api: Api, **fields: Any) -> dict[str, Any]:
    """A voucher (20% off unless told otherwise) with a fresh code."""
    body: dict[str, Any] = {"code": new_code(), "type": "percentage", "value": 20}
    body.update(fields)
    return await api.ok("POST", "/v1/vouchers", body)


def cart(*prices: int, **order: Any) -> dict[str, Any]:
    """An order of one unit per price, items item_1, item_2, ..."""
    items = [{"id": f"item_{i + 1}", "price": p, "quantity": 1} for i, p in enumerate(prices)]
    return {"value": sum(prices), "currency": "USD", "items": items, **order}


async def test_create_returns_documented_object(api: Api) -> None:
    response = await api.post(
        "/v1/vouchers",
        {
            "code": "SUMMER2024",
            "type": "percentage",
            "value": 20,
            "conditions": {
                "min_order_value": 5000,
                "max_uses": 1000,
                "valid_from": "2024-06-01T00:00:00Z",
                "valid_until": "2099-08-31T23:59:59Z",
            },
        },
    )
    assert response.status_code == 200, response.text
    voucher = response.json()
    assert voucher["id"].startswith("v_")
    assert voucher["code"] == "SUMMER2024"
    assert voucher["type"] == "percentage"
    assert voucher["value"] == 20
    assert voucher["conditions"] == {
        "min_order_value": 5000,
        "max_uses": 1000,
        "valid_from": "2024-06-01T00:00:00Z",
        "valid_until": "2099-08-31T23:59:59Z",
    }
    assert voucher["status"] == "active"
    assert voucher["usage_count"] == 0
    assert voucher["created_at"].endswith("Z")
    assert voucher["updated_at"].endswith("Z")
    assert "X-RateLimit-Limit" in response.headers


async def test_codes_are_case_insensitive_and_unique_per_account_and_mode(tenant: Any) -> None:
    api: Api = tenant.test
    await make_voucher(api, code="Welcome10")
    response = await api.post("/v1/vouchers", {"code": "WELCOME10", "type": "fixed", "value": 1000})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "DUPLICATE_VOUCHER_CODE"
    # the other mode is another world
    await make_voucher(tenant.live, code="welcome10")


async def test_list_envelope_filters_and_pagination(api: Api) -> None:
    made = [await make_voucher(api, type="fixed", value=100 + i) for i in range(3)]
    made.append(await make_voucher(api))
    await api.ok("PUT", f"/v1/vouchers/{made[0]['id']}", {"status": "inactive"})
    page = await api.ok("GET", "/v1/vouchers", limit="2")
    assert set(page) == {"data", "total", "limit", "offset", "has_more"}
    assert (page["total"], page["limit"], page["offset"], page["has_more"]) == (4, 2, 0, True)
    assert [v["id"] for v in page["data"]] == [made[3]["id"], made[2]["id"]]
    rest = await api.ok("GET", "/v1/vouchers", limit="2", offset="2")
    assert [v["id"] for v in rest["data"]] == [made[1]["id"], made[0]["id"]]
    assert rest["has_more"] is False
    fixed = await api.ok("GET", "/v1/vouchers", type="fixed")
    assert fixed["total"] == 3
    active_fixed = await api.ok("GET", "/v1/vouchers", type="fixed", status="active")
    assert active_fixed["total"] == 2
    row = fixed["data"][0]
    for key in ("id", "code", "type", "value", "status", "usage_count", "created_at"):
        assert key in row
    default = await api.ok("GET", "/v1/vouchers")
    assert default["limit"] == 10
    assert (await api.ok("GET", "/v1/vouchers", limit="500"))["limit"] == 100
    later = await api.ok("GET", "/v1/vouchers", created_after="2999-01-01T00:00:00Z")
    assert later["total"] == 0
    earlier = await api.ok("GET", "/v1/vouchers", created_before="2999-01-01T00:00:00Z")
    assert earlier["total"] == 4
    bad = await api.get("/v1/vouchers", status="gone")
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "INVALID_REQUEST"


async def test_update_merges_conditions_and_keeps_code_and_type(api: Api) -> None:
    v = await make_voucher(
        api,
        conditions={
            "min_order_value": 5000,
            "max_uses": 1000,
            "valid_until": "2999-08-31T23:59:59Z",
        },
    )
    updated = await api.ok(
        "PUT", f"/v1/vouchers/{v['id']}", {"value": 25, "conditions": {"min_order_value": 7500}}
    )
    assert updated["value"] == 25
    assert updated["conditions"] == {
        "min_order_value": 7500,
        "max_uses": 1000,
        "valid_until": "2999-08-31T23:59:59Z",
    }
    assert updated["code"] == v["code"]
    removed = await api.ok("PUT", f"/v1/vouchers/{v['id']}", {"conditions": {"max_uses": None}})
    assert "max_uses" not in removed["conditions"]
    for field, value in (("code", "OTHER"), ("type", "fixed")):
        response = await api.put(f"/v1/vouchers/{v['id']}", {field: value})
        assert response.status_code == 400
        assert response.json()["error"]["details"][0]["field"] == field
    bad = await api.put(f"/v1/vouchers/{v['id']}", {"value": 150})
    assert bad.status_code == 400
    assert (await api.ok("GET", f"/v1/vouchers/{v['id']}"))["value"] == 25


async def test_soft_delete(api: Api) -> None:
    v = await make_voucher(api)
    response = await api.delete(f"/v1/vouchers/{v['id']}")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"id", "deleted_at"}
    assert body["id"] == v["id"]
    kept = await api.ok("GET", f"/v1/vouchers/{v['id']}")
    assert kept["status"] == "inactive"
    assert kept["deleted_at"] == body["deleted_at"]
    assert (await api.ok("GET", "/v1/vouchers"))["total"] == 0
    order = cart(1000)
    response = await api.post("/v1/vouchers/validate", {"code": v["code"], "order": order})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VOUCHER_INVALID"
    again = await api.delete(f"/v1/vouchers/{v['id']}")
    assert again.status_code == 404
    assert again.json()["error"]["code"] == "VOUCHER_NOT_FOUND"
    # the code stays taken: its history belongs to it
    response = await api.post("/v1/vouchers", {"code": v["code"], "type": "fixed", "value": 1})
    assert response.status_code == 409


async def test_retrieve_has_usage_history(api: Api) -> None:
    v = await make_voucher(api)
    for order_id in ("order_1", "order_2"):
        await api.ok(
            "POST",
            "/v1/vouchers/apply",
            {"code": v["code"], "order_id": order_id, "order": cart(10000)},
        )
    got = await api.ok("GET", f"/v1/vouchers/{v['id']}")
    assert got["usage_count"] == 2
    assert [(h["order_id"], h["discount_amount"]) for h in got["usage_history"]] == [
        ("order_2", 2000),
        ("order_1", 2000),
    ]
    assert got["usage_history"][0]["applied_at"].endswith("Z")


async def test_not_found_and_malformed_ids(tenant: Any) -> None:
    v = await make_voucher(tenant.test)
    other_mode = await tenant.live.get(f"/v1/vouchers/{v['id']}")
    assert other_mode.status_code == 404
    error = other_mode.json()["error"]
    assert error == {
        "code": "VOUCHER_NOT_FOUND",
        "message": "Voucher not found",
        "details": {"voucher_id": v["id"]},
    }
    malformed = await tenant.test.get("/v1/vouchers/123")
    assert malformed.status_code == 400


async def test_events_for_create_update_delete(api: Api) -> None:
    v = await make_voucher(api)
    await api.ok("PUT", f"/v1/vouchers/{v['id']}", {"value": 30})
    await api.ok("DELETE", f"/v1/vouchers/{v['id']}")
    events = (await api.ok("GET", "/api/v1/events"))["events"]
    by_type = {e["type"]: e["data"] for e in events}
    assert by_type["voucher.created"]["id"] == v["id"]
    assert by_type["voucher.updated"]["value"] == 30
    assert by_type["voucher.deleted"]["voucher_id"] == v["id"]


async def test_gen1_spellings(api: Api) -> None:
    v = await api.ok(
        "POST",
        "/v1/vouchers",
        {
            "code": "GEN1CODE",
            "type": "percentage",
            "discount_config": {"percentage": 10.0, "max_discount_amount": 500},
            "conditions": {"max_uses_per_customer": 2},
        },
    )
    assert v["value"] == 10
    assert v["conditions"] == {"customer_limit": 2, "max_discount_amount": 500}
