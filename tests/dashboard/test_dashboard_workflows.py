"""Workflows: a final action asks first (a page that works without JavaScript), every action ends
with a message on the list it came from (with its filters), actions on many rows at once, and
ambassadors picked by name."""

import re
from html import unescape
from typing import Any

from tests.dashboard_helpers import Browser
from tests.helpers import Api, make_funnel, make_referral, make_user


def rows(html: str, prefix: str) -> set[str]:
    return set(re.findall(rf'id="row-({prefix}_[0-9a-z]+)"', html))


def flash(html: str) -> str | None:
    found = re.search(r'id="flash">([^<]*)<', html)
    return unescape(found.group(1)) if found else None


async def test_reject_asks_first_then_returns_to_the_filtered_list_with_a_message(
    signed_in: Browser, api: Api
) -> None:
    funnel = await make_funnel(api)
    referral = await make_referral(api, funnel.impression["id"], first_name="Rita")
    here = f"/dashboard/referrals?status=pending&program={funnel.program['id']}"
    asked = await signed_in.post(
        f"/dashboard/referrals/{referral['id']}/status", {"status": "rejected", "next": here}
    )
    assert asked.status_code == 200
    assert "Mark this referral rejected?" in asked.text
    assert "Rita Doe" in asked.text
    # The confirmation page posts the same fields again, plus confirm=yes; Cancel goes back.
    form = asked.text[asked.text.index('class="confirm-form"') :]
    assert 'name="confirm" value="yes"' in form
    assert f'name="next" value="{here.replace("&", "&amp;")}"' in form
    assert f'href="{here.replace("&", "&amp;")}" id="confirm-cancel"' in asked.text
    assert (await api.ok("GET", f"/api/v1/referrals/{referral['id']}"))["status"] == "pending"
    done = await signed_in.post(
        f"/dashboard/referrals/{referral['id']}/status",
        {"status": "rejected", "next": here, "confirm": "yes"},
    )
    assert done.status_code == 303
    assert done.headers["location"] == here
    assert (await api.ok("GET", f"/api/v1/referrals/{referral['id']}"))["status"] == "rejected"
    page = await signed_in.get(here)
    assert flash(page.text) == "Referral marked rejected."
    assert 'value="pending" selected' in page.text  # the filters kept
    assert flash((await signed_in.get(here)).text) is None  # shown once


async def test_the_row_forms_carry_the_lists_filters(signed_in: Browser, api: Api) -> None:
    """The forms on a filtered list post it back as `next` (the header's navigation once
    shadowed it with the bare path)."""
    funnel = await make_funnel(api)
    await make_referral(api, funnel.impression["id"])
    page = await signed_in.get("/dashboard/referrals", status="pending", program="")
    assert 'name="next" value="/dashboard/referrals?status=pending&amp;program="' in page.text
    listing = page.text[page.text.index('class="listing-main"') :]
    assert 'name="next" value="/dashboard/referrals"' not in listing


async def test_a_move_that_is_not_final_needs_no_confirmation(signed_in: Browser, api: Api) -> None:
    funnel = await make_funnel(api)
    referral = await make_referral(api, funnel.impression["id"])
    moved = await signed_in.post(
        f"/dashboard/referrals/{referral['id']}/status", {"status": "converted"}
    )
    assert moved.status_code == 303
    assert flash((await signed_in.get(moved.headers["location"])).text) == (
        "Referral marked converted."
    )


async def test_next_never_leaves_the_dashboard(signed_in: Browser, api: Api) -> None:
    funnel = await make_funnel(api)
    referral = await make_referral(api, funnel.impression["id"])
    for target in ("https://evil.example/", "//evil.example/", "/dashboard\\..\\x", "/api/v1"):
        moved = await signed_in.post(
            f"/dashboard/referrals/{referral['id']}/status",
            {"status": "converted", "next": target},
        )
        assert moved.headers["location"] == "/dashboard/referrals", target


async def test_bulk_verify_reports_each_row_and_bulk_reject_asks_first(
    signed_in: Browser, api: Api
) -> None:
    funnel = await make_funnel(api)
    made = [await make_referral(api, funnel.impression["id"]) for _ in range(3)]
    for referral in made[:2]:
        await api.ok("PUT", f"/api/v1/referrals/{referral['id']}", {"status": "converted"})
    ids = [r["id"] for r in made]
    listing = await signed_in.get("/dashboard/referrals")
    assert all(f'name="ids" value="{i}" form="bulk"' in listing.text for i in ids)
    here = "/dashboard/referrals?status=converted"
    done = await signed_in.post(
        "/dashboard/referrals/bulk", {"ids": ids, "status": "verified", "next": here}
    )
    assert done.status_code == 303
    assert done.headers["location"] == here
    message = flash((await signed_in.get(here)).text) or ""
    assert message.startswith("2 referrals marked verified. 1 not changed:")
    assert ids[2] in message
    assert "cannot go from 'pending' to 'verified'" in message
    statuses = [(await api.ok("GET", f"/api/v1/referrals/{i}"))["status"] for i in ids]
    assert statuses == ["verified", "verified", "pending"]

    asked = await signed_in.post("/dashboard/referrals/bulk", {"ids": ids, "status": "rejected"})
    assert asked.status_code == 200
    assert "Mark 3 referrals rejected?" in asked.text
    assert asked.text.count('name="ids"') == 3
    done = await signed_in.post(
        "/dashboard/referrals/bulk", {"ids": ids, "status": "rejected", "confirm": "yes"}
    )
    assert flash((await signed_in.get(done.headers["location"])).text) == (
        "3 referrals marked rejected."
    )
    nothing = await signed_in.post("/dashboard/referrals/bulk", {"status": "verified"})
    assert flash((await signed_in.get(nothing.headers["location"])).text) == (
        "Select at least one referral."
    )


async def test_bulk_mark_paid_on_earnings_and_payouts(signed_in: Browser, api: Api) -> None:
    funnel = await make_funnel(api)
    earnings = []
    for amount in (1000, 2000):
        referral = await make_referral(api, funnel.impression["id"])
        earning = await api.ok(
            "POST", "/api/v1/earnings", {"referral_id": referral["id"], "amount": amount}
        )
        earnings.append(earning["id"])
    await signed_in.post("/dashboard/earnings/bulk", {"ids": earnings, "status": "processing"})
    await signed_in.post(
        "/dashboard/earnings/bulk", {"ids": earnings, "status": "paid", "confirm": "yes"}
    )
    for earning_id in earnings:
        assert (await api.ok("GET", f"/api/v1/earnings/{earning_id}"))["status"] == "paid"

    other = await make_funnel(api)
    for amount in (1500, 2500):
        user = await make_user(api, other.program["id"])
        poster = await api.ok(
            "POST",
            "/api/v1/posters",
            {"program_id": other.program["id"], "student_id": user["id"]},
        )
        impression = await api.ok("POST", "/api/v1/impressions", {"poster_id": poster["id"]})
        referral = await make_referral(api, impression["id"])
        await api.ok("POST", "/api/v1/earnings", {"referral_id": referral["id"], "amount": amount})
    await signed_in.post("/dashboard/payouts", {"program_id": other.program["id"]})
    payouts = [p["id"] for p in (await api.ok("GET", "/api/v1/payouts"))["payouts"]]
    assert len(payouts) == 2
    asked = await signed_in.post("/dashboard/payouts/bulk", {"ids": payouts, "status": "paid"})
    assert "Mark 2 payouts paid?" in asked.text
    done = await signed_in.post(
        "/dashboard/payouts/bulk", {"ids": payouts, "status": "paid", "confirm": "yes"}
    )
    assert flash((await signed_in.get(done.headers["location"])).text) == "2 payouts marked paid."
    for payout_id in payouts:
        assert (await api.ok("GET", f"/api/v1/payouts/{payout_id}"))["status"] == "paid"


async def test_bulk_on_another_accounts_rows_changes_nothing(
    signed_in: Browser, api: Api, runtime: Any, client: Any
) -> None:
    from tests.helpers import new_tenant

    other = (await new_tenant(runtime, client)).test
    funnel = await make_funnel(other)
    foreign = await make_referral(other, funnel.impression["id"])
    done = await signed_in.post(
        "/dashboard/referrals/bulk", {"ids": [foreign["id"]], "status": "converted"}
    )
    message = flash((await signed_in.get(done.headers["location"])).text) or ""
    assert message.startswith("0 referrals marked converted. 1 not changed")
    assert (await other.ok("GET", f"/api/v1/referrals/{foreign['id']}"))["status"] == "pending"


async def test_ambassadors_are_picked_by_name(signed_in: Browser, api: Api) -> None:
    funnel = await make_funnel(api)
    program_id = funnel.program["id"]
    ada = await make_user(api, program_id, first_name="Ada", last_name="Lovelace")
    alan = await make_user(api, program_id, first_name="Alan", last_name="Turing")
    for user in (ada, alan):
        poster = await api.ok(
            "POST", "/api/v1/posters", {"program_id": program_id, "student_id": user["id"]}
        )
        impression = await api.ok("POST", "/api/v1/impressions", {"poster_id": poster["id"]})
        await make_referral(api, impression["id"], first_name=f"By{user['first_name']}")

    async def people(ambassador: str) -> tuple[set[str], str]:
        page = await signed_in.get("/dashboard/referrals", ambassador=ambassador)
        found = {n for n in ("ByAda", "ByAlan") if f"{n} Doe" in page.text}
        return found, page.text

    found, html = await people("")
    assert found == {"ByAda", "ByAlan"}
    # Suggestions: a <datalist> of names with emails (works without JavaScript).
    assert 'list="ambassador-suggestions"' in html
    assert f'<option value="Ada Lovelace &lt;{ada["email"]}&gt;">' in html
    found, html = await people("lovelace")  # a part of a name
    assert found == {"ByAda"}
    assert f'value="Ada Lovelace &lt;{ada["email"]}&gt;"' in html  # the field names who
    found, _ = await people(f"Alan Turing <{alan['email']}>")  # a suggestion picked
    assert found == {"ByAlan"}
    found, _ = await people(alan["id"])  # a link from an ambassador's page
    assert found == {"ByAlan"}
    found, html = await people("a")  # several match: pick one
    assert found == set()
    assert "Several ambassadors match" in html
    assert f"ambassador={alan['id']}" in html
    assert "Alan Turing" in html
    found, html = await people("nobody-at-all")
    assert found == set()
    assert "No ambassador matches" in html
    # The same field on earnings and payouts.
    for path in ("/dashboard/earnings", "/dashboard/payouts"):
        page = await signed_in.get(path, ambassador="lovelace")
        assert page.status_code == 200
        assert f'value="Ada Lovelace &lt;{ada["email"]}&gt;"' in page.text
