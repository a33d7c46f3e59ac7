"""The dashboard's side of the money rules (issue 15): reversing an earning after a confirmation
page, and downloading a run's payout file."""

import re

from tests.dashboard_helpers import Browser
from tests.helpers import Api, make_funnel, make_referral


async def test_reverse_an_earning_after_confirming(signed_in: Browser, api: Api) -> None:
    funnel = await make_funnel(api)
    referral = await make_referral(api, funnel.impression["id"])
    earning = await api.ok(
        "POST", "/api/v1/earnings", {"referral_id": referral["id"], "amount": 1999}
    )
    page = await signed_in.get("/dashboard/earnings")
    row = page.text[page.text.index(f'id="row-{earning["id"]}"') :].split("</tr>")[0]
    assert f"/dashboard/earnings/{earning['id']}/reverse" in row
    confirm = await signed_in.get(f"/dashboard/earnings/{earning['id']}/reverse")
    assert confirm.status_code == 200
    assert "19.99 USD" in confirm.text
    assert "becomes <em>reversed</em>" in confirm.text
    # Nothing happened yet: the page only asks.
    assert (await api.ok("GET", f"/api/v1/earnings/{earning['id']}"))["status"] == "pending"
    refused = await signed_in.post(f"/dashboard/earnings/{earning['id']}/reverse", {"reason": ""})
    assert refused.status_code in (302, 303)  # back to the list, the refusal as its message
    assert (await api.ok("GET", f"/api/v1/earnings/{earning['id']}"))["status"] == "pending"
    done = await signed_in.post(
        f"/dashboard/earnings/{earning['id']}/reverse", {"reason": "refunded"}
    )
    assert done.status_code in (302, 303)
    reversed_ = await api.ok("GET", f"/api/v1/earnings/{earning['id']}")
    assert (reversed_["status"], reversed_["reversal_reason"]) == ("reversed", "refunded")
    page = await signed_in.get("/dashboard/earnings")
    row = page.text[page.text.index(f'id="row-{earning["id"]}"') :].split("</tr>")[0]
    assert "/reverse" not in row


async def test_run_a_paypal_file_from_the_dashboard(signed_in: Browser, api: Api) -> None:
    funnel = await make_funnel(api)
    await api.ok(
        "PUT",
        f"/api/v1/users/{funnel.user['id']}/payout_details",
        {"method": "paypal", "paypal_email": "maya@example.com"},
    )
    referral = await make_referral(api, funnel.impression["id"])
    await api.ok("POST", "/api/v1/earnings", {"referral_id": referral["id"], "amount": 700})
    ran = await signed_in.post(
        "/dashboard/payouts", {"program_id": funnel.program["id"], "method": "paypal"}
    )
    assert ran.status_code == 200
    link = re.search(r'href="(/dashboard/payout_runs/[^"]+)" download>paypal file', ran.text)
    assert link
    file = await signed_in.get(link.group(1).replace("&amp;", "&"))
    assert file.status_code == 200
    assert "maya@example.com,7.00,USD" in file.text


async def test_set_an_ambassadors_payout_details(signed_in: Browser, api: Api) -> None:
    """Payout details are set from the ambassador's page; the IBAN is never shown again whole."""
    funnel = await make_funnel(api)
    user_id = funnel.user["id"]
    page = await signed_in.get(f"/dashboard/ambassadors/{user_id}")
    assert "No payout details yet" in page.text
    assert page.text.count('id="payout-h"') == 1  # the form once, in the page's body
    title = re.search(r"<title>(.*?)</title>", page.text, flags=re.S)
    assert title
    assert "<" not in title.group(1)
    bank = {
        "method": "bank",
        "iban": "DE89 3704 0044 0532 0130 01",  # a wrong checksum
        "bic": "COBADEFFXXX",
        "account_holder": "Maya Okafor",
    }
    refused = await signed_in.post(f"/dashboard/ambassadors/{user_id}/payout_details", bank)
    assert refused.status_code == 400
    assert "iban" in refused.text.lower()
    saved = await signed_in.post(
        f"/dashboard/ambassadors/{user_id}/payout_details",
        {**bank, "iban": "DE89 3704 0044 0532 0130 00"},
    )
    assert saved.status_code == 303
    details = await api.ok("GET", f"/api/v1/users/{user_id}/payout_details")
    assert (details["method"], details["iban_last4"]) == ("bank", "3000")
    page = await signed_in.get(f"/dashboard/ambassadors/{user_id}")
    assert "IBAN ending 3000" in page.text
    assert "DE89370400440532013000" not in page.text
    assert "0532 0130 00" not in page.text
    paypal = {"method": "paypal", "paypal_email": "maya@example.com"}
    assert (
        await signed_in.post(f"/dashboard/ambassadors/{user_id}/payout_details", paypal)
    ).status_code == 303
    assert (await api.ok("GET", f"/api/v1/users/{user_id}/payout_details"))["paypal_email"] == (
        "maya@example.com"
    )
