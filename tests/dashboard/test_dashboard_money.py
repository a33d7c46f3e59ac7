"""Dashboard pages of the services that landed after the first ones: payouts, vouchers,
webhooks and the event log."""

import re
import secrets
from html import unescape
from typing import Any

import pytest

from tests.dashboard_helpers import Browser, error_of
from tests.helpers import Api, Tenant, make_funnel, make_referral, new_tenant
from vantio.db.session import transaction
from vantio.kit.ids import new_id
from vantio.runtime import Runtime
from vantio.webhooks.models import WebhookAttempt


def row_of(html: str, object_id: str) -> str:
    return html[html.index(f'id="row-{object_id}"') :].split("</tr>")[0]


async def earned(api: Api, **program: Any) -> tuple[Any, dict[str, Any]]:
    funnel = await make_funnel(api, **program)
    referral = await make_referral(api, funnel.impression["id"])
    earning = await api.ok(
        "POST", "/api/v1/earnings", {"referral_id": referral["id"], "amount": 3000}
    )
    return funnel, earning


async def test_run_payouts_mark_paid_and_download_csv(signed_in: Browser, api: Api) -> None:
    funnel, earning = await earned(api, minimum_payout=2000)
    assert (await signed_in.get("/dashboard/payouts")).status_code == 200
    missing = await signed_in.post("/dashboard/payouts", {"program_id": ""})
    assert missing.status_code == 400
    assert error_of(missing.text, "program_id")
    run = await signed_in.post("/dashboard/payouts", {"program_id": funnel.program["id"]})
    assert run.status_code == 200
    assert "1 payout created." in run.text
    payouts = (await api.ok("GET", "/api/v1/payouts"))["payouts"]
    assert [(p["amount"], p["status"]) for p in payouts] == [(3000, "processing")]
    payout_id = payouts[0]["id"]
    row = row_of(run.text, payout_id)
    assert "30.00 USD" in row
    assert re.findall(r'name="status" value="(\w+)"', row) == ["failed", "paid"]

    csv = await signed_in.get(f"/dashboard/payouts/{payout_id}.csv")
    assert csv.status_code == 200
    assert csv.headers["content-type"].startswith("text/csv")
    api_csv = await api.get(f"/api/v1/payouts/{payout_id}.csv")
    assert csv.text == api_csv.text  # the same code writes both
    assert "Maya Okafor" in csv.text

    paid = await signed_in.post(
        f"/dashboard/payouts/{payout_id}/status", {"status": "paid", "confirm": "yes"}
    )
    assert paid.status_code == 303
    assert "Payout marked paid." in (await signed_in.get(paid.headers["location"])).text
    assert (await api.ok("GET", f"/api/v1/payouts/{payout_id}"))["status"] == "paid"
    assert (await api.ok("GET", f"/api/v1/earnings/{earning['id']}"))["status"] == "paid"
    again = await signed_in.post(
        f"/dashboard/payouts/{payout_id}/status", {"status": "failed", "confirm": "yes"}
    )
    assert again.status_code == 303
    shown = await signed_in.get(again.headers["location"])
    assert "cannot go from 'paid' to 'failed'" in unescape(shown.text)
    listing = await signed_in.get("/dashboard/payouts", status="paid")
    assert 'name="status"' not in row_of(listing.text, payout_id)
    assert (await signed_in.get("/dashboard/payouts", status="failed")).text.count(
        'id="row-po'
    ) == 0


async def test_payout_run_reports_those_below_the_minimum(signed_in: Browser, api: Api) -> None:
    funnel, _ = await earned(api, minimum_payout=5000)
    run = await signed_in.post("/dashboard/payouts", {"program_id": funnel.program["id"]})
    assert "0 payouts created." in run.text
    assert "Maya Okafor: 30.00 USD pending, below the minimum" in run.text
    failed = await signed_in.post("/dashboard/payouts", {"program_id": "prog_0000000000"})
    assert failed.status_code == 400


async def test_payout_can_be_marked_failed(signed_in: Browser, api: Api) -> None:
    funnel, earning = await earned(api)
    await signed_in.post("/dashboard/payouts", {"program_id": funnel.program["id"]})
    payout_id = (await api.ok("GET", "/api/v1/payouts"))["payouts"][0]["id"]
    asked = await signed_in.post(f"/dashboard/payouts/{payout_id}/status", {"status": "failed"})
    assert asked.status_code == 200
    assert "Mark this payout failed?" in asked.text  # a final move asks first
    assert (await api.ok("GET", f"/api/v1/payouts/{payout_id}"))["status"] == "processing"
    await signed_in.post(
        f"/dashboard/payouts/{payout_id}/status", {"status": "failed", "confirm": "yes"}
    )
    assert (await api.ok("GET", f"/api/v1/payouts/{payout_id}"))["status"] == "failed"
    assert (await api.ok("GET", f"/api/v1/earnings/{earning['id']}"))["status"] == "failed"


VOUCHER_FORM = {
    "code": "",
    "type": "percentage",
    "value": "20",
    "currency": "",
    "program_id": "",
    "min_order_value": "",
    "max_uses": "",
    "customer_limit": "",
    "valid_from": "",
    "valid_until": "",
    "max_discount_amount": "",
    "config": "",
}


def new_code() -> str:
    return f"DASH{secrets.token_hex(3).upper()}"


@pytest.mark.parametrize(
    "fields",
    [
        {"type": "percentage", "value": "15", "max_uses": "100", "valid_until": "2030-01-31"},
        {"type": "fixed", "value": "10.00", "currency": "USD", "min_order_value": "50"},
        {"type": "free_shipping", "value": ""},
        {"type": "bogo", "value": "", "config": '{"buy_quantity": 2, "get_quantity": 1}'},
        {"type": "tiered", "value": "",
         "config": '{"tiers": [{"min_value": 5000, "max_value": 9999, "discount": 10}, {"min_value": 10000, "discount": 20}]}'},
        {"type": "conditional", "value": "",
         "config": '{"conditions": [{"type": "order_value", "operator": "gte", "value": 5000}], "discount": 15}'},
        {"type": "stackable", "value": "", "config": '{"base_discount": 5}'},
    ],
)  # fmt: skip
async def test_create_every_voucher_type(
    signed_in: Browser, api: Api, fields: dict[str, str]
) -> None:
    code = new_code()
    response = await signed_in.post(
        "/dashboard/vouchers/new", {**VOUCHER_FORM, **fields, "code": code}
    )
    if response.status_code != 303:
        pytest.fail(
            f"{fields['type']}: {response.status_code} {re.findall(r'class=.error.[^>]*>([^<]*)<', response.text)}"
        )
    voucher_id = response.headers["location"].rsplit("/", 1)[1]
    voucher = await api.ok("GET", f"/v1/vouchers/{voucher_id}")
    assert voucher["code"] == code
    assert voucher["type"] == fields["type"]
    page = await signed_in.get(response.headers["location"])
    assert code in page.text
    listing = await signed_in.get("/dashboard/vouchers", type=fields["type"])
    assert code in listing.text


async def test_voucher_form_errors(signed_in: Browser, api: Api) -> None:
    code = new_code()
    await signed_in.post("/dashboard/vouchers/new", {**VOUCHER_FORM, "code": code})
    duplicate = await signed_in.post("/dashboard/vouchers/new", {**VOUCHER_FORM, "code": code})
    assert duplicate.status_code == 400
    assert "already exists" in (error_of(duplicate.text, "code") or "")
    no_value = await signed_in.post(
        "/dashboard/vouchers/new", {**VOUCHER_FORM, "code": new_code(), "value": ""}
    )
    assert error_of(no_value.text, "value")
    bad_json = await signed_in.post(
        "/dashboard/vouchers/new",
        {**VOUCHER_FORM, "code": new_code(), "type": "bogo", "value": "", "config": "{nope"},
    )
    assert "JSON" in (error_of(bad_json.text, "config") or "")
    bad_uses = await signed_in.post(
        "/dashboard/vouchers/new", {**VOUCHER_FORM, "code": new_code(), "max_uses": "many"}
    )
    assert error_of(bad_uses.text, "max_uses") == "Enter a whole number."
    overlapping = await signed_in.post(
        "/dashboard/vouchers/new",
        {**VOUCHER_FORM, "code": new_code(), "type": "tiered", "value": "",
         "config": '{"tiers": [{"min_value": 1, "discount": 5}, {"min_value": 9, "discount": 9}]}'},
    )  # fmt: skip
    assert "Overlapping tier ranges" in (error_of(overlapping.text, "config") or "")
    no_code = await signed_in.post("/dashboard/vouchers/new", {**VOUCHER_FORM})
    assert error_of(no_code.text, "code") == "Please fill this in."


async def test_voucher_applications_and_rollback(signed_in: Browser, api: Api) -> None:
    code = new_code()
    created = await signed_in.post(
        "/dashboard/vouchers/new", {**VOUCHER_FORM, "code": code, "max_uses": "1"}
    )
    voucher_id = created.headers["location"].rsplit("/", 1)[1]
    order = {"value": 10000, "currency": "USD"}
    applied = await api.post(
        "/v1/vouchers/apply", {"code": code, "order_id": "o-1", "order": order}
    )
    assert applied.status_code == 200, applied.text
    page = await signed_in.get(f"/dashboard/vouchers/{voucher_id}")
    assert "o-1" in page.text
    assert "20.00 USD" in page.text
    application_id = re.search(r"/applications/([a-z]+_[0-9a-z]+)/rollback", page.text)
    assert application_id
    # Used up: a second order is refused until the rollback gives the use back.
    refused = await api.post(
        "/v1/vouchers/apply", {"code": code, "order_id": "o-2", "order": order}
    )
    assert refused.status_code >= 400
    rolled = await signed_in.post(
        f"/dashboard/vouchers/{voucher_id}/applications/{application_id.group(1)}/rollback"
    )
    assert rolled.status_code == 303
    page = await signed_in.get(rolled.headers["location"])
    assert "Rolled back" in page.text
    assert "rolled back 20" in page.text
    again = await api.post("/v1/vouchers/apply", {"code": code, "order_id": "o-2", "order": order})
    assert again.status_code == 200, again.text
    twice = await signed_in.post(
        f"/dashboard/vouchers/{voucher_id}/applications/{application_id.group(1)}/rollback"
    )
    assert twice.status_code >= 400
    off = await signed_in.post(
        f"/dashboard/vouchers/{voucher_id}/status", {"status": "inactive", "confirm": "yes"}
    )
    assert off.status_code == 303
    assert (await api.ok("GET", f"/v1/vouchers/{voucher_id}"))["status"] == "inactive"


async def test_webhook_endpoint_secret_once_rotate_and_edit(signed_in: Browser, api: Api) -> None:
    empty = await signed_in.post("/dashboard/webhooks", {"url": "nope"})
    assert empty.status_code == 400
    assert error_of(empty.text, "url")
    assert error_of(empty.text, "events") == "Choose at least one."
    created = await signed_in.post(
        "/dashboard/webhooks",
        {"url": "https://hooks.example.com/v", "events": ["referral.created", "payout.paid"]},
    )
    assert created.status_code == 200
    secret = re.search(r'id="new-secret">(whsec_[^<]+)<', created.text)
    assert secret
    endpoints = (await api.ok("GET", "/api/v1/webhook_endpoints"))["webhook_endpoints"]
    assert endpoints[0]["events"] == ["referral.created", "payout.paid"]
    endpoint_id = endpoints[0]["id"]
    page = await signed_in.get(f"/dashboard/webhooks/{endpoint_id}")
    assert secret.group(1) not in page.text
    rotated = await signed_in.post(f"/dashboard/webhooks/{endpoint_id}/rotate")
    new_secret = re.search(r'id="new-secret">(whsec_[^<]+)<', rotated.text)
    assert new_secret
    assert new_secret.group(1) != secret.group(1)
    assert "End the rotation now" in rotated.text
    ended = await signed_in.post(f"/dashboard/webhooks/{endpoint_id}/rotation/end")
    assert ended.status_code == 303
    assert (await api.ok("GET", f"/api/v1/webhook_endpoints/{endpoint_id}"))[
        "secret_rotation_ends_at"
    ] is None
    assert (
        "End the rotation now"
        not in (await signed_in.get(f"/dashboard/webhooks/{endpoint_id}")).text
    )
    saved = await signed_in.post(
        f"/dashboard/webhooks/{endpoint_id}",
        {"url": "https://hooks.example.com/w", "events": ["*"], "description": "CRM"},
    )
    assert saved.status_code == 303
    endpoint = await api.ok("GET", f"/api/v1/webhook_endpoints/{endpoint_id}")
    assert (endpoint["url"], endpoint["events"], endpoint["disabled"]) == (
        "https://hooks.example.com/w",
        ["*"],
        True,  # the "Enabled" box was not sent
    )
    bad = await signed_in.post(
        f"/dashboard/webhooks/{endpoint_id}", {"url": "https://x.example", "events": ["nope"]}
    )
    assert "Unknown event type" in (error_of(bad.text, "events") or "")
    deleted = await signed_in.post(f"/dashboard/webhooks/{endpoint_id}/delete", {"confirm": "yes"})
    assert deleted.status_code == 303
    assert (await api.get(f"/api/v1/webhook_endpoints/{endpoint_id}")).status_code == 404


async def test_event_log_shows_attempts_and_redelivers(
    signed_in: Browser, api: Api, runtime: Runtime, tenant: Tenant
) -> None:
    await signed_in.post(
        "/dashboard/webhooks", {"url": "https://hooks.example.com/e", "events": ["*"]}
    )
    endpoint_id = (await api.ok("GET", "/api/v1/webhook_endpoints"))["webhook_endpoints"][0]["id"]
    funnel = await make_funnel(api)
    referral = await make_referral(api, funnel.impression["id"])
    event = (await api.ok("GET", "/api/v1/events", type="referral.created"))["events"][0]
    async with transaction(runtime.sessionmaker) as session:
        session.add(
            WebhookAttempt(
                id=new_id("wa"), account_id=tenant.account_id, livemode=False,
                event_id=event["id"], endpoint_id=endpoint_id, attempt=1, status_code=503,
                error=None, duration_ms=42, response_body="busy", succeeded=False,
                next_retry_at=None,
            )
        )  # fmt: skip
    page = await signed_in.get("/dashboard/events", type="referral.created")
    assert event["id"] in page.text
    card = page.text[page.text.index(f'id="event-{event["id"]}"') :].split("</article>")[0]
    assert "503" in card
    assert "42 ms" in card
    assert "https://hooks.example.com/e" in card
    redelivered = await signed_in.post(f"/dashboard/events/{event['id']}/redeliver")
    assert redelivered.headers["location"] == "/dashboard/events?redelivered=1"
    assert "Queued for 1 endpoint" in (await signed_in.get(redelivered.headers["location"])).text
    assert referral["id"]


async def test_other_accounts_payouts_vouchers_webhooks_stay_hidden(
    signed_in: Browser, runtime: Runtime, client: Any
) -> None:
    stranger = await new_tenant(runtime, client)
    funnel, _ = await earned(stranger.test)
    await stranger.test.ok("POST", "/api/v1/payouts", {"program_id": funnel.program["id"]})
    payout = (await stranger.test.ok("GET", "/api/v1/payouts"))["payouts"][0]
    voucher = await stranger.test.ok(
        "POST", "/v1/vouchers", {"code": new_code(), "type": "percentage", "value": 5}
    )
    endpoint = await stranger.test.ok(
        "POST", "/api/v1/webhook_endpoints", {"url": "https://their.example/h", "events": ["*"]}
    )
    for path in ("/dashboard/payouts", "/dashboard/vouchers", "/dashboard/webhooks",
                 "/dashboard/events"):  # fmt: skip
        text = (await signed_in.get(path)).text
        for secret in (payout["id"], voucher["code"], "their.example", funnel.program["id"]):
            assert secret not in text, (path, secret)
    for path in (f"/dashboard/payouts/{payout['id']}.csv", f"/dashboard/vouchers/{voucher['id']}",
                 f"/dashboard/webhooks/{endpoint['id']}"):  # fmt: skip
        assert (await signed_in.get(path)).status_code == 404, path
    for path in (f"/dashboard/payouts/{payout['id']}/status",
                 f"/dashboard/webhooks/{endpoint['id']}/rotate",
                 f"/dashboard/webhooks/{endpoint['id']}/rotation/end",
                 f"/dashboard/webhooks/{endpoint['id']}/delete"):  # fmt: skip
        assert (await signed_in.post(path, {"status": "paid"})).status_code == 404, path


CAMPAIGN_FORM = {
    **{k: v for k, v in VOUCHER_FORM.items() if k != "code"},
    "name": "Spring",
    "prefix": "",
    "suffix": "",
    "length": "8",
    "count": "5",
}


async def test_small_campaign_is_ready_at_once(signed_in: Browser, api: Api) -> None:
    assert (await signed_in.get("/dashboard/campaigns/new")).status_code == 200
    prefix = f"S{secrets.token_hex(2).upper()}-"
    created = await signed_in.post("/dashboard/campaigns/new", {**CAMPAIGN_FORM, "prefix": prefix})
    assert created.status_code == 303, re.findall(r'class="error"[^>]*>([^<]*)<', created.text)
    page = await signed_in.get(created.headers["location"])
    assert "5 of 5 codes — completed" in page.text
    assert 'http-equiv="refresh"' not in page.text
    assert page.text.count(f"<code>{prefix}") == 5
    listing = await signed_in.get("/dashboard/campaigns")
    assert 'value="5" max="5"' in listing.text


async def test_large_campaign_shows_its_progress(
    signed_in: Browser, api: Api, runtime: Runtime, tenant: Tenant
) -> None:
    from vantio.campaigns import service as campaign_service

    created = await signed_in.post(
        "/dashboard/campaigns/new", {**CAMPAIGN_FORM, "count": "2,500", "length": "10"}
    )
    assert created.status_code == 303
    page = await signed_in.get(created.headers["location"])
    assert "0 of 2,500 codes — generating" in page.text
    assert '<meta http-equiv="refresh" content="2">' in page.text
    campaign_id = created.headers["location"].rsplit("/", 1)[1]
    campaign = await api.ok("GET", f"/v1/campaigns/{campaign_id}")
    async with transaction(runtime.sessionmaker) as session:  # the worker's step
        await campaign_service.generate_next(
            session,
            payload={"campaign_id": campaign["id"], "account_id": tenant.account_id,
                     "livemode": False},
        )  # fmt: skip
    page = await signed_in.get(created.headers["location"])
    assert "2,500 of 2,500 codes — completed" in page.text
    assert 'http-equiv="refresh"' not in page.text


async def test_campaign_form_errors(signed_in: Browser) -> None:
    missing = await signed_in.post("/dashboard/campaigns/new", {**CAMPAIGN_FORM, "count": ""})
    assert missing.status_code == 400
    assert error_of(missing.text, "count")
    words = await signed_in.post("/dashboard/campaigns/new", {**CAMPAIGN_FORM, "count": "lots"})
    assert error_of(words.text, "count") == "Enter a whole number."
    short = await signed_in.post("/dashboard/campaigns/new", {**CAMPAIGN_FORM, "length": "2"})
    assert error_of(short.text, "length") == "Enter 4 or more."
    unnamed = await signed_in.post("/dashboard/campaigns/new", {**CAMPAIGN_FORM, "name": ""})
    assert error_of(unnamed.text, "name") == "Please fill this in."


async def test_dashboard_payout_csv_cells_cannot_run_as_formulas(
    signed_in: Browser, api: Api
) -> None:
    """Issue 11, point 4: the dashboard's download is the API's file, formulas neutralised."""
    import csv
    import io

    funnel = await make_funnel(api, minimum_payout=100)
    await api.ok("PUT", f"/api/v1/users/{funnel.user['id']}", {"first_name": "=cmd|' /C calc'!A0"})
    referral = await make_referral(api, funnel.impression["id"])
    await api.ok("POST", "/api/v1/earnings", {"referral_id": referral["id"], "amount": 3000})
    run = await signed_in.post("/dashboard/payouts", {"program_id": funnel.program["id"]})
    assert run.status_code == 200
    payout_id = (await api.ok("GET", "/api/v1/payouts"))["payouts"][0]["id"]
    download = await signed_in.get(f"/dashboard/payouts/{payout_id}.csv")
    rows = list(csv.reader(io.StringIO(download.text)))
    assert rows[1][1].startswith("'=cmd|' /C calc'!A0 ")
