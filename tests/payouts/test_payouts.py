"""Payouts: grouping pending earnings per ambassador and currency, the minimum, paid/failed,
events, listing, the CSV payment run, and the database's guarantee that an earning is never in
two live payouts."""

import asyncio
import csv
import io
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tests.helpers import (
    Api,
    Tenant,
    make_impression,
    make_poster,
    make_program,
    make_referral,
    make_user,
)
from vantio.auth.context import AuthContext
from vantio.db.types import is_unique_violation
from vantio.payouts import runs as payout_runs
from vantio.payouts.models import PayoutEarning
from vantio.runtime import Runtime


async def earn(api: Api, impression_id: str, amount: int, **fields: Any) -> dict[str, Any]:
    referral = await make_referral(api, impression_id)
    return await api.ok(
        "POST", "/api/v1/earnings", {"referral_id": referral["id"], "amount": amount, **fields}
    )


async def ambassador(api: Api, program_id: str, **fields: Any) -> tuple[dict[str, Any], str]:
    """An ambassador and the id of one scan of their poster."""
    user = await make_user(api, program_id, **fields)
    poster = await make_poster(api, program_id, user["id"])
    impression = await make_impression(api, poster["id"])
    return user, impression["id"]


async def events_of(api: Api, type: str) -> list[dict[str, Any]]:
    body = await api.ok("GET", "/api/v1/events", type=type, limit="100")
    events: list[dict[str, Any]] = body["events"]
    return events


async def test_groups_pending_earnings_per_ambassador_and_respects_the_minimum(api: Api) -> None:
    program = await make_program(api, minimum_payout=1000)
    maya, maya_scan = await ambassador(api, program["id"])
    leo, leo_scan = await ambassador(api, program["id"])
    first = await earn(api, maya_scan, 600)
    second = await earn(api, maya_scan, 500)
    small = await earn(api, leo_scan, 300)

    run = await api.ok("POST", "/api/v1/payouts", {"program_id": program["id"]})

    assert len(run["payouts"]) == 1
    payout = run["payouts"][0]
    assert payout["id"].startswith("payout_")
    assert payout["program_id"] == program["id"]
    assert payout["student_id"] == maya["id"]
    assert payout["amount"] == 1100
    assert payout["currency"] == "USD"
    assert payout["status"] == "processing"
    assert payout["earnings_count"] == 2
    assert payout["paid_at"] is None
    assert payout["created_at"].endswith("Z")
    assert run["skipped"] == [
        {
            "student_id": leo["id"],
            "currency": "USD",
            "pending_amount": 300,
            "reason": "below_minimum",
            "payable_at": None,
        }
    ]
    for earning in (first, second):
        moved = await api.ok("GET", f"/api/v1/earnings/{earning['id']}")
        assert moved["status"] == "processing"
        assert moved["reference_id"] == payout["id"]
    untouched = await api.ok("GET", f"/api/v1/earnings/{small['id']}")
    assert (untouched["status"], untouched["reference_id"]) == ("pending", None)

    created = await events_of(api, "payout.created")
    assert [e["data"]["id"] for e in created] == [payout["id"]]
    assert created[0]["data"]["amount"] == 1100
    changes = await events_of(api, "earning.status_changed")
    assert sorted(e["data"]["id"] for e in changes) == sorted([first["id"], second["id"]])
    assert {e["data"]["status"] for e in changes} == {"processing"}
    assert {e["data"]["previous_status"] for e in changes} == {"pending"}
    assert {e["data"]["reference_id"] for e in changes} == {payout["id"]}

    again = await api.ok("POST", "/api/v1/payouts", {"program_id": program["id"]})
    assert again["payouts"] == []
    assert [s["student_id"] for s in again["skipped"]] == [leo["id"]]


async def test_one_payout_per_currency_and_student_filter(api: Api) -> None:
    program = await make_program(api, currency="EUR")
    maya, maya_scan = await ambassador(api, program["id"])
    _, leo_scan = await ambassador(api, program["id"])
    await earn(api, maya_scan, 700)
    await earn(api, maya_scan, 900, currency="JPY")
    await earn(api, maya_scan, 100)
    leo_earning = await earn(api, leo_scan, 5000)

    run = await api.ok(
        "POST", "/api/v1/payouts", {"program_id": program["id"], "student_id": maya["id"]}
    )

    by_currency = {p["currency"]: p for p in run["payouts"]}
    assert set(by_currency) == {"EUR", "JPY"}
    assert (by_currency["EUR"]["amount"], by_currency["EUR"]["earnings_count"]) == (800, 2)
    assert (by_currency["JPY"]["amount"], by_currency["JPY"]["earnings_count"]) == (900, 1)
    assert {p["student_id"] for p in run["payouts"]} == {maya["id"]}
    still = await api.ok("GET", f"/api/v1/earnings/{leo_earning['id']}")
    assert still["status"] == "pending"


async def test_paid_moves_every_earning_to_paid(api: Api) -> None:
    program = await make_program(api)
    _, scan = await ambassador(api, program["id"])
    earnings = [await earn(api, scan, amount) for amount in (250, 750)]
    payout = (await api.ok("POST", "/api/v1/payouts", {"program_id": program["id"]}))["payouts"][0]

    paid = await api.ok("PUT", f"/api/v1/payouts/{payout['id']}", {"status": "paid"})

    assert paid["status"] == "paid"
    assert paid["paid_at"] is not None
    for earning in earnings:
        after = await api.ok("GET", f"/api/v1/earnings/{earning['id']}")
        assert after["status"] == "paid"
        assert after["paid_at"] is not None
        assert after["reference_id"] == payout["id"]
    assert [e["data"]["id"] for e in await events_of(api, "payout.paid")] == [payout["id"]]
    to_paid = [
        e for e in await events_of(api, "earning.status_changed") if e["data"]["status"] == "paid"
    ]
    assert sorted(e["data"]["id"] for e in to_paid) == sorted(e["id"] for e in earnings)

    same = await api.ok("PUT", f"/api/v1/payouts/{payout['id']}", {"status": "paid"})
    assert same["paid_at"] == paid["paid_at"]
    refused = await api.put(f"/api/v1/payouts/{payout['id']}", {"status": "failed"})
    assert refused.status_code == 400
    assert refused.json()["code"] == "invalid_status_transition"
    assert refused.json()["message"] == "status: a payout cannot go from 'paid' to 'failed'"
    assert refused.json()["details"] == {
        "field": "status",
        "current": "paid",
        "requested": "failed",
        "allowed": [],
    }


async def test_failed_moves_earnings_to_failed_and_they_can_be_retried(api: Api) -> None:
    program = await make_program(api, minimum_payout=500)
    _, scan = await ambassador(api, program["id"])
    earnings = [await earn(api, scan, amount) for amount in (300, 400)]
    first = (await api.ok("POST", "/api/v1/payouts", {"program_id": program["id"]}))["payouts"][0]

    failed = await api.ok("PUT", f"/api/v1/payouts/{first['id']}", {"status": "failed"})

    assert (failed["status"], failed["paid_at"]) == ("failed", None)
    for earning in earnings:
        after = await api.ok("GET", f"/api/v1/earnings/{earning['id']}")
        assert after["status"] == "failed"
    assert [e["data"]["id"] for e in await events_of(api, "payout.failed")] == [first["id"]]

    # The retry: the earnings go back to pending and the next run pays them in a new payout.
    for earning in earnings:
        await api.ok("PUT", f"/api/v1/earnings/{earning['id']}", {"status": "pending"})
    second = (await api.ok("POST", "/api/v1/payouts", {"program_id": program["id"]}))["payouts"]
    assert len(second) == 1
    assert second[0]["id"] != first["id"]
    assert (second[0]["amount"], second[0]["earnings_count"]) == (700, 2)
    for earning in earnings:
        after = await api.ok("GET", f"/api/v1/earnings/{earning['id']}")
        assert (after["status"], after["reference_id"]) == ("processing", second[0]["id"])
    # The failed payout keeps its record: still 700 over the same two earnings.
    assert (await api.ok("GET", f"/api/v1/payouts/{first['id']}"))["amount"] == 700


async def test_amount_of_an_earning_in_a_payout_is_locked(api: Api) -> None:
    program = await make_program(api)
    _, scan = await ambassador(api, program["id"])
    earning = await earn(api, scan, 1000)
    await api.ok("POST", "/api/v1/payouts", {"program_id": program["id"]})

    response = await api.put(f"/api/v1/earnings/{earning['id']}", {"amount": 5})

    assert response.status_code == 400
    assert response.json()["code"] == "earning_locked"


async def test_paid_is_refused_when_an_earning_moved_elsewhere(api: Api) -> None:
    program = await make_program(api)
    _, scan = await ambassador(api, program["id"])
    kept = await earn(api, scan, 1000)
    moved = await earn(api, scan, 2000)
    payout = (await api.ok("POST", "/api/v1/payouts", {"program_id": program["id"]}))["payouts"][0]
    await api.ok("PUT", f"/api/v1/earnings/{moved['id']}", {"status": "failed"})

    response = await api.put(f"/api/v1/payouts/{payout['id']}", {"status": "paid"})

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "payout_earnings_changed"
    assert body["details"]["earning_ids"] == [moved["id"]]
    assert (await api.ok("GET", f"/api/v1/earnings/{kept['id']}"))["status"] == "processing"
    # Failing it is always possible and releases both.
    await api.ok("PUT", f"/api/v1/payouts/{payout['id']}", {"status": "failed"})
    assert (await api.ok("GET", f"/api/v1/earnings/{kept['id']}"))["status"] == "failed"


async def test_list_filters_get_and_csv(api: Api) -> None:
    program = await make_program(api)
    other_program = await make_program(api)
    maya, maya_scan = await ambassador(
        api, program["id"], first_name="Maya", last_name="Okafor", email="maya.payout@example.com"
    )
    _, leo_scan = await ambassador(api, program["id"])
    _, other_scan = await ambassador(api, other_program["id"])
    await earn(api, maya_scan, 123456)
    await earn(api, maya_scan, 1)
    await earn(api, leo_scan, 500)
    await earn(api, other_scan, 500)
    run = await api.ok("POST", "/api/v1/payouts", {"program_id": program["id"]})
    await api.ok("POST", "/api/v1/payouts", {"program_id": other_program["id"]})
    maya_payout = next(p for p in run["payouts"] if p["student_id"] == maya["id"])
    leo_payout = next(p for p in run["payouts"] if p["student_id"] != maya["id"])
    await api.ok("PUT", f"/api/v1/payouts/{leo_payout['id']}", {"status": "paid"})

    for name in ("program_id", "programId"):
        listed = await api.ok("GET", "/api/v1/payouts", **{name: program["id"]})
        assert [p["id"] for p in listed["payouts"]] == sorted(
            [maya_payout["id"], leo_payout["id"]], reverse=True
        )
        assert listed["has_more"] is False
    for name in ("student_id", "studentId"):
        listed = await api.ok("GET", "/api/v1/payouts", **{name: maya["id"]})
        assert [p["id"] for p in listed["payouts"]] == [maya_payout["id"]]
    paid = await api.ok("GET", "/api/v1/payouts", program_id=program["id"], status="paid")
    assert [p["id"] for p in paid["payouts"]] == [leo_payout["id"]]
    assert (await api.get("/api/v1/payouts", status="sent")).status_code == 400
    assert (await api.get("/api/v1/payouts", program_id="user_1")).status_code == 400

    one = await api.ok("GET", f"/api/v1/payouts/{maya_payout['id']}")
    lines = one.pop("lines")
    assert one == {**maya_payout, "updated_at": one["updated_at"]}
    assert sum(line["amount"] for line in lines) == maya_payout["amount"]

    response = await api.get(f"/api/v1/payouts/{maya_payout['id']}.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows == [
        ["payout_id", "ambassador", "email", "amount", "currency", "earnings_count"],
        [maya_payout["id"], "Maya Okafor", "maya.payout@example.com", "1234.57", "USD", "2"],
    ]


async def test_bad_input_and_foreign_objects(api: Api, tenant: Tenant) -> None:
    program = await make_program(api)
    other_program = await make_program(api)
    stranger = await make_user(api, other_program["id"])
    foreign_program = await make_program(tenant.live)

    missing = await api.post("/api/v1/payouts", {"program_id": foreign_program["id"]})
    assert missing.status_code == 400
    assert missing.json()["code"] == "program_not_found"
    wrong_student = await api.post(
        "/api/v1/payouts", {"program_id": program["id"], "student_id": stranger["id"]}
    )
    assert wrong_student.status_code == 400
    assert wrong_student.json()["message"].startswith("student_id:")
    typo = await api.post("/api/v1/payouts", {"program_id": program["id"], "studnet_id": "x"})
    assert typo.status_code == 400
    assert (await api.get("/api/v1/payouts/payout_0000000000")).status_code == 404
    assert (await api.get("/api/v1/payouts/ref_0000000000")).status_code == 400
    bad_status = await api.put("/api/v1/payouts/payout_0000000000", {"status": "processing"})
    assert bad_status.status_code == 400


def auth_of(tenant: Tenant) -> AuthContext:
    return AuthContext(account_id=tenant.account_id, livemode=False, api_key_id=tenant.test_key_id)


async def many_earnings(api: Api, program_id: str, ambassadors: int, each: int) -> list[str]:
    ids = []
    for _ in range(ambassadors):
        _, scan = await ambassador(api, program_id)
        for amount in range(100, 100 + each):
            ids.append((await earn(api, scan, amount))["id"])
    return ids


async def assert_each_earning_in_one_payout(api: Api, program_id: str, earning_ids: list[str]):  # type: ignore[no-untyped-def]
    payouts = (await api.ok("GET", "/api/v1/payouts", program_id=program_id))["payouts"]
    earnings = [await api.ok("GET", f"/api/v1/earnings/{e}") for e in earning_ids]
    assert {e["status"] for e in earnings} == {"processing"}
    by_payout: dict[str, list[dict[str, Any]]] = {}
    for earning in earnings:
        by_payout.setdefault(earning["reference_id"], []).append(earning)
    assert set(by_payout) == {p["id"] for p in payouts}
    for payout in payouts:
        members = by_payout[payout["id"]]
        assert payout["amount"] == sum(e["amount"] for e in members)
        assert payout["earnings_count"] == len(members)
    return payouts


async def test_two_runs_at_once_never_share_an_earning(api: Api) -> None:
    program = await make_program(api)
    earning_ids = await many_earnings(api, program["id"], ambassadors=3, each=4)

    runs = await asyncio.gather(
        *(api.post("/api/v1/payouts", {"program_id": program["id"]}) for _ in range(4))
    )

    assert [r.status_code for r in runs] == [200] * 4
    created = [p["id"] for r in runs for p in r.json()["payouts"]]
    assert len(created) == len(set(created)) == 3
    payouts = await assert_each_earning_in_one_payout(api, program["id"], earning_ids)
    assert sorted(p["id"] for p in payouts) == sorted(created)


async def test_a_run_skips_earnings_another_open_run_holds(
    api: Api, tenant: Tenant, runtime: Runtime, backend: str
) -> None:
    """Two transactions interleaved by hand: the second starts while the first holds its claim."""
    if backend != "postgresql":
        pytest.skip("SQLite has a single writer: the second transaction cannot start meanwhile")
    program = await make_program(api)
    earning_ids = await many_earnings(api, program["id"], ambassadors=2, each=2)
    auth = auth_of(tenant)

    async with runtime.sessionmaker() as first:
        held = await payout_runs.create_payouts(first, auth, program_id=program["id"])
        async with runtime.sessionmaker() as second:
            meanwhile = await payout_runs.create_payouts(second, auth, program_id=program["id"])
            await second.commit()
        await first.commit()

    assert len(held.payouts) == 2
    assert (meanwhile.payouts, meanwhile.skipped) == ([], [])
    await assert_each_earning_in_one_payout(api, program["id"], earning_ids)


async def test_the_database_refuses_an_earning_in_two_live_payouts(
    api: Api, runtime: Runtime
) -> None:
    """Even a run that bypassed the locks could not commit a second live claim."""
    program = await make_program(api)
    _, scan = await ambassador(api, program["id"])
    earning = await earn(api, scan, 1000)
    payout = (await api.ok("POST", "/api/v1/payouts", {"program_id": program["id"]}))["payouts"][0]
    assert (await api.ok("POST", "/api/v1/payouts", {"program_id": program["id"]}))["payouts"] == []
    await earn(api, scan, 50)
    other = (await api.ok("POST", "/api/v1/payouts", {"program_id": program["id"]}))["payouts"][0]

    async with runtime.sessionmaker() as session:
        link = (
            await session.scalars(
                select(PayoutEarning).where(PayoutEarning.earning_id == earning["id"])
            )
        ).one()
        assert (link.payout_id, link.amount, link.active) == (payout["id"], 1000, True)
        session.add(
            PayoutEarning(payout_id=other["id"], earning_id=earning["id"], amount=1000, active=True)
        )
        with pytest.raises(IntegrityError) as refused:
            await session.flush()
        assert is_unique_violation(refused.value)
        await session.rollback()

    # A failed payout's links are history (active NULL): they never block a later live claim.
    await api.ok("PUT", f"/api/v1/payouts/{payout['id']}", {"status": "failed"})
    async with runtime.sessionmaker() as session:
        session.add(
            PayoutEarning(payout_id=other["id"], earning_id=earning["id"], amount=1000, active=True)
        )
        await session.flush()
        await session.rollback()


FORMULA_NAME = "=cmd|' /C calc'!A0"


async def test_payout_csv_cells_cannot_run_as_formulas(api: Api) -> None:
    """Issue 11, point 4: an ambassador named like a formula comes out as text in the payment
    run (a leading apostrophe, as OWASP advises), and negative-looking data stays data."""
    program = await make_program(api)
    _, scan = await ambassador(
        api, program["id"], first_name=FORMULA_NAME, last_name="@SUM(A1)", email="f@example.com"
    )
    await earn(api, scan, 1500)
    run = await api.ok("POST", "/api/v1/payouts", {"program_id": program["id"]})
    payout = run["payouts"][0]
    response = await api.get(f"/api/v1/payouts/{payout['id']}.csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[1] == [
        payout["id"],
        f"'{FORMULA_NAME} @SUM(A1)",
        "f@example.com",
        "15.00",
        "USD",
        "1",
    ]
    # No cell of the file, read back as a spreadsheet would, starts a formula.
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "@", "\t", "\r")), cell
