"""Voucher CRUD: documented fields, filters, pagination, immutable fields, merged conditions,
soft delete, case-insensitive unique codes, usage history."""

from typing import Any

from tests.helpers import Api


async def make_voucher(api: Api, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"code": f"CODE{id(fields) % 10**8}", "type": "percentage", "value": 20}
    body.update(fields)
    return await api.ok("POST", "/v1/vouchers", body)


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
