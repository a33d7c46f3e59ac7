"""Money rules on earnings (issue 15): hold periods, reversal and clawback, conversions
deduplicated on `external_id` (also under concurrent requests), recurring windows, caps and
monthly tiers."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.helpers import Api, make_funnel, make_referral
from vantio.kit.time import freeze

T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


async def earn(api: Api, referral_id: str, **fields: Any) -> dict[str, Any]:
    return await api.ok("POST", "/api/v1/earnings", {"referral_id": referral_id, **fields})


async def run(api: Api, program_id: str) -> dict[str, Any]:
    return await api.ok("POST", "/api/v1/payouts", {"program_id": program_id})


async def reverse(api: Api, earning_id: str, reason: str = "refund") -> dict[str, Any]:
    return await api.ok("POST", f"/api/v1/earnings/{earning_id}/reverse", {"reason": reason})


async def event_ids(api: Api, type: str) -> list[str]:
    listed = await api.ok("GET", "/api/v1/events", type=type, limit="100")
    return [e["data"]["id"] for e in listed["events"]]


# -- 1. hold period ---------------------------------------------------------------------------


async def test_an_earning_on_hold_waits_for_its_payable_at(api: Api) -> None:
    funnel = await make_funnel(api, hold_days=14)
    assert funnel.program["hold_days"] == 14
    referral = await make_referral(api, funnel.impression["id"])
    with freeze(T0):
        earning = await earn(api, referral["id"], amount=1000)
        assert earning["payable_at"] == "2026-03-24T12:00:00Z"
        held = await run(api, funnel.program["id"])
    assert held["payouts"] == []
    assert held["skipped"] == [
        {
            "student_id": funnel.user["id"],
            "currency": "USD",
            "pending_amount": 1000,
            "reason": "on_hold",
            "payable_at": "2026-03-24T12:00:00Z",
        }
    ]
    with freeze(T0 + timedelta(days=14)):
        paid = await run(api, funnel.program["id"])
    assert [p["amount"] for p in paid["payouts"]] == [1000]
    assert paid["skipped"] == []


async def test_no_hold_by_default(api: Api) -> None:
    funnel = await make_funnel(api)
    assert funnel.program["hold_days"] == 0
    earning = await earn(api, (await make_referral(api, funnel.impression["id"]))["id"], amount=5)
    assert earning["payable_at"] == earning["created_at"]


# -- 2. reversal and clawback -------------------------------------------------------------------


async def test_reversing_an_unpaid_earning_is_terminal(api: Api) -> None:
    funnel = await make_funnel(api)
    earning = await earn(api, (await make_referral(api, funnel.impression["id"]))["id"], amount=700)
    reversal = await reverse(api, earning["id"], "order refunded")
    assert reversal["clawback"] is None
    assert reversal["earning"]["status"] == "reversed"
    assert reversal["earning"]["reversal_reason"] == "order refunded"
    assert reversal["earning"]["reversed_at"] is not None
    assert await event_ids(api, "earning.reversed") == [earning["id"]]
    again = await api.post(f"/api/v1/earnings/{earning['id']}/reverse", {"reason": "twice"})
    assert again.status_code == 409
    assert again.json()["code"] == "earning_already_reversed"
    moved = await api.put(f"/api/v1/earnings/{earning['id']}", {"status": "pending"})
    assert moved.status_code == 400
    assert (await run(api, funnel.program["id"]))["payouts"] == []


async def test_reversing_an_earning_in_a_pending_payout_removes_it(api: Api) -> None:
    funnel = await make_funnel(api)
    referral = await make_referral(api, funnel.impression["id"])
    kept = await earn(api, referral["id"], amount=500)
    dropped = await earn(api, referral["id"], amount=300)
    payout = (await run(api, funnel.program["id"]))["payouts"][0]
    assert payout["amount"] == 800
    await reverse(api, dropped["id"])
    after = await api.ok("GET", f"/api/v1/payouts/{payout['id']}")
    assert (after["amount"], after["earnings_count"]) == (500, 1)
    assert {(line["earning_id"], line["active"]) for line in after["lines"]} == {
        (kept["id"], True),
        (dropped["id"], False),
    }
    paid = await api.ok("PUT", f"/api/v1/payouts/{payout['id']}", {"status": "paid"})
    assert paid["status"] == "paid"
    assert (await api.ok("GET", f"/api/v1/earnings/{dropped['id']}"))["status"] == "reversed"


async def test_a_paid_earning_gets_a_clawback_netted_off_the_next_payouts(api: Api) -> None:
    funnel = await make_funnel(api)
    referral = await make_referral(api, funnel.impression["id"])
    first = await earn(api, referral["id"], amount=1000)
    payout = (await run(api, funnel.program["id"]))["payouts"][0]
    await api.ok("PUT", f"/api/v1/payouts/{payout['id']}", {"status": "paid"})

    reversal = await reverse(api, first["id"], "chargeback")
    assert reversal["earning"]["status"] == "paid"
    assert reversal["earning"]["reversed_at"] is not None
    clawback = reversal["clawback"]
    assert (clawback["type"], clawback["amount"], clawback["reverses"]) == (
        "clawback",
        -1000,
        first["id"],
    )
    assert clawback["status"] == "pending"
    assert await event_ids(api, "earning.clawback_created") == [clawback["id"]]
    refused = await api.post(f"/api/v1/earnings/{clawback['id']}/reverse", {"reason": "x"})
    assert (refused.status_code, refused.json()["code"]) == (400, "earning_not_reversible")

    # Only the clawback: nothing to pay, it waits.
    alone = await run(api, funnel.program["id"])
    assert alone["payouts"] == []
    assert alone["skipped"][0]["reason"] == "negative_balance"
    assert alone["skipped"][0]["pending_amount"] == -1000

    # 600 earned: all of it absorbed, the payout is 0 (never negative), 400 carries.
    await earn(api, referral["id"], amount=600)
    netted = (await run(api, funnel.program["id"]))["payouts"][0]
    # Netted to nothing: paid at once, there is nothing to send.
    assert (netted["amount"], netted["status"]) == (0, "paid")
    detail = await api.ok("GET", f"/api/v1/payouts/{netted['id']}")
    assert sorted(line["amount"] for line in detail["lines"]) == [-600, 600]
    assert [line["reverses"] for line in detail["lines"] if line["amount"] < 0] == [first["id"]]
    carried = await api.ok("GET", "/api/v1/earnings", status="pending")
    assert [(e["amount"], e["reverses"]) for e in carried["earnings"]] == [(-400, first["id"])]

    # 1000 more: 400 netted, 600 paid.
    await earn(api, referral["id"], amount=1000)
    last = (await run(api, funnel.program["id"]))["payouts"][0]
    assert last["amount"] == 600
    detail = await api.ok("GET", f"/api/v1/payouts/{last['id']}")
    assert sorted(line["amount"] for line in detail["lines"]) == [-400, 1000]


async def test_reversing_a_payouts_only_positive_line_returns_its_clawbacks(api: Api) -> None:
    funnel = await make_funnel(api)
    referral = await make_referral(api, funnel.impression["id"])
    paid = await earn(api, referral["id"], amount=300)
    payout = (await run(api, funnel.program["id"]))["payouts"][0]
    await api.ok("PUT", f"/api/v1/payouts/{payout['id']}", {"status": "paid"})
    clawback = (await reverse(api, paid["id"]))["clawback"]
    fresh = await earn(api, referral["id"], amount=1000)
    netted = (await run(api, funnel.program["id"]))["payouts"][0]
    assert netted["amount"] == 700
    await reverse(api, fresh["id"])
    after = await api.ok("GET", f"/api/v1/payouts/{netted['id']}")
    assert after["amount"] == 0
    back = await api.ok("GET", f"/api/v1/earnings/{clawback['id']}")
    assert (back["status"], back["amount"]) == ("pending", -300)


# -- 4. conversions deduplicated on external_id --------------------------------------------------


async def test_a_second_earning_for_the_same_order_is_a_409(api: Api) -> None:
    funnel = await make_funnel(api)
    referral = await make_referral(api, funnel.impression["id"])
    first = await earn(api, referral["id"], amount=500, external_id="inv_1001")
    assert first["external_id"] == "inv_1001"
    other = await make_referral(api, funnel.impression["id"])
    again = await api.post(
        "/api/v1/earnings", {"referral_id": other["id"], "amount": 500, "external_id": "inv_1001"}
    )
    assert again.status_code == 409
    body = again.json()
    assert body["code"] == "duplicate_conversion"
    assert body["details"] == {"field": "external_id", "existing_id": first["id"]}
    # Another program may use the same order id.
    elsewhere = await make_funnel(api)
    referral = await make_referral(api, elsewhere.impression["id"])
    await earn(api, referral["id"], amount=500, external_id="inv_1001")


async def test_twenty_concurrent_earnings_for_one_order_make_one(api: Api) -> None:
    funnel = await make_funnel(api)
    referrals = [await make_referral(api, funnel.impression["id"]) for _ in range(20)]
    answers = await asyncio.gather(
        *(
            api.post(
                "/api/v1/earnings",
                {"referral_id": referral["id"], "amount": 100, "external_id": "order-77"},
            )
            for referral in referrals
        )
    )
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [200] + [409] * 19
    created = next(a.json() for a in answers if a.status_code == 200)
    for answer in answers:
        if answer.status_code == 409:
            assert answer.json()["code"] == "duplicate_conversion"
            assert answer.json()["details"]["existing_id"] == created["id"]
    listed = await api.ok("GET", "/api/v1/earnings", program_id=funnel.program["id"])
    assert [e["id"] for e in listed["earnings"]] == [created["id"]]


# -- 5. recurring commissions ------------------------------------------------------------------


async def test_a_recurring_commission_ends_after_its_months(api: Api) -> None:
    funnel = await make_funnel(
        api, commission={"type": "percentage", "rate": 10}, commission_months=3
    )
    referral = await make_referral(api, funnel.impression["id"])
    with freeze(T0):
        await earn(api, referral["id"], sale_amount=10_000)
    with freeze(datetime(2026, 6, 10, 11, 59, tzinfo=UTC)):
        inside = await earn(api, referral["id"], sale_amount=10_000)
        assert inside["amount"] == 1000
    with freeze(datetime(2026, 6, 10, 12, 0, tzinfo=UTC)):
        late = await api.post(
            "/api/v1/earnings", {"referral_id": referral["id"], "sale_amount": 10_000}
        )
    assert late.status_code == 400
    body = late.json()
    assert body["code"] == "commission_window_ended"
    assert body["details"]["window_ended_at"] == "2026-06-10T12:00:00+00:00"
    assert "earns nothing" in body["message"]


async def test_lifetime_by_default(api: Api) -> None:
    funnel = await make_funnel(api)
    assert funnel.program["commission_months"] is None
    referral = await make_referral(api, funnel.impression["id"])
    with freeze(T0):
        await earn(api, referral["id"], amount=100)
    with freeze(T0 + timedelta(days=3650)):
        await earn(api, referral["id"], amount=100)


# -- 6. caps and monthly tiers ------------------------------------------------------------------


async def test_an_earning_beyond_the_cap_is_cut_to_fit(api: Api) -> None:
    cap = {"amount": 1500, "period": "week"}
    funnel = await make_funnel(api, commission_cap=cap)
    assert funnel.program["commission_cap"] == cap
    referral = await make_referral(api, funnel.impression["id"])
    with freeze(datetime(2026, 3, 9, 8, 0, tzinfo=UTC)):  # a Monday
        whole = await earn(api, referral["id"], amount=1000)
    with freeze(datetime(2026, 3, 15, 23, 0, tzinfo=UTC)):  # the Sunday
        cut = await earn(api, referral["id"], amount=1000)
        nothing = await earn(api, referral["id"], amount=200)
    with freeze(datetime(2026, 3, 16, 0, 0, tzinfo=UTC)):  # the next week
        fresh = await earn(api, referral["id"], amount=1000)
    assert (whole["amount"], whole["original_amount"]) == (1000, None)
    assert (cut["amount"], cut["original_amount"]) == (500, 1000)
    assert (nothing["amount"], nothing["original_amount"]) == (0, 200)
    assert (fresh["amount"], fresh["original_amount"]) == (1000, None)


async def test_a_reversed_earning_frees_its_part_of_the_cap(api: Api) -> None:
    funnel = await make_funnel(api, commission_cap={"amount": 1000, "period": "day"})
    referral = await make_referral(api, funnel.impression["id"])
    with freeze(T0):
        first = await earn(api, referral["id"], amount=1000)
        await reverse(api, first["id"])
        again = await earn(api, referral["id"], amount=800)
    assert (again["amount"], again["original_amount"]) == (800, None)


async def test_tiers_on_this_months_conversions(api: Api) -> None:
    tiers = [{"min_referrals": 0, "rate": 10}, {"min_referrals": 3, "rate": 15}]
    funnel = await make_funnel(
        api, commission={"type": "tiered", "tiers": tiers, "period": "month"}
    )
    rates = []
    with freeze(datetime(2026, 3, 31, 10, 0, tzinfo=UTC)):
        for _ in range(3):
            referral = await make_referral(api, funnel.impression["id"])
            rates.append((await earn(api, referral["id"], sale_amount=1000))["amount"])
    with freeze(datetime(2026, 4, 1, 10, 0, tzinfo=UTC)):
        referral = await make_referral(api, funnel.impression["id"])
        rates.append((await earn(api, referral["id"], sale_amount=1000))["amount"])
    # 1st, 2nd at 10%; the 3rd conversion of March reaches 15%; April starts again at 10%.
    assert rates == [100, 100, 150, 100]
