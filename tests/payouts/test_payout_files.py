"""Payout details, payout files (PayPal, Wise, SEPA pain.001) and reconciliation (issue 15
point 8)."""

import csv
import io
from typing import Any
from xml.etree import ElementTree

from tests.helpers import Api, make_impression, make_poster, make_program, make_referral, make_user
from tests.webhooks.test_secrets_at_rest import raw_row
from vantio.kit import sealing
from vantio.runtime import Runtime

IBAN = "DE89370400440532013000"
BIC = "COBADEFFXXX"
SENDER = {"name": "Campus Shop GmbH", "iban": "FR1420041010050500013M02606", "bic": "PSSTFRPPXXX"}


async def ambassador(api: Api, program_id: str) -> tuple[dict[str, Any], str]:
    user = await make_user(api, program_id)
    poster = await make_poster(api, program_id, user["id"])
    scan = await make_impression(api, poster["id"])
    referral = await make_referral(api, scan["id"])
    return user, referral["id"]


async def earn(api: Api, referral_id: str, amount: int) -> dict[str, Any]:
    return await api.ok("POST", "/api/v1/earnings", {"referral_id": referral_id, "amount": amount})


async def test_payout_details_are_validated_and_shown_masked(api: Api) -> None:
    program = await make_program(api)
    user, _ = await ambassador(api, program["id"])
    path = f"/api/v1/users/{user['id']}/payout_details"
    assert (await api.ok("GET", path))["method"] is None
    bad = await api.put(
        path,
        {"method": "bank", "iban": "DE89370400440532013001", "bic": BIC, "account_holder": "M"},
    )
    assert bad.status_code == 400
    assert "iban" in bad.json()["message"]
    incomplete = await api.put(path, {"method": "bank", "iban": IBAN})
    assert incomplete.status_code == 400
    assert (await api.put(path, {"method": "paypal"})).status_code == 400
    shown = await api.ok(
        "PUT",
        path,
        {
            "method": "bank",
            "iban": "DE89 3704 0044 0532 0130 00",
            "bic": BIC,
            "account_holder": "Maya Okafor",
        },
    )
    assert shown["iban_last4"] == "3000"
    assert IBAN not in str(shown)
    assert (await api.ok("GET", path))["account_holder"] == "Maya Okafor"
    paypal = await api.ok("PUT", path, {"method": "paypal", "paypal_email": "maya@example.com"})
    assert (paypal["method"], paypal["paypal_email"], paypal["iban_last4"]) == (
        "paypal",
        "maya@example.com",
        None,
    )
    assert (await api.ok("DELETE", path))["deleted"] is True
    assert (await api.ok("GET", path))["method"] is None
    assert (
        await api.get("/api/v1/users/user_0000000000000000000000000/payout_details")
    ).status_code == 404


async def test_a_paypal_run_skips_ambassadors_without_details_and_exports_a_csv(api: Api) -> None:
    program = await make_program(api)
    maya, maya_ref = await ambassador(api, program["id"])
    leo, leo_ref = await ambassador(api, program["id"])
    await api.ok(
        "PUT",
        f"/api/v1/users/{maya['id']}/payout_details",
        {"method": "paypal", "paypal_email": "maya@example.com"},
    )
    await earn(api, maya_ref, 1250)
    await earn(api, leo_ref, 900)
    run = await api.ok("POST", "/api/v1/payouts", {"program_id": program["id"], "method": "paypal"})
    assert [(p["student_id"], p["method"]) for p in run["payouts"]] == [(maya["id"], "paypal")]
    assert run["skipped"] == [
        {
            "student_id": leo["id"],
            "currency": "USD",
            "pending_amount": 900,
            "reason": "missing_payout_details",
            "payable_at": None,
        }
    ]
    payout = run["payouts"][0]
    assert payout["run_id"] == run["run_id"]
    response = await api.get(f"/api/v1/payout_runs/{run['run_id']}/file")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    reference = payout["id"].removeprefix("payout_")
    assert rows == [
        ["maya@example.com", "12.50", "USD", reference, f"{program['name']} payout", "PAYPAL"]
    ]
    # Leo's earning is still pending for a later run.
    leo_earnings = await api.ok("GET", "/api/v1/earnings", status="pending")
    assert [e["amount"] for e in leo_earnings["earnings"]] == [900]


async def test_a_sepa_run_exports_a_valid_pain_001_and_skips_other_currencies(api: Api) -> None:
    program = await make_program(api, currency="EUR", payout_sender=SENDER)
    maya, maya_ref = await ambassador(api, program["id"])
    await api.ok(
        "PUT",
        f"/api/v1/users/{maya['id']}/payout_details",
        {"method": "bank", "iban": IBAN, "bic": BIC, "account_holder": "Maya Okafor"},
    )
    await earn(api, maya_ref, 4321)
    await api.ok(
        "POST", "/api/v1/earnings", {"referral_id": maya_ref, "amount": 100, "currency": "USD"}
    )
    run = await api.ok("POST", "/api/v1/payouts", {"program_id": program["id"], "method": "sepa"})
    assert [p["amount"] for p in run["payouts"]] == [4321]
    assert [(s["currency"], s["reason"]) for s in run["skipped"]] == [
        ("USD", "unsupported_currency")
    ]
    response = await api.get(f"/api/v1/payout_runs/{run['run_id']}/file")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    root = ElementTree.fromstring(response.content)  # noqa: S314 (our own answer)
    assert root.tag.endswith("Document")
    assert "pain.001.001.03" in root.tag
    text = response.text
    assert IBAN in text
    assert "43.21" in text
    assert SENDER["iban"] in text


async def test_a_sepa_run_needs_the_programs_sender_account(api: Api) -> None:
    program = await make_program(api, currency="EUR")
    refused = await api.post("/api/v1/payouts", {"program_id": program["id"], "method": "sepa"})
    assert refused.status_code == 400


async def test_a_wise_csv_has_the_bank_details(api: Api) -> None:
    program = await make_program(api, currency="EUR")
    maya, maya_ref = await ambassador(api, program["id"])
    await api.ok(
        "PUT",
        f"/api/v1/users/{maya['id']}/payout_details",
        {"method": "bank", "iban": IBAN, "bic": BIC, "account_holder": "=Maya Okafor"},
    )
    await earn(api, maya_ref, 2000)
    run = await api.ok("POST", "/api/v1/payouts", {"program_id": program["id"], "method": "wise"})
    response = await api.get(f"/api/v1/payout_runs/{run['run_id']}/file")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 1
    assert rows[0]["name"] == "'=Maya Okafor"  # never a formula
    assert (rows[0]["IBAN"], rows[0]["BIC"], rows[0]["amount"]) == (IBAN, BIC, "20.00")
    assert rows[0]["targetCurrency"] == "EUR"


async def test_reconciling_from_the_providers_result_file(api: Api) -> None:
    program = await make_program(api)
    ids = []
    for amount in (1000, 2000, 3000):
        user, ref = await ambassador(api, program["id"])
        await api.ok(
            "PUT",
            f"/api/v1/users/{user['id']}/payout_details",
            {"method": "paypal", "paypal_email": f"p{amount}@example.com"},
        )
        ids.append((await earn(api, ref, amount))["id"])
    run = await api.ok("POST", "/api/v1/payouts", {"program_id": program["id"], "method": "paypal"})
    by_amount = {p["amount"]: p["id"] for p in run["payouts"]}
    report = (
        "Transaction ID,Customer ID,Amount,Status\r\n"
        + "".join(
            f"T{n},{by_amount[amount].removeprefix('payout_')},{amount / 100:.2f},{status}\r\n"
            for n, (amount, status) in enumerate(
                ((1000, "Completed"), (2000, "Unclaimed"), (3000, "Pending"))
            )
        )
        + "T9,nothing-of-ours,1.00,Completed\r\n"
    )
    answer = await api.client.post(
        f"/api/v1/payout_runs/{run['run_id']}/results",
        content=report.encode(),
        headers={**api.headers, "Content-Type": "text/csv"},
    )
    assert answer.status_code == 200, answer.text
    done = answer.json()
    assert done == {
        "paid": [by_amount[1000]],
        "failed": [by_amount[2000]],
        "unchanged": [by_amount[3000]],
        "unmatched": ["nothing-of-ours"],
    }
    failed = await api.ok("GET", f"/api/v1/payouts/{by_amount[2000]}")
    assert (failed["status"], failed["failure_reason"]) == ("failed", "Unclaimed")
    # The failed item's earning is payable again; the next run takes it.
    assert (await api.ok("GET", f"/api/v1/earnings/{ids[1]}"))["status"] == "pending"
    again = await api.ok(
        "POST", "/api/v1/payouts", {"program_id": program["id"], "method": "paypal"}
    )
    assert [p["amount"] for p in again["payouts"]] == [2000]
    # And through the API, item by item.
    marked = await api.ok(
        "POST",
        f"/api/v1/payout_runs/{run['run_id']}/reconcile",
        {"items": [{"payout_id": by_amount[3000], "status": "paid"}]},
    )
    assert marked["paid"] == [by_amount[3000]]


async def test_a_store_credit_payout_makes_a_voucher_only_the_ambassador_can_use(
    api: Api,
) -> None:
    program = await make_program(api)
    maya, maya_ref = await ambassador(api, program["id"])
    await earn(api, maya_ref, 2500)
    run = await api.ok(
        "POST", "/api/v1/payouts", {"program_id": program["id"], "method": "voucher_credit"}
    )
    (payout,) = run["payouts"]
    assert (payout["method"], payout["status"], payout["amount"]) == (
        "voucher_credit",
        "paid",
        2500,
    )
    voucher = await api.ok("GET", f"/v1/vouchers/{payout['voucher_id']}")
    assert (voucher["type"], voucher["value"], voucher["currency"]) == ("fixed", 2500, "USD")
    assert voucher["metadata"]["payout_id"] == payout["id"]
    order = {"value": 4000, "currency": "USD"}
    stranger = await api.post(
        "/v1/vouchers/validate",
        {"code": voucher["code"], "order": order, "customer": {"email": "someone@example.com"}},
    )
    assert stranger.status_code == 400, stranger.text
    assert "customer_email" in stranger.text
    mine = {"code": voucher["code"], "order": order, "customer": {"email": maya["email"].upper()}}
    assert (await api.ok("POST", "/v1/vouchers/validate", mine))["discount_amount"] == 2500
    await api.ok("POST", "/v1/vouchers/apply", {**mine, "order_id": "credit-1"})
    again = await api.post("/v1/vouchers/apply", {**mine, "order_id": "credit-2"})
    assert again.status_code >= 400  # single use
    # The earning is paid with the payout.
    paid = await api.ok("GET", "/api/v1/earnings", status="paid")
    assert [e["amount"] for e in paid["earnings"]] == [2500]


async def test_payout_details_are_sealed_at_rest(api: Api, runtime: Runtime) -> None:
    """The stored row holds neither the IBAN nor the PayPal email: the server's key seals them."""
    program = await make_program(api)
    user, _ = await ambassador(api, program["id"])
    path = f"/api/v1/users/{user['id']}/payout_details"
    body = {"method": "bank", "iban": IBAN, "bic": BIC, "account_holder": "Maya Okafor"}
    await api.ok("PUT", path, body)
    (stored,) = await raw_row(
        runtime, "SELECT details FROM payout_accounts WHERE student_id = :id", id=user["id"]
    )
    assert isinstance(stored, str)
    assert sealing.is_sealed(stored)
    assert IBAN not in stored
    assert "Maya" not in stored
    assert (await api.ok("GET", path))["account_holder"] == "Maya Okafor"
    await api.ok("PUT", path, {"method": "paypal", "paypal_email": "maya@example.com"})
    (stored,) = await raw_row(
        runtime, "SELECT details FROM payout_accounts WHERE student_id = :id", id=user["id"]
    )
    assert "maya@example.com" not in str(stored)
