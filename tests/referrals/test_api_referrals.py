"""Referrals: attribution, one per email per program, self-referral, the status workflow."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.helpers import (
    Api,
    Funnel,
    make_funnel,
    make_impression,
    make_poster,
    make_referral,
    make_user,
    unique_email,
)
from vantio.kit.time import freeze

STATUSES = ("pending", "converted", "verified", "rejected")
ALLOWED = {
    ("pending", "converted"),
    ("pending", "rejected"),
    ("converted", "verified"),
    ("converted", "rejected"),
    ("verified", "rejected"),
}
# The path from pending to each status through allowed transitions.
PATH = {
    "pending": [],
    "converted": ["converted"],
    "verified": ["converted", "verified"],
    "rejected": ["rejected"],
}


async def referral_in(api: Api, status: str, funnel: Funnel | None = None) -> dict[str, Any]:
    funnel = funnel or await make_funnel(api)
    referral = await make_referral(api, funnel.impression["id"])
    for step in PATH[status]:
        referral = await api.ok("PUT", f"/api/v1/referrals/{referral['id']}", {"status": step})
    assert referral["status"] == status
    return referral


async def events_of(api: Api, referral_id: str, type: str) -> list[dict[str, Any]]:
    listed = await api.ok("GET", "/api/v1/events", type=type, limit="100")
    return [e for e in listed["events"] if e["data"]["id"] == referral_id]


async def test_create_with_documented_fields(api: Api) -> None:
    funnel = await make_funnel(api)
    body = {
        "impression_id": funnel.impression["id"],
        "first_name": "John",
        "last_name": "Doe",
        "email": unique_email("john.doe"),
        "profile_picture": "https://example.com/profiles/john-doe.jpg",
        "metadata": {"source": "poster_qr_code", "location": "campus_center"},
        "idempotency_key": "ref_20240115_123456",
    }
    referral = await api.ok("POST", "/api/v1/referrals", body)
    assert referral["id"].startswith("ref_")
    for field in ("impression_id", "first_name", "last_name", "email", "profile_picture"):
        assert referral[field] == body[field]
    assert referral["metadata"] == body["metadata"]
    assert referral["status"] == "pending"
    assert referral["program_id"] == funnel.program["id"]
    assert referral["student_id"] == funnel.user["id"]
    assert referral["verified_at"] is None
    assert "idempotency_key" not in referral
    assert await api.ok("GET", f"/api/v1/referrals/{referral['id']}") == referral
    created = await events_of(api, referral["id"], "referral.created")
    assert len(created) == 1
    assert created[0]["data"] == referral


async def test_list_filters_in_both_casings_and_status(api: Api) -> None:
    funnel = await make_funnel(api)
    other_user = await make_user(api, funnel.program["id"])
    other_poster = await make_poster(api, funnel.program["id"], other_user["id"])
    other_impression = await make_impression(api, other_poster["id"])
    pending = await referral_in(api, "pending", funnel)
    converted = await referral_in(api, "converted", funnel)
    theirs = await make_referral(api, other_impression["id"])
    elsewhere = await referral_in(api, "verified")

    async def ids(**params: str) -> list[str]:
        return [r["id"] for r in (await api.ok("GET", "/api/v1/referrals", **params))["referrals"]]

    program_id = funnel.program["id"]
    for key in ("programId", "program_id"):
        assert await ids(**{key: program_id}) == [theirs["id"], converted["id"], pending["id"]]
    for key in ("studentId", "student_id"):
        assert await ids(**{key: funnel.user["id"]}) == [converted["id"], pending["id"]]
        assert await ids(**{key: other_user["id"]}) == [theirs["id"]]
    assert await ids(programId=program_id, status="converted") == [converted["id"]]
    assert await ids(status="verified") == [elsewhere["id"]]
    assert await ids(status="rejected") == []
    bad = await api.get("/api/v1/referrals", status="done")
    assert bad.status_code == 400
    assert bad.json()["message"].startswith("status")


async def test_unknown_impression(api: Api) -> None:
    response = await api.post(
        "/api/v1/referrals",
        {
            "impression_id": "imp_0000000000doesnotexist00",
            "first_name": "A",
            "last_name": "B",
            "email": unique_email(),
        },
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "impression_not_found"
    assert body["message"].startswith("impression_id")


async def test_attribution_window(api: Api) -> None:
    funnel = await make_funnel(api, attribution_window_days=7)
    scanned = datetime(2030, 3, 1, 12, 0, tzinfo=UTC)
    with freeze(scanned):
        impression = await make_impression(api, funnel.poster["id"])
    with freeze(scanned + timedelta(days=7)):
        inside = await make_referral(api, impression["id"])
        assert inside["status"] == "pending"
    with freeze(scanned + timedelta(days=7, seconds=1)):
        late = await api.post(
            "/api/v1/referrals",
            {
                "impression_id": impression["id"],
                "first_name": "A",
                "last_name": "B",
                "email": unique_email(),
            },
        )
    assert late.status_code == 400
    assert late.json()["code"] == "attribution_window_expired"
    assert late.json()["message"].startswith("impression_id")
    # The default window is 30 days.
    default = await make_funnel(api)
    with freeze(scanned):
        old = await make_impression(api, default.poster["id"])
    with freeze(scanned + timedelta(days=30, minutes=1)):
        refused = await api.post(
            "/api/v1/referrals",
            {
                "impression_id": old["id"],
                "first_name": "A",
                "last_name": "B",
                "email": unique_email(),
            },
        )
    assert refused.json()["code"] == "attribution_window_expired"


async def test_one_referral_per_email_per_program(api: Api) -> None:
    funnel = await make_funnel(api)
    email = unique_email("Alice.Johnson")
    first = await make_referral(api, funnel.impression["id"], email=email)
    second_scan = await make_impression(api, funnel.poster["id"])
    duplicate = await api.post(
        "/api/v1/referrals",
        {
            "impression_id": second_scan["id"],
            "first_name": "Alice",
            "last_name": "Johnson",
            "email": email.upper(),
        },
    )
    assert duplicate.status_code == 409
    body = duplicate.json()
    assert body["error"] == "Conflict"
    assert body["code"] == "duplicate_referral"
    assert body["details"]["existing_id"] == first["id"]
    # Another program may refer the same person.
    other = await make_funnel(api)
    assert (await make_referral(api, other.impression["id"], email=email))["email"] == email
    # An update cannot take an email already referred in the program either.
    another = await make_referral(api, second_scan["id"])
    clash = await api.put(f"/api/v1/referrals/{another['id']}", {"email": email.lower()})
    assert clash.status_code == 409
    assert clash.json()["details"]["existing_id"] == first["id"]


async def test_self_referral_is_refused(api: Api) -> None:
    funnel = await make_funnel(api)
    response = await api.post(
        "/api/v1/referrals",
        {
            "impression_id": funnel.impression["id"],
            "first_name": "Maya",
            "last_name": "Okafor",
            "email": funnel.user["email"].upper(),
        },
    )
    assert response.status_code == 400
    assert response.json()["code"] == "self_referral"
    assert response.json()["message"].startswith("email")
    # Nor by changing a referral's email to the ambassador's afterwards.
    referral = await make_referral(api, funnel.impression["id"])
    changed = await api.put(f"/api/v1/referrals/{referral['id']}", {"email": funnel.user["email"]})
    assert changed.status_code == 400
    assert changed.json()["code"] == "self_referral"


@pytest.mark.parametrize(("current", "target"), sorted(ALLOWED))
async def test_allowed_transitions(api: Api, current: str, target: str) -> None:
    referral = await referral_in(api, current)
    moved = await api.ok("PUT", f"/api/v1/referrals/{referral['id']}", {"status": target})
    assert moved["status"] == target
    changes = await events_of(api, referral["id"], "referral.status_changed")
    assert changes[0]["data"]["status"] == target
    assert changes[0]["data"]["previous_status"] == current


@pytest.mark.parametrize(
    ("current", "target"),
    sorted((a, b) for a in STATUSES for b in STATUSES if a != b and (a, b) not in ALLOWED),
)
async def test_refused_transitions(api: Api, current: str, target: str) -> None:
    referral = await referral_in(api, current)
    before = await events_of(api, referral["id"], "referral.status_changed")
    response = await api.put(
        f"/api/v1/referrals/{referral['id']}", {"status": target, "first_name": "Changed"}
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_status_transition"
    assert body["message"] == f"status: a referral cannot go from '{current}' to '{target}'"
    assert body["details"]["current"] == current
    assert body["details"]["requested"] == target
    # Nothing of the refused request was kept.
    unchanged = await api.ok("GET", f"/api/v1/referrals/{referral['id']}")
    assert unchanged["status"] == current
    assert unchanged["first_name"] == referral["first_name"]
    assert await events_of(api, referral["id"], "referral.status_changed") == before


@pytest.mark.parametrize("status", STATUSES)
async def test_same_status_is_a_no_op(api: Api, status: str) -> None:
    referral = await referral_in(api, status)
    before = await events_of(api, referral["id"], "referral.status_changed")
    again = await api.ok("PUT", f"/api/v1/referrals/{referral['id']}", {"status": status})
    assert again["status"] == status
    assert again["verified_at"] == referral["verified_at"]
    assert await events_of(api, referral["id"], "referral.status_changed") == before


async def test_verified_at_is_set_by_the_server(api: Api) -> None:
    referral = await referral_in(api, "converted")
    at = datetime(2031, 5, 4, 10, 30, 15, tzinfo=UTC)
    with freeze(at):
        verified = await api.ok(
            "PUT", f"/api/v1/referrals/{referral['id']}", {"status": "verified"}
        )
    assert verified["verified_at"] == "2031-05-04T10:30:15Z"
    assert verified["updated_at"] == "2031-05-04T10:30:15Z"
    # verified_at stays when it is later rejected.
    rejected = await api.ok("PUT", f"/api/v1/referrals/{referral['id']}", {"status": "rejected"})
    assert rejected["verified_at"] == "2031-05-04T10:30:15Z"


async def test_verified_at_sent_with_status_verified(api: Api) -> None:
    referral = await referral_in(api, "converted")
    url = f"/api/v1/referrals/{referral['id']}"
    alone = await api.put(url, {"verified_at": "2024-01-16T14:20:00Z"})
    assert alone.status_code == 400
    assert alone.json()["message"].startswith("verified_at")
    future = (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    ahead = await api.put(url, {"status": "verified", "verified_at": future})
    assert ahead.status_code == 400
    assert ahead.json()["message"].startswith("verified_at")
    documented = await api.ok(
        "PUT",
        url,
        {
            "status": "verified",
            "verified_at": "2024-01-16T14:20:00Z",
            "metadata": {"verified_by": "admin_123"},
        },
    )
    assert documented["status"] == "verified"
    assert documented["verified_at"] == "2024-01-16T14:20:00Z"
    assert documented["metadata"] == {"verified_by": "admin_123"}


async def test_update_fields_and_metadata_merge(api: Api) -> None:
    funnel = await make_funnel(api)
    referral = await make_referral(api, funnel.impression["id"], metadata={"a": "1", "b": "2"})
    url = f"/api/v1/referrals/{referral['id']}"
    updated = await api.ok(
        "PUT",
        url,
        {"first_name": "Alicia", "metadata": {"a": None, "c": "3"}, "email": unique_email()},
    )
    assert updated["first_name"] == "Alicia"
    assert updated["last_name"] == referral["last_name"]
    assert updated["metadata"] == {"b": "2", "c": "3"}
    assert updated["status"] == "pending"
    for field in ("impression_id", "program_id", "student_id"):
        response = await api.put(url, {field: referral[field]})
        assert response.status_code == 400
        assert response.json()["message"] == f"{field}: unknown field"


async def test_unknown_referral_is_404(api: Api) -> None:
    for method in ("GET", "PUT"):
        response = await api.client.request(
            method,
            "/api/v1/referrals/ref_0000000000doesnotexist00",
            json={} if method == "PUT" else None,
            headers=api.headers,
        )
        assert response.status_code == 404
        assert response.json()["error"] == "Not Found"


async def test_parallel_referrals_of_one_email_make_one(api: Api) -> None:
    funnel = await make_funnel(api)
    impressions = [await make_impression(api, funnel.poster["id"]) for _ in range(10)]
    email = unique_email("race")
    answers = await asyncio.gather(
        *(
            api.post(
                "/api/v1/referrals",
                {"impression_id": i["id"], "first_name": "A", "last_name": "B", "email": email},
            )
            for i in impressions
        )
    )
    assert sorted(a.status_code for a in answers) == [200] + [409] * 9, [a.text for a in answers]
    created = next(a.json() for a in answers if a.status_code == 200)
    for answer in answers:
        if answer.status_code == 409:
            assert answer.json()["code"] == "duplicate_referral"
            assert answer.json()["details"]["existing_id"] == created["id"]
