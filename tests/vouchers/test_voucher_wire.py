"""The voucher bodies keep their wire shape now that they are typed models: the same keys, in the
same order, optional keys left out rather than null (the answers clients and docs compare with)."""

import json
from typing import Any

from tests.helpers import Api
from tests.vouchers.test_vouchers import cart, make_voucher, new_code


def keys(raw: bytes) -> Any:
    """The body's structure: each object as its list of (key, structure) pairs, in wire order."""

    def walk(value: Any) -> Any:
        if isinstance(value, list):
            return [walk(v) for v in value[:1]]
        if isinstance(value, tuple):
            return value
        return "."

    def pairs(items: list[tuple[str, Any]]) -> tuple[Any, ...]:
        return tuple((k, walk(v)) for k, v in items)

    return json.loads(raw, object_pairs_hook=pairs)


VOUCHER = (
    "id", "code", "type", "value", "conditions", "currency", "metadata", "status", "usage_count",
    "campaign_id", "program_id", "created_at", "updated_at",
)  # fmt: skip
VALID = (
    "is_valid", "voucher", "discount_amount", "final_amount", "currency", "validation_details",
    "applied_to", "conditions_met",
)  # fmt: skip
APPLIED_ITEM = ("item_id", "original_price", "discount_amount", "final_price")


def names(structure: tuple[tuple[str, Any], ...]) -> tuple[str, ...]:
    return tuple(k for k, _ in structure)


def field(structure: tuple[tuple[str, Any], ...], name: str) -> Any:
    return dict(structure)[name]


async def test_voucher_object_leaves_unset_optional_keys_out(api: Api) -> None:
    created = await api.post("/v1/vouchers", {"code": new_code(), "type": "fixed", "value": 500})
    assert names(keys(created.content)) == VOUCHER
    voucher_id = created.json()["id"]
    fetched = keys((await api.get(f"/v1/vouchers/{voucher_id}")).content)
    assert names(fetched) == (*VOUCHER, "usage_history")
    updated = keys((await api.put(f"/v1/vouchers/{voucher_id}", {"value": 700})).content)
    assert names(updated) == VOUCHER
    bogo = await api.post(
        "/v1/vouchers", {"code": new_code(), "type": "bogo", "config": {"buy_quantity": 1}}
    )
    assert names(keys(bogo.content)) == (*VOUCHER[:5], "config", *VOUCHER[5:])
    listed = keys((await api.get("/v1/vouchers", limit=1)).content)
    assert names(listed) == ("data", "total", "limit", "offset", "has_more")
    assert names(field(listed, "data")[0]) in (VOUCHER, (*VOUCHER[:5], "config", *VOUCHER[5:]))


async def test_validate_answers_keep_their_shape(api: Api) -> None:
    one = await make_voucher(api)
    two = await make_voucher(api, type="stackable", value=None, config={"base_discount": 5})
    three = await make_voucher(api, type="stackable", value=None, config={"base_discount": 5})
    single = keys(
        (
            await api.post("/v1/vouchers/validate", {"code": one["code"], "order": cart(1000, 500)})
        ).content
    )
    assert names(single) == VALID
    assert names(field(single, "voucher")) == ("id", "code", "type", "value")
    assert names(field(single, "applied_to")[0]) == APPLIED_ITEM
    stack = keys(
        (
            await api.post(
                "/v1/vouchers/validate",
                {"codes": [two["code"], three["code"]], "order": cart(1000, 500)},
            )
        ).content
    )
    assert names(stack) == ("is_valid", "vouchers", *VALID[2:])
    assert names(field(stack, "vouchers")[0]) == (
        "voucher", "discount_amount", "validation_details", "applied_to", "conditions_met",
    )  # fmt: skip
    soft = keys(
        (
            await api.post(
                "/v1/vouchers/validate", {"code": "NO-SUCH-CODE", "order": cart(100), "soft": True}
            )
        ).content
    )
    assert names(soft) == ("is_valid", "error")
    assert names(field(soft, "error")) == ("code", "message", "details")


def ordered(raw: bytes) -> Any:
    """The body with each object as its list of (key, value) pairs, in wire order."""
    return json.loads(raw, object_pairs_hook=list)


def key_list(pairs: list[tuple[str, Any]]) -> list[str]:
    return [k for k, _ in pairs]


async def test_batch_answers_keep_their_shape(api: Api) -> None:
    created = ordered(
        (
            await api.post(
                "/v1/vouchers/batch",
                [{"code": new_code(), "type": "fixed", "value": 100}, {"code": "x"}],
            )
        ).content
    )
    assert key_list(created) == ["results", "total", "succeeded", "failed"]
    good, bad = dict(created)["results"]
    assert key_list(good) == ["index", "success", "voucher"]
    assert key_list(dict(good)["voucher"]) == list(VOUCHER)
    assert key_list(bad) == ["index", "success", "error"]
    assert key_list(dict(bad)["error"]) == ["status", "code", "message", "details"]
    one = await make_voucher(api)
    validated = ordered(
        (
            await api.post(
                "/v1/vouchers/validate/batch",
                [{"code": one["code"], "order": cart(1000)}, {"code": "NO-SUCH", "order": cart(1)}],
            )
        ).content
    )
    assert key_list(validated) == ["validations", "total", "valid", "invalid"]
    valid, invalid = dict(validated)["validations"]
    assert key_list(valid) == ["index", *VALID]
    assert key_list(invalid) == ["index", "is_valid", "error"]
    assert key_list(dict(invalid)["error"]) == ["status", "code", "message", "details"]
