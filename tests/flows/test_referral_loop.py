"""The referral loop of API.md, end to end: a poster scan hands out the program's referee voucher,
the referred customer signs up and applies it, and the ambassador earns the program's commission
on the order's final amount, once per order (replays and re-applies included)."""

from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI

from tests.helpers import Api, make_poster, make_program, make_referral, make_user, unique_email
from tests.vouchers.test_vouchers import cart, make_voucher

PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"


async def scan(app: FastAPI, code: str, ip: str = "203.0.113.50") -> dict[str, str]:
    transport = httpx.ASGITransport(app=app, client=(ip, 4321))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get(f"/s/{code}", headers={"user-agent": PHONE})
    assert response.status_code == 302, response.text
    query = parse_qs(urlsplit(response.headers["location"]).query)
    return {key: values[0] for key, values in query.items()}


async def events(api: Api, type: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = (await api.ok("GET", "/api/v1/events", type=type, limit="100"))[
        "events"
    ]
    return found


async def earnings_of(api: Api, referral_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = (
        await api.ok("GET", "/api/v1/earnings", referral_id=referral_id)
    )["earnings"]
    return found


async def test_poster_scan_to_referral_to_apply_to_earning(api: Api, served: FastAPI) -> None:
    voucher = await make_voucher(api, value=20)  # 20% off for the referred customer
    program = await make_program(api, commission={"type": "percentage", "rate": 10})
    program = await api.ok(
        "PUT", f"/api/v1/programs/{program['id']}", {"referee_voucher_id": voucher["id"]}
    )
    assert program["referee_voucher_id"] == voucher["id"]
    ambassador = await make_user(api, program["id"])
    poster = await make_poster(api, program["id"], ambassador["id"])

    # 1. The scan: the redirect carries the impression and the voucher code.
    landing = await scan(served, poster["code"])
    assert landing["voucher"] == voucher["code"]
    impression_id = landing["impression_id"]

    # 2. The sign-up on the landing page: a referral of that impression.
    email = unique_email("customer")
    referral = await make_referral(api, impression_id, email=email)
    assert referral["status"] == "pending"

    # 3. The purchase with the code: 20% off 10000 → 8000; 10% commission → 800.
    body = {
        "code": landing["voucher"],
        "order_id": "order_loop_1",
        "order": cart(6000, 4000, impression_id=impression_id),
        "customer": {"email": email},
    }
    application = await api.ok("POST", "/v1/vouchers/apply", body)
    assert application["final_amount"] == 8000

    # 4. The earning, and the converted referral.
    earnings = await earnings_of(api, referral["id"])
    assert len(earnings) == 1
    earning = earnings[0]
    assert (earning["amount"], earning["currency"], earning["status"]) == (800, "USD", "pending")
    assert earning["metadata"]["order_id"] == "order_loop_1"
    assert earning["metadata"]["voucher_application_id"] == application["id"]
    assert earning["metadata"]["sale_amount"] == 8000
    got = await api.ok("GET", f"/api/v1/referrals/{referral['id']}")
    assert got["status"] == "converted"

    # The events of the whole walk, each written in its transaction.
    assert [e["data"]["id"] for e in await events(api, "referral.created")] == [referral["id"]]
    changed = await events(api, "referral.status_changed")
    assert [(e["data"]["id"], e["data"]["status"]) for e in changed] == [
        (referral["id"], "converted")
    ]
    assert [e["data"]["id"] for e in await events(api, "earning.created")] == [earning["id"]]
    assert [e["data"]["id"] for e in await events(api, "voucher.applied")] == [application["id"]]

    # 5. A replayed apply (same body, and again with an Idempotency-Key) creates nothing new.
    again = await api.ok("POST", "/v1/vouchers/apply", body)
    assert again["id"] == application["id"]
    keyed = {"Idempotency-Key": "loop-replay-1"}
    for _ in range(2):
        response = await api.post("/v1/vouchers/apply", body, headers=keyed)
        assert response.json()["id"] == application["id"]
    assert len(await earnings_of(api, referral["id"])) == 1
    assert len(await events(api, "earning.created")) == 1

    # 6. Rolled back: its commission is reversed in the same transaction. Applied again to the
    # same order: a sale again, credited anew; one live earning for that order.
    await api.ok("POST", f"/v1/vouchers/applications/{application['id']}/rollback", {})
    assert (await api.ok("GET", f"/api/v1/earnings/{earning['id']}"))["status"] == "reversed"
    reapplied = await api.ok("POST", "/v1/vouchers/apply", body)
    assert reapplied["id"] != application["id"]
    live = [e for e in await earnings_of(api, referral["id"]) if e["status"] != "reversed"]
    assert [e["metadata"]["voucher_application_id"] for e in live] == [reapplied["id"]]

    # 7. A second order of the same customer is another sale: one more earning.
    await api.ok("POST", "/v1/vouchers/apply", {**body, "order_id": "order_loop_2"})
    amounts = sorted(
        e["amount"] for e in await earnings_of(api, referral["id"]) if e["status"] != "reversed"
    )
    assert amounts == [800, 800]


async def test_voucher_with_program_id_credits_the_referral_by_email(api: Api) -> None:
    program = await make_program(api, commission={"type": "flat", "amount": 500})
    other = await make_program(api)
    voucher = await make_voucher(api, type="fixed", value=1000, program_id=program["id"])
    user = await make_user(api, program["id"])
    poster = await make_poster(api, program["id"], user["id"])
    impression = await api.ok("POST", "/api/v1/impressions", {"poster_id": poster["id"]})
    email = unique_email("buyer")
    referral = await make_referral(api, impression["id"], email=email)
    # Another program's referral with another email: never credited by this voucher.
    other_user = await make_user(api, other["id"])
    other_poster = await make_poster(api, other["id"], other_user["id"])
    other_imp = await api.ok("POST", "/api/v1/impressions", {"poster_id": other_poster["id"]})
    stranger_email = unique_email("stranger")
    stranger = await make_referral(api, other_imp["id"], email=stranger_email)

    await api.ok(
        "POST",
        "/v1/vouchers/apply",
        {
            "code": voucher["code"],
            "order_id": "o_email",
            "order": cart(5000),
            "customer": {"email": email.upper()},  # compared case-insensitively
        },
    )
    earnings = await earnings_of(api, referral["id"])
    assert [e["amount"] for e in earnings] == [500]
    # A customer who is no referral of the program, and another program's referral: nothing.
    for customer in ({"email": unique_email("walkin")}, {"email": stranger_email}):
        await api.ok(
            "POST",
            "/v1/vouchers/apply",
            {
                "code": voucher["code"],
                "order_id": f"o_{customer['email'][:6]}",
                "order": cart(5000, impression_id=other_imp["id"]),
                "customer": customer,
            },
        )
    assert await earnings_of(api, stranger["id"]) == []
    assert len(await events(api, "earning.created")) == 1
    # A voucher of no program credits nobody.
    plain = await make_voucher(api)
    await api.ok(
        "POST",
        "/v1/vouchers/apply",
        {"code": plain["code"], "order_id": "o_plain", "order": cart(5000),
         "customer": {"email": email}},
    )  # fmt: skip
    assert len(await earnings_of(api, referral["id"])) == 1


async def test_rejected_referrals_earn_nothing(api: Api) -> None:
    program = await make_program(api)
    voucher = await make_voucher(api, program_id=program["id"])
    user = await make_user(api, program["id"])
    poster = await make_poster(api, program["id"], user["id"])
    impression = await api.ok("POST", "/api/v1/impressions", {"poster_id": poster["id"]})
    referral = await make_referral(api, impression["id"])
    await api.ok("PUT", f"/api/v1/referrals/{referral['id']}", {"status": "rejected"})
    applied = await api.post(
        "/v1/vouchers/apply",
        {
            "code": voucher["code"],
            "order_id": "o_r",
            "order": cart(5000, impression_id=impression["id"]),
        },
    )
    assert applied.status_code == 200  # the discount stands; only the commission is withheld
    assert await earnings_of(api, referral["id"]) == []


async def test_referee_voucher_must_be_a_live_voucher_of_the_account(
    api: Api, tenant: Any, served: FastAPI
) -> None:
    voucher = await make_voucher(api)
    missing = await api.post(
        "/api/v1/programs",
        {
            "name": "P",
            "landing_url": "https://example.com",
            "referee_voucher_id": "v_0000000000000000",
        },
    )
    assert missing.status_code == 400
    assert missing.json()["code"] == "voucher_not_found"
    assert missing.json()["details"][0]["field"] == "referee_voucher_id"
    other_mode = await make_voucher(tenant.live)
    wrong_mode = await api.post(
        "/api/v1/programs",
        {"name": "P", "landing_url": "https://example.com", "referee_voucher_id": other_mode["id"]},
    )
    assert wrong_mode.status_code == 400
    bad_id = await api.post(
        "/api/v1/programs",
        {"name": "P", "landing_url": "https://example.com", "referee_voucher_id": "prog_1"},
    )
    assert bad_id.status_code == 400
    program = await make_program(api, referee_voucher_id=voucher["id"])
    assert program["referee_voucher_id"] == voucher["id"]
    user = await make_user(api, program["id"])
    poster = await make_poster(api, program["id"], user["id"])
    assert (await scan(served, poster["code"], ip="203.0.113.61"))["voucher"] == voucher["code"]
    # A deleted voucher is no longer handed out, and cannot be chosen.
    await api.ok("DELETE", f"/v1/vouchers/{voucher['id']}")
    assert "voucher" not in await scan(served, poster["code"], ip="203.0.113.62")
    refused = await api.put(
        f"/api/v1/programs/{program['id']}", {"referee_voucher_id": voucher["id"]}
    )
    assert refused.status_code == 400
    # null clears it.
    cleared = await api.ok("PUT", f"/api/v1/programs/{program['id']}", {"referee_voucher_id": None})
    assert cleared["referee_voucher_id"] is None


# -- one ledger: a rollback reverses the commission its application created (issue 15 point 3) --


async def looped_earning(api: Api, order_id: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    """A program voucher applied by a referred customer: (application, earning, code)."""
    program = await make_program(api, commission={"type": "flat", "amount": 500})
    voucher = await make_voucher(api, type="fixed", value=1000, program_id=program["id"])
    user = await make_user(api, program["id"])
    poster = await make_poster(api, program["id"], user["id"])
    impression = await api.ok("POST", "/api/v1/impressions", {"poster_id": poster["id"]})
    email = unique_email("buyer")
    referral = await make_referral(api, impression["id"], email=email)
    application = await api.ok(
        "POST",
        "/v1/vouchers/apply",
        {
            "code": voucher["code"],
            "order_id": order_id,
            "order": cart(5000),
            "customer": {"email": email},
        },
    )
    (earning,) = await earnings_of(api, referral["id"])
    return application, earning, voucher["code"]


@pytest.mark.parametrize("state", ["pending", "failed", "processing", "paid"])
@pytest.mark.parametrize("how", ["rollback", "remove"])
async def test_rolling_back_an_application_reverses_its_commission(
    api: Api, state: str, how: str
) -> None:
    application, earning, code = await looped_earning(api, f"order_{state}_{how}")
    program_id = (await api.ok("GET", f"/api/v1/referrals/{earning['referral_id']}"))["program_id"]
    if state == "failed":
        await api.ok("PUT", f"/api/v1/earnings/{earning['id']}", {"status": "failed"})
    if state in ("processing", "paid"):
        run = await api.ok("POST", "/api/v1/payouts", {"program_id": program_id})
        (payout,) = run["payouts"]
        if state == "paid":
            await api.ok("PUT", f"/api/v1/payouts/{payout['id']}", {"status": "paid"})
    assert (await api.ok("GET", f"/api/v1/earnings/{earning['id']}"))["status"] == state

    if how == "rollback":
        await api.ok(
            "POST", f"/v1/vouchers/applications/{application['id']}/rollback", {"reason": "refund"}
        )
    else:
        await api.ok(
            "POST",
            "/v1/vouchers/remove",
            {"code": code, "order_id": application["order_id"], "reason": "refund"},
        )

    after = await api.ok("GET", f"/api/v1/earnings/{earning['id']}")
    listed = await earnings_of(api, earning["referral_id"])
    clawbacks = [e for e in listed if e["type"] == "clawback"]
    if state == "paid":
        assert after["status"] == "paid"
        assert after["reversed_at"] is not None
        assert [(c["amount"], c["reverses"]) for c in clawbacks] == [(-500, earning["id"])]
        assert [e["data"]["id"] for e in await events(api, "earning.clawback_created")] == [
            clawbacks[0]["id"]
        ]
    else:
        assert after["status"] == "reversed"
        assert "refund" in after["reversal_reason"]
        assert clawbacks == []
        assert [e["data"]["id"] for e in await events(api, "earning.reversed")] == [earning["id"]]
    if state == "processing":
        held = await api.ok("GET", f"/api/v1/payouts/{payout['id']}")
        assert (held["amount"], held["earnings_count"]) == (0, 0)


async def test_a_rollback_after_a_reversal_by_hand_reverses_nothing_twice(api: Api) -> None:
    application, earning, _ = await looped_earning(api, "order_by_hand")
    await api.ok("POST", f"/api/v1/earnings/{earning['id']}/reverse", {"reason": "by hand"})
    # Reversed by hand already: the rollback succeeds, with nothing left to reverse.
    await api.ok("POST", f"/v1/vouchers/applications/{application['id']}/rollback", {})
    assert (await api.ok("GET", f"/api/v1/earnings/{earning['id']}"))["status"] == "reversed"
    assert len(await events(api, "earning.reversed")) == 1
