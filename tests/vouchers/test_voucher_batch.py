"""POST /v1/vouchers/batch and /v1/vouchers/validate/batch: results in input order, each item in
its own savepoint (one failure never fails the rest), size limits, events for what was made."""

import secrets
from typing import Any

import pytest

from tests.helpers import Api
from tests.vouchers.test_vouchers import cart, make_voucher


def code() -> str:
    return f"B{secrets.token_hex(5).upper()}"


async def events(api: Api, type: str) -> list[dict[str, Any]]:
    body = await api.ok("GET", "/api/v1/events", type=type, limit="100")
    found: list[dict[str, Any]] = body["events"]
    return found


async def test_batch_create_keeps_order_and_isolates_failures(api: Api) -> None:
    taken = await make_voucher(api)
    dup = code()
    items = [
        {"code": code(), "type": "percentage", "value": 10},
        {"code": taken["code"].lower(), "type": "fixed", "value": 500},  # existing code: 409
        {"code": code(), "type": "percentage", "value": 150},  # invalid value
        {"code": dup, "type": "fixed", "value": 500},
        {"code": dup, "type": "fixed", "value": 700},  # duplicate within the batch
        {"code": code(), "type": "fixed", "valeu": 1},  # unknown field
        "not an object",
        {"code": code(), "type": "free_shipping"},
    ]
    response = await api.post("/v1/vouchers/batch", {"vouchers": items})
    assert response.status_code == 200, response.text
    body = response.json()
    assert [r["index"] for r in body["results"]] == list(range(len(items)))
    assert [r["success"] for r in body["results"]] == [
        True, False, False, True, False, False, False, True
    ]  # fmt: skip
    assert (body["total"], body["succeeded"], body["failed"]) == (8, 3, 5)
    results = body["results"]
    assert results[0]["voucher"]["code"] == items[0]["code"]
    assert results[1]["error"]["code"] == "DUPLICATE_VOUCHER_CODE"
    assert results[1]["error"]["status"] == 409
    assert results[2]["error"]["status"] == 400
    assert results[4]["error"]["code"] == "DUPLICATE_VOUCHER_CODE"
    assert results[5]["error"]["details"][0]["field"] == "valeu"
    assert results[6]["error"]["status"] == 400
    made = {r["voucher"]["id"] for r in results if r["success"]}
    for voucher_id in made:
        assert (await api.ok("GET", f"/v1/vouchers/{voucher_id}"))["status"] == "active"
    created = {e["data"]["id"] for e in await events(api, "voucher.created")}
    assert made <= created
    assert len(created) == 4  # the 3 of the batch and `taken`; nothing for the failed items


async def test_batch_create_takes_a_bare_array(api: Api) -> None:
    items = [{"code": code(), "type": "percentage", "value": 5} for _ in range(3)]
    body = await api.ok("POST", "/v1/vouchers/batch", items)
    assert [r["voucher"]["code"] for r in body["results"]] == [i["code"] for i in items]


@pytest.mark.slow
async def test_batch_create_of_1000(api: Api) -> None:
    items = [{"code": code(), "type": "fixed", "value": 100} for _ in range(1000)]
    body = await api.ok("POST", "/v1/vouchers/batch", {"vouchers": items})
    assert body["succeeded"] == 1000
    listed = await api.ok("GET", "/v1/vouchers", limit="1")
    assert listed["total"] == 1000


async def test_batch_sizes_are_limited(api: Api) -> None:
    items = [{"code": code(), "type": "fixed", "value": 100} for _ in range(1001)]
    response = await api.post("/v1/vouchers/batch", {"vouchers": items})
    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == "vouchers"
    assert (await api.ok("GET", "/v1/vouchers"))["total"] == 0
    for bad, field in (
        ([], "vouchers"),
        ({"voucher": []}, "voucher"),
        ({"vouchers": 3}, "vouchers"),
    ):
        response = await api.post("/v1/vouchers/batch", bad)
        assert response.status_code == 400, response.text
        assert response.json()["error"]["details"][0]["field"] == field
    checks = [{"code": "X", "order": cart(100)}] * 101
    response = await api.post("/v1/vouchers/validate/batch", {"validations": checks})
    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == "validations"


async def test_batch_validate_answers_each_item_in_order(api: Api) -> None:
    ten = await make_voucher(api, value=10)
    floor = await make_voucher(api, type="fixed", value=1000, conditions={"min_order_value": 5000})
    items = [
        {"code": ten["code"], "order": cart(10000)},
        {"code": "NOSUCHCODE", "order": cart(10000)},
        {"code": floor["code"], "order": cart(2000)},  # below min_order_value
        {"code": floor["code"], "order": cart(6000), "customer": {"id": "cust_1"}},
        {"code": ten["code"]},  # no order
        {"code": ten["code"], "order": cart(3000), "preview": True},
    ]
    response = await api.post("/v1/vouchers/validate/batch", items)
    assert response.status_code == 200, response.text
    body = response.json()
    results = body["validations"]
    assert [r["index"] for r in results] == list(range(6))
    assert [r["is_valid"] for r in results] == [True, False, False, True, False, True]
    assert (results[0]["discount_amount"], results[0]["final_amount"]) == (1000, 9000)
    assert results[1]["error"]["code"] == "VOUCHER_NOT_FOUND"
    assert results[2]["error"]["code"] == "VOUCHER_INVALID"
    assert results[3]["discount_amount"] == 1000
    assert results[4]["error"]["details"][0]["field"] == "order"
    assert results[5]["discount_amount"] == 300
    assert (body["total"], body["valid"], body["invalid"]) == (6, 3, 3)
    # Events like single validates: not for the preview, the unparsable item or the unknown code.
    validated = await events(api, "voucher.validated")
    assert sorted(e["data"]["voucher_id"] for e in validated) == sorted(
        [ten["id"], floor["id"], floor["id"]]
    )
    # Validate never consumes usage.
    assert (await api.ok("GET", f"/v1/vouchers/{ten['id']}"))["usage_count"] == 0


async def test_batch_validate_takes_the_object_form(api: Api) -> None:
    v = await make_voucher(api)
    body = await api.ok(
        "POST",
        "/v1/vouchers/validate/batch",
        {"validations": [{"code": v["code"], "order": cart(500)}]},
    )
    assert body["validations"][0]["discount_amount"] == 100


async def test_a_database_error_rolls_back_only_its_item(api: Api, monkeypatch: Any) -> None:
    """An item whose statement fails after it wrote (here: its voucher row and its event, then a
    refused statement) leaves nothing behind, and the items around it commit."""
    from sqlalchemy import text

    from vantio.vouchers import service as voucher_service

    real = voucher_service.create_voucher
    poisoned = code()

    async def create_then_fail(session: Any, auth: Any, *, data: Any) -> Any:
        voucher = await real(session, auth, data=data)
        if data.code == poisoned:
            await session.execute(text("SELECT * FROM no_such_table"))
        return voucher

    monkeypatch.setattr(voucher_service, "create_voucher", create_then_fail)
    items = [{"code": c, "type": "percentage", "value": 10} for c in (code(), poisoned, code())]
    body = await api.ok("POST", "/v1/vouchers/batch", items)
    assert [r["success"] for r in body["results"]] == [True, False, True]
    assert body["results"][1]["error"]["status"] == 409
    listed = await api.ok("GET", "/v1/vouchers")
    assert sorted(v["code"] for v in listed["data"]) == sorted([items[0]["code"], items[2]["code"]])
    created = [e["data"]["code"] for e in await events(api, "voucher.created")]
    assert poisoned not in created
    assert len(created) == 2
