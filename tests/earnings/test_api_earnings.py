"""Earnings: from `amount` or from `sale_amount` with the program's commission, the payment
workflow, and what an earning does to its referral."""

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.helpers import Api, make_funnel, make_impression, make_referral
from vantio.kit.time import freeze

STATUSES = ("pending", "processing", "paid", "failed")
ALLOWED = {
    ("pending", "processing"),
    ("pending", "failed"),
    ("processing", "paid"),
    ("processing", "failed"),
    ("failed", "pending"),
    ("failed", "processing"),
}
PATH = {
    "pending": [],
    "processing": ["processing"],
    "paid": ["processing", "paid"],
    "failed": ["failed"],
}
FIELDS = {
    "id",
    "referral_id",
    "amount",
    "currency",
    "type",
    "description",
    "status",
    "reference_id",
    "external_id",
    "payable_at",
    "original_amount",
    "reverses",
    "reversed_at",
    "reversal_reason",
    "created_at",
    "paid_at",
    "updated_at",
    "metadata",
}


async def new_referral(api: Api, **program_fields: Any) -> dict[str, Any]:
    funnel = await make_funnel(api, **program_fields)
    return await make_referral(api, funnel.impression["id"])


async def earn(api: Api, referral_id: str, **fields: Any) -> dict[str, Any]:
    return await api.ok("POST", "/api/v1/earnings", {"referral_id": referral_id, **fields})


async def earning_in(api: Api, status: str) -> dict[str, Any]:
    earning = await earn(api, (await new_referral(api))["id"], amount=1000)
    for step in PATH[status]:
        earning = await api.ok("PUT", f"/api/v1/earnings/{earning['id']}", {"status": step})
    assert earning["status"] == status
    return earning


async def events(api: Api, type: str, object_id: str) -> list[dict[str, Any]]:
    listed = await api.ok("GET", "/api/v1/events", type=type, limit="100")
    return [e["data"] for e in listed["events"] if e["data"]["id"] == object_id]


async def test_create_from_amount_with_documented_fields(api: Api) -> None:
    referral = await new_referral(api)
    earning = await earn(
        api,
        referral["id"],
        amount=1000,
        currency="USD",
        type="purchase",
        description="Commission from customer purchase - Order #12345",
        metadata={"order_id": "order_12345", "commission_rate": "10%"},
        idempotency_key="earn_order12345_20240115",
    )
    assert set(earning) == FIELDS
    assert earning["id"].startswith("earn_")
    assert earning["referral_id"] == referral["id"]
    assert earning["amount"] == 1000
    assert earning["currency"] == "USD"
    assert earning["type"] == "purchase"
    assert earning["status"] == "pending"
    assert earning["reference_id"] is None
    assert earning["paid_at"] is None
    assert earning["metadata"] == {"order_id": "order_12345", "commission_rate": "10%"}
    assert await api.ok("GET", f"/api/v1/earnings/{earning['id']}") == earning
    assert await events(api, "earning.created", earning["id"]) == [earning]


async def test_currency_defaults_to_the_programs(api: Api) -> None:
    referral = await new_referral(api, currency="EUR")
    assert (await earn(api, referral["id"], amount=500))["currency"] == "EUR"
    other = await new_referral(api)
    assert (await earn(api, other["id"], amount=500, currency="GBP"))["currency"] == "GBP"


@pytest.mark.parametrize(
    ("commission", "sale", "amount", "rate"),
    [
        ({"type": "percentage", "rate": 10}, 12345, 1235, "10%"),  # 1234.5 -> half up
        ({"type": "percentage", "rate": 2.5}, 100, 3, "2.5%"),  # 2.5 -> 3, not banker's 2
        ({"type": "percentage", "rate": 12.5}, 1001, 125, "12.5%"),  # 125.125 -> 125
        ({"type": "percentage", "rate": 33.3}, 999, 333, "33.3%"),  # 332.667 -> 333
        ({"type": "flat", "amount": 500}, 99999, 500, "flat"),
    ],
)
async def test_commission_from_sale_amount(
    api: Api, commission: dict[str, Any], sale: int, amount: int, rate: str
) -> None:
    referral = await new_referral(api, commission=commission)
    earning = await earn(api, referral["id"], sale_amount=sale, metadata={"order_id": "o1"})
    assert earning["amount"] == amount
    assert earning["metadata"] == {"order_id": "o1", "commission_rate": rate, "sale_amount": sale}


async def test_tiered_commission_follows_the_ambassadors_conversions(api: Api) -> None:
    tiers = [{"min_referrals": 0, "rate": 10}, {"min_referrals": 2, "rate": 20}]
    funnel = await make_funnel(api, commission={"type": "tiered", "tiers": tiers})
    amounts = []
    for _ in range(3):
        impression = await make_impression(api, funnel.poster["id"])
        referral = await make_referral(api, impression["id"])
        earning = await earn(api, referral["id"], sale_amount=1000)
        amounts.append((earning["amount"], earning["metadata"]["commission_rate"]))
    # The 1st conversion is in tier 0; the 2nd reaches min_referrals 2.
    assert amounts == [(100, "10%"), (200, "20%"), (200, "20%")]
    # A second sale on an already converted referral does not count it twice.
    again = await earn(api, referral["id"], sale_amount=1000)
    assert again["metadata"]["commission_rate"] == "20%"


async def test_commission_rounding_to_zero_is_refused(api: Api) -> None:
    referral = await new_referral(api, commission={"type": "percentage", "rate": 1})
    response = await api.post(
        "/api/v1/earnings", {"referral_id": referral["id"], "sale_amount": 10}
    )
    assert response.status_code == 400
    assert response.json()["message"].startswith("sale_amount")
    unchanged = await api.ok("GET", f"/api/v1/referrals/{referral['id']}")
    assert unchanged["status"] == "pending"


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({}, "body"),
        ({"amount": 100, "sale_amount": 1000}, "body"),
        ({"amount": 0}, "amount"),
        ({"amount": -5}, "amount"),
        ({"amount": 10.5}, "amount"),
        ({"amount": "1000"}, "amount"),
        ({"amount": True}, "amount"),
        ({"sale_amount": -1}, "sale_amount"),
        ({"amount": 100, "currency": "ABC"}, "currency"),
        ({"amount": 100, "status": "paid"}, "status"),
        ({"amount": 100, "type": ""}, "type"),
    ],
)
async def test_create_validation(api: Api, fields: dict[str, Any], named: str) -> None:
    referral = await new_referral(api)
    response = await api.post("/api/v1/earnings", {"referral_id": referral["id"], **fields})
    assert response.status_code == 400, response.text
    assert response.json()["message"].startswith(named), response.text


async def test_earning_on_a_pending_referral_converts_it(api: Api) -> None:
    referral = await new_referral(api)
    await earn(api, referral["id"], amount=1000)
    converted = await api.ok("GET", f"/api/v1/referrals/{referral['id']}")
    assert converted["status"] == "converted"
    changes = await events(api, "referral.status_changed", referral["id"])
    assert len(changes) == 1
    assert changes[0]["previous_status"] == "pending"
    assert changes[0]["status"] == "converted"
    # Later earnings leave it as it is.
    await earn(api, referral["id"], amount=500)
    assert len(await events(api, "referral.status_changed", referral["id"])) == 1


async def test_earning_on_a_verified_referral_keeps_it_verified(api: Api) -> None:
    referral = await new_referral(api)
    url = f"/api/v1/referrals/{referral['id']}"
    await api.ok("PUT", url, {"status": "converted"})
    await api.ok("PUT", url, {"status": "verified"})
    await earn(api, referral["id"], amount=1000)
    assert (await api.ok("GET", url))["status"] == "verified"


async def test_earning_on_a_rejected_referral_is_400(api: Api) -> None:
    referral = await new_referral(api)
    await api.ok("PUT", f"/api/v1/referrals/{referral['id']}", {"status": "rejected"})
    response = await api.post("/api/v1/earnings", {"referral_id": referral["id"], "amount": 1000})
    assert response.status_code == 400
    assert response.json()["code"] == "referral_rejected"
    assert response.json()["message"].startswith("referral_id")
    listed = await api.ok("GET", "/api/v1/earnings", referral_id=referral["id"])
    assert listed["earnings"] == []


async def test_unknown_referral_is_400_naming_the_field(api: Api) -> None:
    """Issue 12: was 404 while an unknown impression_id on referrals was 400; an id in a body
    is now always 400 `<thing>_not_found` (docs/API.md, i12-newcomer)."""
    response = await api.post(
        "/api/v1/earnings", {"referral_id": "ref_0000000000doesnotexist00", "amount": 1000}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "referral_not_found"
    assert response.json()["details"][0]["field"] == "referral_id"
    assert response.json()["message"] == (
        "referral_id: no referral with id ref_0000000000doesnotexist00"
    )


@pytest.mark.parametrize(("current", "target"), sorted(ALLOWED))
async def test_allowed_transitions(api: Api, current: str, target: str) -> None:
    earning = await earning_in(api, current)
    moved = await api.ok("PUT", f"/api/v1/earnings/{earning['id']}", {"status": target})
    assert moved["status"] == target
    change = (await events(api, "earning.status_changed", earning["id"]))[0]
    assert change["previous_status"] == current
    assert change["status"] == target


@pytest.mark.parametrize(
    ("current", "target"),
    sorted((a, b) for a in STATUSES for b in STATUSES if a != b and (a, b) not in ALLOWED),
)
async def test_refused_transitions(api: Api, current: str, target: str) -> None:
    earning = await earning_in(api, current)
    response = await api.put(
        f"/api/v1/earnings/{earning['id']}", {"status": target, "description": "changed"}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_status_transition"
    assert response.json()["message"] == (
        f"status: an earning cannot go from '{current}' to '{target}'"
    )
    assert response.json()["details"]["allowed"] == sorted(b for a, b in ALLOWED if a == current)
    unchanged = await api.ok("GET", f"/api/v1/earnings/{earning['id']}")
    assert unchanged["status"] == current
    assert unchanged["description"] is None


@pytest.mark.parametrize("status", STATUSES)
async def test_same_status_is_a_no_op(api: Api, status: str) -> None:
    earning = await earning_in(api, status)
    before = await events(api, "earning.status_changed", earning["id"])
    again = await api.ok("PUT", f"/api/v1/earnings/{earning['id']}", {"status": status})
    assert again["status"] == status
    assert again["paid_at"] == earning["paid_at"]
    assert await events(api, "earning.status_changed", earning["id"]) == before


async def test_paid_at_is_set_by_the_server(api: Api) -> None:
    earning = await earning_in(api, "processing")
    with freeze(datetime(2031, 1, 20, 14, 20, tzinfo=UTC)):
        paid = await api.ok(
            "PUT",
            f"/api/v1/earnings/{earning['id']}",
            {
                "status": "paid",
                "reference_id": "payout_456def",
                "metadata": {"payout_id": "payout_456def"},
            },
        )
    assert paid["paid_at"] == "2031-01-20T14:20:00Z"
    assert paid["updated_at"] == "2031-01-20T14:20:00Z"
    assert paid["reference_id"] == "payout_456def"
    assert paid["metadata"] == {"payout_id": "payout_456def"}
    refused = await api.put(
        f"/api/v1/earnings/{earning['id']}", {"paid_at": "2024-01-01T00:00:00Z"}
    )
    assert refused.status_code == 400
    assert refused.json()["message"] == "paid_at: unknown field"


async def test_amount_is_locked_once_in_a_payout(api: Api) -> None:
    earning = await earning_in(api, "pending")
    url = f"/api/v1/earnings/{earning['id']}"
    assert (await api.ok("PUT", url, {"amount": 1200, "currency": "EUR"}))["amount"] == 1200
    await api.ok("PUT", url, {"status": "processing"})
    locked = await api.put(url, {"amount": 1500})
    assert locked.status_code == 400
    assert locked.json()["code"] == "earning_locked"
    assert (await api.put(url, {"currency": "USD"})).json()["code"] == "earning_locked"
    # Sending the unchanged amount is fine, and so are the other fields.
    same = await api.ok("PUT", url, {"amount": 1200, "description": "Order #1"})
    assert same["description"] == "Order #1"
    await api.ok("PUT", url, {"status": "failed"})
    assert (await api.ok("PUT", url, {"amount": 900}))["amount"] == 900


async def test_list_filters_in_both_casings_and_status(api: Api) -> None:
    funnel = await make_funnel(api)
    first = await make_referral(api, funnel.impression["id"])
    second = await make_referral(api, (await make_impression(api, funnel.poster["id"]))["id"])
    a = await earn(api, first["id"], amount=100)
    b = await earn(api, first["id"], amount=200)
    c = await earn(api, second["id"], amount=300)
    await api.ok("PUT", f"/api/v1/earnings/{c['id']}", {"status": "processing"})
    elsewhere = await earn(api, (await new_referral(api))["id"], amount=400)

    async def ids(**params: str) -> list[str]:
        return [e["id"] for e in (await api.ok("GET", "/api/v1/earnings", **params))["earnings"]]

    for key in ("referral_id", "referralId"):
        assert await ids(**{key: first["id"]}) == [b["id"], a["id"]]
    for key in ("program_id", "programId"):
        assert await ids(**{key: funnel.program["id"]}) == [c["id"], b["id"], a["id"]]
    assert await ids(program_id=funnel.program["id"], status="processing") == [c["id"]]
    assert await ids() == [elsewhere["id"], c["id"], b["id"], a["id"]]
    assert (await api.get("/api/v1/earnings", status="refunded")).status_code == 400


async def test_parallel_earnings_convert_the_referral_once(api: Api) -> None:
    referral = await new_referral(api)
    answers = await asyncio.gather(
        *(
            api.post("/api/v1/earnings", {"referral_id": referral["id"], "sale_amount": 1000})
            for _ in range(10)
        )
    )
    assert {a.status_code for a in answers} == {200}, [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 10
    changes = await events(api, "referral.status_changed", referral["id"])
    assert len(changes) == 1
    assert (await api.ok("GET", f"/api/v1/referrals/{referral['id']}"))["status"] == "converted"
