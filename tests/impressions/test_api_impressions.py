"""Impressions: POST /api/v1/impressions for integrators, the documented GETs and filters."""

from datetime import UTC, datetime, timedelta

from tests.helpers import Api, make_funnel, make_impression, make_poster, make_user

DOCUMENTED = {
    "id",
    "poster_id",
    "program_id",
    "student_id",
    "scanned_at",
    "user_agent",
    "ip_address",
    "metadata",
}


async def test_create_records_exactly_what_it_is_given(api: Api) -> None:
    funnel = await make_funnel(api)
    scanned = (datetime.now(UTC) - timedelta(hours=2)).replace(microsecond=0)
    impression = await make_impression(
        api,
        funnel.poster["id"],
        user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)",
        ip_address="192.168.1.1",
        scanned_at=scanned.isoformat(),
        metadata={"device_type": "mobile", "location": "campus_center"},
    )
    assert set(impression) == DOCUMENTED
    assert impression["id"].startswith("imp_")
    assert impression["poster_id"] == funnel.poster["id"]
    assert impression["program_id"] == funnel.program["id"]
    assert impression["student_id"] == funnel.user["id"]
    assert impression["scanned_at"] == scanned.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert impression["ip_address"] == "192.168.1.1"
    assert impression["metadata"] == {"device_type": "mobile", "location": "campus_center"}
    assert await api.ok("GET", f"/api/v1/impressions/{impression['id']}") == impression
    # A bot user agent is recorded too: the integrator's redirect decides what counts.
    bot = await make_impression(api, funnel.poster["id"], user_agent="Googlebot/2.1")
    assert bot["user_agent"] == "Googlebot/2.1"


async def test_scanned_at_defaults_to_now_and_accepts_offsets(api: Api) -> None:
    funnel = await make_funnel(api)
    before = datetime.now(UTC).replace(microsecond=0)
    impression = await make_impression(api, funnel.poster["id"])
    recorded = datetime.strptime(impression["scanned_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert before - timedelta(seconds=1) <= recorded <= datetime.now(UTC)
    offset = await make_impression(api, funnel.poster["id"], scanned_at="2024-01-15T12:30:00+02:00")
    assert offset["scanned_at"] == "2024-01-15T10:30:00Z"


async def test_create_validation(api: Api) -> None:
    funnel = await make_funnel(api)
    poster_id = funnel.poster["id"]
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    for body, named, status in [
        ({"poster_id": poster_id, "scanned_at": future}, "scanned_at", 400),
        ({"poster_id": poster_id, "scanned_at": "yesterday"}, "scanned_at", 400),
        ({"poster_id": poster_id, "ip_address": "999.1.1.1"}, "ip_address", 400),
        ({"poster_id": "imp_123"}, "poster_id", 400),
        ({"poster_id": "poster_0000000000doesnotexist00"}, "poster_id: no poster", 400),
        ({}, "poster_id", 400),
        ({"poster_id": poster_id, "program_id": funnel.program["id"]}, "program_id", 400),
    ]:
        response = await api.post("/api/v1/impressions", body)
        assert response.status_code == status, (body, response.text)
        assert response.json()["message"].startswith(named), response.text


async def test_list_filters_in_both_casings(api: Api) -> None:
    funnel = await make_funnel(api)
    other_user = await make_user(api, funnel.program["id"])
    other_poster = await make_poster(api, funnel.program["id"], other_user["id"])
    second = await make_impression(api, funnel.poster["id"])
    elsewhere = await make_impression(api, other_poster["id"])
    own = [funnel.impression["id"], second["id"]]
    other_funnel = await make_funnel(api)

    async def ids(**params: str) -> list[str]:
        listed = await api.ok("GET", "/api/v1/impressions", **params)
        assert listed["has_more"] is False
        return [i["id"] for i in listed["impressions"]]

    for key in ("posterId", "poster_id"):
        assert await ids(**{key: funnel.poster["id"]}) == own[::-1]
    for key in ("studentId", "student_id"):
        assert await ids(**{key: other_user["id"]}) == [elsewhere["id"]]
    for key in ("programId", "program_id"):
        assert await ids(**{key: funnel.program["id"]}) == [elsewhere["id"], *own[::-1]]
        assert await ids(**{key: other_funnel.program["id"]}) == [other_funnel.impression["id"]]


async def test_unknown_impression_is_404(api: Api) -> None:
    response = await api.get("/api/v1/impressions/imp_0000000000doesnotexist00")
    assert response.status_code == 404
    assert response.json()["error"] == "Not Found"
    wrong = await api.get("/api/v1/impressions/ref_0000000000doesnotexist00")
    assert wrong.status_code == 400
    assert wrong.json()["message"] == "id: expected an ID starting with 'imp_'"
