"""Every list downloads as CSV with its filters, in chunks read by keyset, formula-safe; the
figures in the CSVs are the pages' (and so the analytics API's)."""

import csv
import io
from typing import Any

import pytest

from tests.dashboard.test_dashboard_figures import build
from tests.dashboard_helpers import Browser
from tests.helpers import Api, make_funnel, make_referral, make_user
from vantio.dashboard import exports


def table(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith("attachment;")
    return list(csv.DictReader(io.StringIO(response.text)))


async def test_referrals_csv_keeps_the_filters_and_is_formula_safe(
    signed_in: Browser, api: Api
) -> None:
    first = await make_funnel(api)
    second = await make_funnel(api)
    evil = await make_referral(api, first.impression["id"], first_name="=HYPERLINK(1)")
    await make_referral(api, second.impression["id"], first_name="Bert")
    everything = table(await signed_in.get("/dashboard/referrals.csv"))
    assert len(everything) == 2
    mine = table(await signed_in.get("/dashboard/referrals.csv", program=first.program["id"]))
    assert [row["id"] for row in mine] == [evil["id"]]
    assert mine[0]["first_name"] == "'=HYPERLINK(1)"  # shown as text by a spreadsheet
    assert mine[0]["ambassador"] == f"{first.user['first_name']} {first.user['last_name']}"
    by_name = table(
        await signed_in.get("/dashboard/referrals.csv", ambassador=second.user["email"])
    )
    assert [row["first_name"] for row in by_name] == ["Bert"]
    assert table(await signed_in.get("/dashboard/referrals.csv", status="verified")) == []
    page = await signed_in.get("/dashboard/referrals", status="pending")
    assert 'href="/dashboard/referrals.csv?status=pending"' in page.text


async def test_a_long_export_is_read_in_keyset_chunks(
    signed_in: Browser, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunks of 4 over 11 rows: every row once, newest first, as the list orders them."""
    monkeypatch.setattr(exports, "CHUNK", 4)
    funnel = await make_funnel(api)
    made = [await make_referral(api, funnel.impression["id"]) for _ in range(11)]
    rows = table(await signed_in.get("/dashboard/referrals.csv"))
    assert [row["id"] for row in rows] == [r["id"] for r in reversed(made)]


async def test_earnings_and_payouts_csv_in_major_units(signed_in: Browser, api: Api) -> None:
    funnel = await make_funnel(api, currency="EUR")
    referral = await make_referral(api, funnel.impression["id"])
    earning = await api.ok(
        "POST", "/api/v1/earnings", {"referral_id": referral["id"], "amount": 1999}
    )
    rows = table(await signed_in.get("/dashboard/earnings.csv", status="pending"))
    assert [(r["id"], r["amount"], r["currency"]) for r in rows] == [
        (earning["id"], "19.99", "EUR")
    ]
    await signed_in.post("/dashboard/payouts", {"program_id": funnel.program["id"]})
    payouts = table(await signed_in.get("/dashboard/payouts.csv"))
    assert [(r["amount"], r["status"], r["earnings"]) for r in payouts] == [
        ("19.99", "processing", "1")
    ]
    assert table(await signed_in.get("/dashboard/payouts.csv", status="paid")) == []


async def test_ambassadors_and_posters_csv_hold_the_api_figures(
    signed_in: Browser, api: Api
) -> None:
    world = await build(api)
    campus = world["programs"][0]
    rows = {r["id"]: r for r in table(await signed_in.get("/dashboard/ambassadors.csv"))}
    board = await api.ok(
        "GET", "/api/v1/analytics/leaderboard", currency="USD", **{"from": "1970-01-01"}
    )
    for row in board["ambassadors"]:
        mine = rows[row["student_id"]]
        assert (int(mine["scans"]), int(mine["referrals"]), int(mine["converted"])) == (
            row["impressions"],
            row["referrals"],
            row["converted"],
        )
    maya = rows[world["ambassadors"]["maya"]]
    assert maya["earned"] == "5.00 EUR; 38.00 USD"
    assert int(maya["posters"]) == 2
    only = table(await signed_in.get("/dashboard/ambassadors.csv", q="Idle"))
    assert [r["id"] for r in only] == [world["ambassadors"]["idle"]]

    places = await api.ok("GET", "/api/v1/analytics/posters", program_id=campus)
    posters = {
        r["id"]: r for r in table(await signed_in.get("/dashboard/posters.csv", program=campus))
    }
    assert set(posters) == {p["poster_id"] for p in places["posters"]}
    for place in places["posters"]:
        mine = posters[place["poster_id"]]
        assert (int(mine["scans"]), int(mine["referrals"]), int(mine["converted"])) == (
            place["scans"],
            place["referrals"],
            place["converted"],
        )
        assert mine["scan_url"].endswith(f"/s/{mine['code']}")
    dated = table(
        await signed_in.get(
            "/dashboard/posters.csv", program=campus, **{"from": "2020-01-01", "to": "2020-01-31"}
        )
    )
    assert {int(r["scans"]) for r in dated} == {0}


async def test_a_foreign_ambassador_filter_exports_nothing(
    signed_in: Browser, api: Api, runtime: Any, client: Any
) -> None:
    from tests.helpers import new_tenant

    other = (await new_tenant(runtime, client)).test
    funnel = await make_funnel(other)
    await make_referral(other, funnel.impression["id"])
    mine = await make_funnel(api)
    await make_user(api, mine.program["id"])
    rows = table(await signed_in.get("/dashboard/referrals.csv", ambassador=funnel.user["id"]))
    assert rows == []


async def test_voucher_applications_csv_reads_every_application_in_chunks(
    signed_in: Browser, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.dashboard.test_dashboard_money import VOUCHER_FORM, new_code

    monkeypatch.setattr(exports, "CHUNK", 2)
    code = new_code()
    created = await signed_in.post("/dashboard/vouchers/new", {**VOUCHER_FORM, "code": code})
    voucher_id = created.headers["location"].rsplit("/", 1)[1]
    for number in range(5):
        applied = await api.post(
            "/v1/vouchers/apply",
            {"code": code, "order_id": f"=o-{number}", "order": {"value": 1999, "currency": "USD"}},
        )
        assert applied.status_code == 200, applied.text
    rows = table(await signed_in.get(f"/dashboard/vouchers/{voucher_id}/applications.csv"))
    assert [r["order_id"] for r in rows] == [f"'=o-{n}" for n in reversed(range(5))]
    assert {(r["order_value"], r["discount"], r["final_amount"]) for r in rows} == {
        ("19.99", "4.00", "15.99")
    }
    page = await signed_in.get(f"/dashboard/vouchers/{voucher_id}")
    assert f'href="/dashboard/vouchers/{voucher_id}/applications.csv"' in page.text
