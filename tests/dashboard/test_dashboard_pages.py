"""Dashboard pages through the ASGI app: every page renders, every form's happy and error paths,
status changes limited to the allowed transitions, and tenancy."""

import re
from datetime import UTC, datetime
from html import unescape as html_unescape
from typing import Any

import pytest

from tests.dashboard_helpers import Browser, error_of
from tests.helpers import Api, Tenant, make_funnel, make_referral, new_tenant, unique_email
from vantio.api_keys import service as api_key_service
from vantio.db import repository
from vantio.db.session import transaction
from vantio.kit.time import freeze
from vantio.runtime import Runtime

PROGRAM_FORM = {
    "name": "Campus Heroes",
    "description": "Bring a friend",
    "landing_url": "https://example.com/join",
    "currency": "EUR",
    "commission_type": "percentage",
    "commission_rate": "12.5",
    "commission_amount": "",
    "commission_tiers": "",
    "payout_schedule": "monthly",
    "minimum_payout": "25.50",
    "attribution_window_days": "45",
    "hold_days": "14",
    "commission_months": "12",
    "commission_cap_amount": "100.50",
    "commission_cap_period": "week",
}


def created_id(response: Any, prefix: str) -> str:
    assert response.status_code == 303, response.text
    match = re.search(rf"/({prefix}_[0-9a-z]+)", response.headers["location"])
    assert match, response.headers["location"]
    return match.group(1)


async def test_create_program_with_every_setting(signed_in: Browser, api: Api) -> None:
    assert (await signed_in.get("/dashboard/programs/new")).status_code == 200
    program_id = created_id(await signed_in.post("/dashboard/programs/new", PROGRAM_FORM), "prog")
    program = await api.ok("GET", f"/api/v1/programs/{program_id}")
    assert program["commission"] == {"type": "percentage", "rate": 12.5}
    assert program["minimum_payout"] == 2550
    assert program["currency"] == "EUR"
    assert program["payout_schedule"] == "monthly"
    assert program["attribution_window_days"] == 45
    assert program["description"] == "Bring a friend"
    # The money rules are set from the form too, the cap in major units converted exactly.
    assert program["hold_days"] == 14
    assert program["commission_months"] == 12
    assert program["commission_cap"] == {"amount": 10050, "period": "week"}
    page = await signed_in.get(f"/dashboard/programs/{program_id}", saved="1")
    assert "Saved." in page.text
    assert 'value="25.50"' in page.text
    listing = await signed_in.get("/dashboard/programs")
    assert "Campus Heroes" in listing.text


async def test_edit_program_to_flat_and_tiered(signed_in: Browser, api: Api) -> None:
    program_id = created_id(await signed_in.post("/dashboard/programs/new", PROGRAM_FORM), "prog")
    flat = {**PROGRAM_FORM, "commission_type": "flat", "commission_amount": "5"}
    response = await signed_in.post(f"/dashboard/programs/{program_id}", flat)
    assert response.status_code == 303
    program = await api.ok("GET", f"/api/v1/programs/{program_id}")
    assert program["commission"] == {"type": "flat", "amount": 500}
    tiered = {**PROGRAM_FORM, "commission_type": "tiered", "commission_tiers": "5: 15\n0: 10"}
    assert (await signed_in.post(f"/dashboard/programs/{program_id}", tiered)).status_code == 303
    program = await api.ok("GET", f"/api/v1/programs/{program_id}")
    assert program["commission"]["tiers"] == [
        {"min_referrals": 0, "rate": 10.0},
        {"min_referrals": 5, "rate": 15.0},
    ]
    page = await signed_in.get(f"/dashboard/programs/{program_id}")
    assert "0: 10\n5: 15" in page.text
    assert 'value="100.50"' in page.text  # the cap, shown again in major units
    # Emptied, the recurring window and the cap are lifted.
    lifted = {**PROGRAM_FORM, "commission_months": "", "commission_cap_amount": ""}
    assert (await signed_in.post(f"/dashboard/programs/{program_id}", lifted)).status_code == 303
    program = await api.ok("GET", f"/api/v1/programs/{program_id}")
    assert (program["commission_months"], program["commission_cap"]) == (None, None)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": ""}, "name", "Please fill this in."),
        ({"landing_url": "example.com"}, "landing_url",
         "Enter a web address starting with https:// (or http://)."),
        ({"commission_rate": "150"}, "commission_rate", "Enter 100 or less."),
        ({"commission_rate": "ten"}, "commission_rate", "Enter a number."),
        ({"commission_type": "flat", "commission_amount": "abc"}, "commission_amount",
         "Enter an amount such as 25 or 25.50."),
        ({"commission_type": "flat", "commission_amount": "1.234"}, "commission_amount",
         "Use at most 2 decimals for EUR."),
        ({"commission_type": "tiered", "commission_tiers": "5: 15"}, "commission_tiers",
         "One tier must start at min_referrals 0."),
        ({"commission_type": "tiered", "commission_tiers": "five"}, "commission_tiers",
         "Line 1: write 'referrals: rate', e.g. '5: 15'."),
        ({"attribution_window_days": "0"}, "attribution_window_days", "Enter 1 or more."),
        ({"currency": "XYZ"}, "currency", "'XYZ' is not an ISO 4217 currency code."),
        ({"minimum_payout": "-5"}, "minimum_payout", "Enter 0 or more."),
    ],
)  # fmt: skip
async def test_program_form_errors_are_next_to_the_field(
    signed_in: Browser, api: Api, changes: dict[str, str], field: str, message: str
) -> None:
    response = await signed_in.post("/dashboard/programs/new", {**PROGRAM_FORM, **changes})
    assert response.status_code == 400
    assert error_of(response.text, field) == message
    assert 'aria-invalid="true"' in response.text
    # What was typed is shown again.
    assert 'value="Campus Heroes"' in response.text or changes.get("name") == ""
    assert (await api.ok("GET", "/api/v1/programs"))["programs"] == []


async def test_program_edit_error_keeps_the_program(signed_in: Browser, api: Api) -> None:
    program_id = created_id(await signed_in.post("/dashboard/programs/new", PROGRAM_FORM), "prog")
    response = await signed_in.post(
        f"/dashboard/programs/{program_id}", {**PROGRAM_FORM, "landing_url": "nope"}
    )
    assert response.status_code == 400
    assert error_of(response.text, "landing_url")
    program = await api.ok("GET", f"/api/v1/programs/{program_id}")
    assert program["landing_url"] == "https://example.com/join"


async def test_ambassador_create_edit_and_their_page(signed_in: Browser, api: Api) -> None:
    funnel = await make_funnel(api)
    program_id = funnel.program["id"]
    assert (
        await signed_in.get("/dashboard/ambassadors/new", program=program_id)
    ).status_code == 200
    email = unique_email("amb")
    form = {"program_id": program_id, "first_name": "Lena", "last_name": "Ruiz", "email": email}
    user_id = created_id(await signed_in.post("/dashboard/ambassadors/new", form), "user")
    user = await api.ok("GET", f"/api/v1/users/{user_id}")
    assert (user["first_name"], user["email"]) == ("Lena", email)

    duplicate = await signed_in.post("/dashboard/ambassadors/new", form)
    assert duplicate.status_code == 400
    assert (
        error_of(duplicate.text, "email")
        == "An ambassador with this email already exists in this program."
    )
    bad = await signed_in.post(
        "/dashboard/ambassadors/new", {**form, "email": "not-an-email", "first_name": ""}
    )
    assert error_of(bad.text, "email") == "Enter an email address such as name@example.com."
    assert error_of(bad.text, "first_name") == "Please fill this in."
    no_program = await signed_in.post("/dashboard/ambassadors/new", {**form, "program_id": ""})
    assert error_of(no_program.text, "program_id")

    page = await signed_in.get(f"/dashboard/ambassadors/{user_id}")
    assert page.status_code == 200
    assert "Lena Ruiz" in page.text
    saved = await signed_in.post(
        f"/dashboard/ambassadors/{user_id}",
        {"first_name": "Lena", "last_name": "Ruiz-Ortega", "email": email},
    )
    assert saved.status_code == 303
    assert (await api.ok("GET", f"/api/v1/users/{user_id}"))["last_name"] == "Ruiz-Ortega"
    refused = await signed_in.post(
        f"/dashboard/ambassadors/{user_id}",
        {"first_name": "Lena", "last_name": "", "email": funnel.user["email"]},
    )
    assert refused.status_code == 400
    assert error_of(refused.text, "last_name") == "Please fill this in."

    listing = await signed_in.get("/dashboard/ambassadors", program=program_id)
    assert "Lena Ruiz-Ortega" in listing.text
    assert "Maya Okafor" in listing.text
    searched = await signed_in.get("/dashboard/ambassadors", q="ruiz")
    assert "Lena Ruiz-Ortega" in searched.text
    assert "Maya Okafor" not in searched.text


async def test_ambassador_list_shows_their_figures(signed_in: Browser, api: Api) -> None:
    funnel = await make_funnel(api, currency="USD")
    referral = await make_referral(api, funnel.impression["id"])
    await api.ok("POST", "/api/v1/earnings", {"referral_id": referral["id"], "amount": 1250})
    page = await signed_in.get("/dashboard/ambassadors", program=funnel.program["id"])
    row = page.text[page.text.index("Maya Okafor") :]
    cells = re.findall(r'class="num">(\d+)</td>', row)[:4]
    assert cells == ["1", "1", "1", "1"]  # posters, scans, referrals, converted
    assert "12.50 USD" in row


async def test_poster_create_qr_downloads_and_print(signed_in: Browser, api: Api) -> None:
    funnel = await make_funnel(api)
    user_id = funnel.user["id"]
    bad = await signed_in.post(
        f"/dashboard/ambassadors/{user_id}/posters",
        {"location": "Gym", "destination_url": "ftp://nope"},
    )
    assert bad.status_code == 400
    assert (
        error_of(bad.text, "destination_url")
        == "Enter a web address starting with https:// (or http://)."
    )
    poster_id = created_id(
        await signed_in.post(
            f"/dashboard/ambassadors/{user_id}/posters",
            {"location": "Cafeteria - North Wall", "destination_url": ""},
        ),
        "poster",
    )
    poster = await api.ok("GET", f"/api/v1/posters/{poster_id}")
    assert poster["location"] == "Cafeteria - North Wall"
    page = await signed_in.get(f"/dashboard/posters/{poster_id}")
    assert page.status_code == 200
    assert poster["scan_url"] in page.text
    assert "<svg" in page.text
    png = await signed_in.get(f"/dashboard/posters/{poster_id}/qr.png")
    assert png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG")
    assert "attachment" in png.headers["content-disposition"]
    svg = await signed_in.get(f"/dashboard/posters/{poster_id}/qr.svg")
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in svg.content
    printable = await signed_in.get(f"/dashboard/posters/{poster_id}/print")
    assert printable.status_code == 200
    assert "size: A4" in (await signed_in.get("/dashboard/static/print.css")).text
    for text in (funnel.program["name"], "Cafeteria - North Wall", poster["scan_url"], "<svg"):
        assert text in printable.text
    ambassador = await signed_in.get(f"/dashboard/ambassadors/{user_id}")
    assert "Cafeteria - North Wall" in ambassador.text

    updated = await signed_in.post(
        f"/dashboard/posters/{poster_id}",
        {"location": "Cafeteria - South Wall", "destination_url": "https://example.com/cafe"},
    )
    assert updated.status_code == 303
    poster = await api.ok("GET", f"/api/v1/posters/{poster_id}")
    assert poster["destination_url"] == "https://example.com/cafe"
    refused = await signed_in.post(
        f"/dashboard/posters/{poster_id}", {"location": "x" * 501, "destination_url": ""}
    )
    assert error_of(refused.text, "location") == "Use at most 500 characters."


async def test_referral_status_changes_only_where_allowed(signed_in: Browser, api: Api) -> None:
    funnel = await make_funnel(api)
    referral = await make_referral(api, funnel.impression["id"])
    page = await signed_in.get("/dashboard/referrals")
    row = page.text[page.text.index(f'id="row-{referral["id"]}"') :].split("</tr>")[0]
    assert re.findall(r'name="status" value="(\w+)"', row) == ["converted", "rejected"]
    here = "/dashboard/referrals?status=pending"
    moved = await signed_in.post(
        f"/dashboard/referrals/{referral['id']}/status", {"status": "converted", "next": here}
    )
    assert moved.status_code == 303
    assert moved.headers["location"] == here
    assert (await api.ok("GET", f"/api/v1/referrals/{referral['id']}"))["status"] == "converted"
    row = (await signed_in.get("/dashboard/referrals")).text
    row = row[row.index(f'id="row-{referral["id"]}"') :].split("</tr>")[0]
    assert re.findall(r'name="status" value="(\w+)"', row) == ["rejected", "verified"]
    # A transition the workflow does not allow is refused by the service, in words.
    refused = await signed_in.post(
        f"/dashboard/referrals/{referral['id']}/status", {"status": "pending", "next": here}
    )
    assert refused.status_code == 303
    assert refused.headers["location"] == here
    shown = await signed_in.get(refused.headers["location"])
    assert "cannot go from 'converted' to 'pending'" in html_unescape(shown.text)
    assert (await api.ok("GET", f"/api/v1/referrals/{referral['id']}"))["status"] == "converted"
    await signed_in.post(
        f"/dashboard/referrals/{referral['id']}/status", {"status": "rejected", "confirm": "yes"}
    )
    row = (await signed_in.get("/dashboard/referrals")).text
    row = row[row.index(f'id="row-{referral["id"]}"') :].split("</tr>")[0]
    assert "final" in row
    assert 'name="status"' not in row


async def test_referral_list_filters_on_the_server(signed_in: Browser, api: Api) -> None:
    first = await make_funnel(api)
    second = await make_funnel(api)
    old_time = datetime(2025, 1, 10, 12, tzinfo=UTC)
    with freeze(old_time):
        imp = await api.ok("POST", "/api/v1/impressions", {"poster_id": first.poster["id"]})
        await make_referral(api, imp["id"], first_name="Olde")
    await make_referral(api, first.impression["id"], first_name="Anna")
    b = await make_referral(api, second.impression["id"], first_name="Bert")
    await api.ok("PUT", f"/api/v1/referrals/{b['id']}", {"status": "converted"})

    async def names(**params: str) -> set[str]:
        text = (await signed_in.get("/dashboard/referrals", **params)).text
        return {n for n in ("Olde", "Anna", "Bert") if f"{n} Doe" in text}

    assert await names() == {"Olde", "Anna", "Bert"}
    assert await names(program=first.program["id"]) == {"Olde", "Anna"}
    assert await names(ambassador=second.user["id"]) == {"Bert"}
    assert await names(status="converted") == {"Bert"}
    assert await names(to="2025-01-10") == {"Olde"}
    assert await names(**{"from": "2025-01-11"}) == {"Anna", "Bert"}
    assert await names(**{"from": "2025-01-10", "to": "2025-01-10"}) == {"Olde"}
    bad_date = await signed_in.get("/dashboard/referrals", to="tomorrow")
    assert bad_date.status_code == 400
    assert "Enter a date as YYYY-MM-DD." in bad_date.text


async def test_lists_page_on_the_server(signed_in: Browser, api: Api) -> None:
    funnel = await make_funnel(api)
    for _ in range(3):
        await make_referral(api, funnel.impression["id"])
    first = await signed_in.get("/dashboard/referrals", limit="2")
    assert first.text.count('id="row-ref_') == 2
    next_link = re.search(r'href="([^"]+)" rel="next"', first.text)
    assert next_link
    second = await signed_in.get(next_link.group(1).replace("&amp;", "&"))
    assert second.text.count('id="row-ref_') == 1
    assert 'rel="prev"' in second.text
    assert 'rel="next"' not in second.text


async def test_earnings_list_and_status_changes(signed_in: Browser, api: Api) -> None:
    funnel = await make_funnel(api)
    referral = await make_referral(api, funnel.impression["id"])
    earning = await api.ok(
        "POST", "/api/v1/earnings", {"referral_id": referral["id"], "amount": 1999}
    )
    page = await signed_in.get("/dashboard/earnings", status="pending")
    assert "19.99 USD" in page.text
    row = page.text[page.text.index(f'id="row-{earning["id"]}"') :].split("</tr>")[0]
    assert re.findall(r'name="status" value="(\w+)"', row) == ["failed", "processing"]
    await signed_in.post(f"/dashboard/earnings/{earning['id']}/status", {"status": "processing"})
    await signed_in.post(
        f"/dashboard/earnings/{earning['id']}/status", {"status": "paid", "confirm": "yes"}
    )
    assert (await api.ok("GET", f"/api/v1/earnings/{earning['id']}"))["status"] == "paid"
    refused = await signed_in.post(
        f"/dashboard/earnings/{earning['id']}/status", {"status": "pending"}
    )
    assert refused.status_code == 303
    assert "cannot go from" in html_unescape((await signed_in.get("/dashboard/earnings")).text)
    assert (await signed_in.get("/dashboard/earnings", status="pending")).text.count(
        'id="row-earn_'
    ) == 0


async def test_overview_funnel_series_and_tops(signed_in: Browser, api: Api) -> None:
    empty = await signed_in.get("/dashboard/")
    assert empty.status_code == 200
    assert 'data-figure="scans">0<' in empty.text
    funnel = await make_funnel(api)
    r1 = await make_referral(api, funnel.impression["id"])
    await make_referral(api, funnel.impression["id"])
    await api.ok("POST", "/api/v1/earnings", {"referral_id": r1["id"], "amount": 700})
    await api.ok("PUT", f"/api/v1/referrals/{r1['id']}", {"status": "verified"})
    other = await make_funnel(api)
    page = await signed_in.get("/dashboard/", program=funnel.program["id"])
    figures = dict(re.findall(r'data-figure="(\w+)">([^<]*)<', page.text))
    assert figures == {
        "scans": "1",
        "referrals": "2",
        "converted": "1",
        "verified": "1",
        "earnings": "7.00 USD",
    }
    assert 'aria-label="Funnel. Scans: 1, Referrals: 2, Converted: 1, Verified: 1"' in page.text
    assert "<polyline" in page.text
    assert "Maya Okafor" in page.text  # top ambassador
    assert "Library - First Floor" in page.text  # top poster
    everything = await signed_in.get("/dashboard/")
    assert 'data-figure="scans">2<' in everything.text
    long_ago = await signed_in.get("/dashboard/", **{"from": "2020-01-01", "to": "2020-01-31"})
    assert 'data-figure="scans">0<' in long_ago.text
    assert other.program["id"]


async def test_api_keys_create_shown_once_and_revoke(
    signed_in: Browser, tenant: Tenant, client: Any
) -> None:
    empty = await signed_in.post("/dashboard/keys", {"name": ""})
    assert empty.status_code == 400
    assert error_of(empty.text, "name")
    created = await signed_in.post("/dashboard/keys", {"name": "Website backend"})
    assert created.status_code == 200
    secret = re.search(r'id="new-secret">(sk_test_[A-Za-z0-9]+)<', created.text)
    assert secret
    assert 'data-copy="new-secret"' in created.text
    api = Api(client, secret.group(1))
    assert (await api.get("/api/v1/programs")).status_code == 200
    listing = await signed_in.get("/dashboard/keys")
    assert secret.group(1) not in listing.text  # shown once only
    row = listing.text[listing.text.index('"Name">Website backend<') :].split("</tr>")[0]
    assert "never" not in row  # last used just now
    key_id = re.search(r"/dashboard/keys/(key_[0-9a-z]+)/revoke", row)
    assert key_id
    asked = await signed_in.post(f"/dashboard/keys/{key_id.group(1)}/revoke")
    assert asked.status_code == 200
    assert "Revoke the key “Website backend”?" in asked.text
    assert (await api.get("/api/v1/programs")).status_code == 200  # not yet
    revoked = await signed_in.post(f"/dashboard/keys/{key_id.group(1)}/revoke", {"confirm": "yes"})
    assert revoked.status_code == 303
    assert (await api.get("/api/v1/programs")).status_code == 401
    # Only this mode's keys are listed: the tenant's live key is not on the test page.
    keys_page = (await signed_in.get("/dashboard/keys")).text
    assert "<code>sk_test_" in keys_page
    assert "<code>sk_live_" not in keys_page


async def test_a_key_of_the_other_mode_is_revoked_from_this_one(
    signed_in: Browser, tenant: Tenant, runtime: Runtime
) -> None:
    """Keys are listed per mode but belong to the account: revoking is per account."""
    async with transaction(runtime.sessionmaker) as session:
        [live_key] = await api_key_service.list_keys(
            session, owner=repository.Tenant(tenant.account_id, livemode=True)
        )
    asked = await signed_in.post(f"/dashboard/keys/{live_key.id}/revoke")
    assert asked.status_code == 200
    revoked = await signed_in.post(f"/dashboard/keys/{live_key.id}/revoke", {"confirm": "yes"})
    assert revoked.status_code == 303
    assert (await tenant.live.get("/api/v1/programs")).status_code == 401


async def test_an_operator_never_sees_another_accounts_data(
    signed_in: Browser, runtime: Runtime, client: Any, api: Api
) -> None:
    stranger = await new_tenant(runtime, client)
    theirs = await make_funnel(stranger.test, name="Their Secret Program")
    referral = await make_referral(stranger.test, theirs.impression["id"])
    earning = await stranger.test.ok(
        "POST", "/api/v1/earnings", {"referral_id": referral["id"], "amount": 100}
    )
    await make_funnel(api, name="Our Program")
    for path in (
        "/dashboard/",
        "/dashboard/programs",
        "/dashboard/ambassadors",
        "/dashboard/referrals",
        "/dashboard/earnings",
        "/dashboard/keys",
    ):
        page = await signed_in.get(path)
        assert page.status_code == 200
        for secret in ("Their Secret Program", theirs.user["email"], referral["email"]):
            assert secret not in page.text, (path, secret)
    for path in (
        f"/dashboard/programs/{theirs.program['id']}",
        f"/dashboard/ambassadors/{theirs.user['id']}",
        f"/dashboard/posters/{theirs.poster['id']}",
        f"/dashboard/posters/{theirs.poster['id']}/qr.png",
        f"/dashboard/posters/{theirs.poster['id']}/print",
    ):
        assert (await signed_in.get(path)).status_code == 404, path
    for path, data in (
        (f"/dashboard/referrals/{referral['id']}/status", {"status": "rejected"}),
        (f"/dashboard/earnings/{earning['id']}/status", {"status": "failed"}),
        (f"/dashboard/programs/{theirs.program['id']}", {"name": "Mine now"}),
        (f"/dashboard/ambassadors/{theirs.user['id']}/posters", {"location": "x"}),
        (f"/dashboard/keys/{stranger.test_key_id}/revoke", {}),
    ):
        assert (await signed_in.post(path, data)).status_code == 404, path
    assert (await stranger.test.ok("GET", f"/api/v1/referrals/{referral['id']}"))[
        "status"
    ] == "converted"  # as their earning left it: not rejected by us
    assert (await stranger.test.get("/api/v1/programs")).status_code == 200  # key not revoked


async def test_program_referee_voucher_is_picked_from_the_vouchers(
    signed_in: Browser, api: Api
) -> None:
    voucher = await api.ok(
        "POST", "/v1/vouchers", {"code": f"WELCOME{api.key[-4:].upper()}", "type": "percentage",
                                 "value": 10}
    )  # fmt: skip
    form = await signed_in.get("/dashboard/programs/new")
    assert f'<option value="{voucher["id"]}"' in form.text
    program_id = created_id(
        await signed_in.post(
            "/dashboard/programs/new", {**PROGRAM_FORM, "referee_voucher_id": voucher["id"]}
        ),
        "prog",
    )
    program = await api.ok("GET", f"/api/v1/programs/{program_id}")
    assert program["referee_voucher_id"] == voucher["id"]
    cleared = await signed_in.post(
        f"/dashboard/programs/{program_id}", {**PROGRAM_FORM, "referee_voucher_id": ""}
    )
    assert cleared.status_code == 303
    assert (await api.ok("GET", f"/api/v1/programs/{program_id}"))["referee_voucher_id"] is None
    unknown = await signed_in.post(
        "/dashboard/programs/new", {**PROGRAM_FORM, "referee_voucher_id": "v_0000000000"}
    )
    assert unknown.status_code == 400
    assert error_of(unknown.text, "referee_voucher_id")
