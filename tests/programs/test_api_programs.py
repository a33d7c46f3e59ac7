"""Programs: POST/GET/PUT with every commission kind, payout schedule, defaults and validation."""

import re
from typing import Any

import pytest

from tests.helpers import Api, make_program

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
FIELDS = {
    "id",
    "name",
    "description",
    "landing_url",
    "currency",
    "commission",
    "payout_schedule",
    "minimum_payout",
    "attribution_window_days",
    "referee_voucher_id",
    "headline",
    "incentive",
    "brand_color",
    "logo_media_type",
    "hold_days",
    "commission_months",
    "commission_cap",
    "payout_sender",
    "metadata",
    "created_at",
    "updated_at",
}


async def test_create_with_defaults(api: Api) -> None:
    program = await make_program(api)
    assert set(program) == FIELDS
    assert program["id"].startswith("prog_")
    assert program["currency"] == "USD"
    assert program["commission"] == {"type": "percentage", "rate": 10}
    assert program["payout_schedule"] == "manual"
    assert program["minimum_payout"] == 0
    assert program["attribution_window_days"] == 30
    assert program["referee_voucher_id"] is None
    assert program["headline"] is program["incentive"] is program["brand_color"] is None
    assert program["logo_media_type"] is None
    assert program["metadata"] == {}
    assert TIMESTAMP.match(program["created_at"])
    assert TIMESTAMP.match(program["updated_at"])


@pytest.mark.parametrize(
    "commission",
    [
        {"type": "percentage", "rate": 12.5},
        {"type": "flat", "amount": 500},
        {
            "type": "tiered",
            "tiers": [{"min_referrals": 0, "rate": 10}, {"min_referrals": 10, "rate": 15}],
        },
    ],
)
async def test_every_commission_kind(api: Api, commission: dict[str, Any]) -> None:
    program = await make_program(
        api,
        commission=commission,
        currency="EUR",
        payout_schedule="monthly",
        minimum_payout=2500,
        attribution_window_days=14,
        description="Spring campaign",
        metadata={"campus": "north"},
    )
    assert program["commission"] == commission
    assert program["currency"] == "EUR"
    assert program["payout_schedule"] == "monthly"
    assert program["minimum_payout"] == 2500
    assert program["attribution_window_days"] == 14
    assert program["description"] == "Spring campaign"
    assert program["metadata"] == {"campus": "north"}
    fetched = await api.ok("GET", f"/api/v1/programs/{program['id']}")
    assert fetched == program


async def test_tiers_are_stored_in_order(api: Api) -> None:
    program = await make_program(
        api,
        commission={
            "type": "tiered",
            "tiers": [{"min_referrals": 5, "rate": 12}, {"min_referrals": 0, "rate": 8}],
        },
    )
    assert [t["min_referrals"] for t in program["commission"]["tiers"]] == [0, 5]


@pytest.mark.parametrize("schedule", ["weekly", "biweekly", "monthly", "manual"])
async def test_payout_schedules(api: Api, schedule: str) -> None:
    assert (await make_program(api, payout_schedule=schedule))["payout_schedule"] == schedule


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"commission": {"type": "percentage", "rate": 0}}, "commission"),
        ({"commission": {"type": "percentage", "rate": 101}}, "commission"),
        ({"commission": {"type": "flat", "amount": 0}}, "commission"),
        ({"commission": {"type": "flat", "amount": 1.5}}, "commission"),
        ({"commission": {"type": "bonus", "amount": 5}}, "commission"),
        ({"commission": {"type": "tiered", "tiers": []}}, "commission"),
        (
            {"commission": {"type": "tiered", "tiers": [{"min_referrals": 3, "rate": 5}]}},
            "commission",
        ),
        (
            {
                "commission": {
                    "type": "tiered",
                    "tiers": [{"min_referrals": 0, "rate": 5}, {"min_referrals": 0, "rate": 6}],
                }
            },
            "commission",
        ),
        ({"commission": {"type": "percentage", "rate": 10, "cap": 5}}, "commission"),
        ({"payout_schedule": "daily"}, "payout_schedule"),
        ({"minimum_payout": -1}, "minimum_payout"),
        ({"attribution_window_days": 0}, "attribution_window_days"),
        ({"currency": "XYZ"}, "currency"),
        ({"currency": "usd"}, "currency"),
        ({"landing_url": "ftp://example.com"}, "landing_url"),
        ({"landing_url": None}, "landing_url"),
        ({"name": ""}, "name"),
    ],
)
async def test_invalid_programs_are_400_naming_the_field(
    api: Api, fields: dict[str, Any], named: str
) -> None:
    body = {"name": "P", "landing_url": "https://example.com", **fields}
    response = await api.post("/api/v1/programs", body)
    assert response.status_code == 400, response.text
    error = response.json()
    assert error["error"] == "Bad Request"
    assert error["message"].startswith(named), error["message"]


async def test_landing_url_is_required(api: Api) -> None:
    response = await api.post("/api/v1/programs", {"name": "P"})
    assert response.status_code == 400
    assert response.json()["message"] == "landing_url: field required"


async def test_list_newest_first_with_has_more(api: Api) -> None:
    ids = [(await make_program(api, name=f"P{i}"))["id"] for i in range(3)]
    listed = await api.ok("GET", "/api/v1/programs")
    assert [p["id"] for p in listed["programs"]] == ids[::-1]
    assert listed["has_more"] is False
    page = await api.ok("GET", "/api/v1/programs", limit="2")
    assert [p["id"] for p in page["programs"]] == ids[:0:-1]
    assert page["has_more"] is True
    rest = await api.ok("GET", "/api/v1/programs", limit="2", offset="2")
    assert [p["id"] for p in rest["programs"]] == [ids[0]]
    assert rest["has_more"] is False


async def test_update_changes_only_the_fields_sent(api: Api) -> None:
    program = await make_program(api, metadata={"a": "1", "b": "2"}, description="old")
    updated = await api.ok(
        "PUT",
        f"/api/v1/programs/{program['id']}",
        {
            "name": "Renamed",
            "commission": {"type": "flat", "amount": 700},
            "metadata": {"b": None, "c": "3"},
        },
    )
    assert updated["name"] == "Renamed"
    assert updated["commission"] == {"type": "flat", "amount": 700}
    assert updated["metadata"] == {"a": "1", "c": "3"}
    for unchanged in ("landing_url", "currency", "payout_schedule", "description", "created_at"):
        assert updated[unchanged] == program[unchanged]
    cleared = await api.ok("PUT", f"/api/v1/programs/{program['id']}", {"description": None})
    assert cleared["description"] is None
    assert cleared["name"] == "Renamed"
    assert await api.ok("GET", f"/api/v1/programs/{program['id']}") == cleared


async def test_update_validates(api: Api) -> None:
    program = await make_program(api)
    url = f"/api/v1/programs/{program['id']}"
    for body, named in [
        ({"currency": "XXX1"}, "currency"),
        ({"payout_schedule": "yearly"}, "payout_schedule"),
        ({"id": "prog_x"}, "id"),
        ({"name": None}, "name"),
    ]:
        response = await api.put(url, body)
        assert response.status_code == 400, (body, response.text)
        assert response.json()["message"].startswith(named), response.text


async def test_unknown_program_is_404(api: Api) -> None:
    response = await api.get("/api/v1/programs/prog_0000000000doesnotexist00")
    assert response.status_code == 404
    assert response.json()["error"] == "Not Found"
    assert response.json()["code"] == "not_found"
    put = await api.put("/api/v1/programs/prog_0000000000doesnotexist00", {"name": "x"})
    assert put.status_code == 404
