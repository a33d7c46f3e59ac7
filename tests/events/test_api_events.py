"""Events: one row per state change, written in the same transaction, readable through the API."""

from typing import Any

from tests.helpers import Api, Tenant, make_funnel, make_referral


async def all_events(api: Api, **params: str) -> list[dict[str, Any]]:
    listed = await api.ok("GET", "/api/v1/events", limit="100", **params)
    assert listed["has_more"] is False
    events: list[dict[str, Any]] = listed["events"]
    return events


async def test_every_state_change_writes_one_event(api: Api) -> None:
    funnel = await make_funnel(api)  # program, user, poster: no events; the impression: one
    referral = await make_referral(api, funnel.impression["id"])
    earning = await api.ok(
        "POST", "/api/v1/earnings", {"referral_id": referral["id"], "sale_amount": 5000}
    )
    await api.ok("PUT", f"/api/v1/earnings/{earning['id']}", {"status": "processing"})
    await api.ok("PUT", f"/api/v1/referrals/{referral['id']}", {"status": "verified"})
    await api.ok("PUT", f"/api/v1/referrals/{referral['id']}", {"first_name": "Renamed"})

    events = await all_events(api)
    assert [(e["type"], e["data"]["id"]) for e in reversed(events)] == [
        ("impression.created", funnel.impression["id"]),
        ("referral.created", referral["id"]),
        ("referral.status_changed", referral["id"]),  # converted by the earning
        ("earning.created", earning["id"]),
        ("earning.status_changed", earning["id"]),
        ("referral.status_changed", referral["id"]),
    ]
    for event in events:
        assert event["id"].startswith("evt_")
        assert event["event"] == event["type"]
        assert event["livemode"] is False
        assert event["created_at"].endswith("Z")
    conversion, verification = (
        e for e in reversed(events) if e["type"] == "referral.status_changed"
    )
    assert conversion["data"]["previous_status"] == "pending"
    assert conversion["data"]["status"] == "converted"
    assert verification["data"]["previous_status"] == "converted"
    assert verification["data"]["verified_at"] is not None
    assert events[0]["data"]["previous_status"] == "converted"


async def test_get_one_and_filter_by_type(api: Api) -> None:
    funnel = await make_funnel(api)
    referral = await make_referral(api, funnel.impression["id"])
    created = await all_events(api, type="referral.created")
    assert [e["data"]["id"] for e in created] == [referral["id"]]
    event = created[0]
    assert await api.ok("GET", f"/api/v1/events/{event['id']}") == event
    assert event["data"] == referral
    assert await all_events(api, type="earning.created") == []
    missing = await api.get("/api/v1/events/evt_0000000000doesnotexist00")
    assert missing.status_code == 404
    assert missing.json()["error"] == "Not Found"
    wrong = await api.get("/api/v1/events/ref_0000000000doesnotexist00")
    assert wrong.status_code == 400
    assert wrong.json()["message"] == "id: expected an ID starting with 'evt_'"


async def test_paging(api: Api) -> None:
    funnel = await make_funnel(api)
    for _ in range(4):
        await api.ok("POST", "/api/v1/impressions", {"poster_id": funnel.poster["id"]})
    everything = [e["id"] for e in await all_events(api)]
    assert len(everything) == 5
    first = await api.ok("GET", "/api/v1/events", limit="2")
    second = await api.ok("GET", "/api/v1/events", limit="2", offset="2")
    last = await api.ok("GET", "/api/v1/events", limit="2", offset="4")
    assert [e["id"] for e in first["events"] + second["events"] + last["events"]] == everything
    assert (first["has_more"], second["has_more"], last["has_more"]) == (True, True, False)


async def test_a_failed_request_writes_no_event(api: Api) -> None:
    funnel = await make_funnel(api)
    referral = await make_referral(api, funnel.impression["id"])
    before = await all_events(api)
    # This earning fails after the referral was converted in the same transaction (its metadata
    # plus the two keys the server records exceed 50): neither the conversion nor its event stay.
    metadata = {f"k{i}": "v" for i in range(49)}
    response = await api.post(
        "/api/v1/earnings",
        {"referral_id": referral["id"], "sale_amount": 5000, "metadata": metadata},
    )
    assert response.status_code == 400, response.text
    assert response.json()["message"].startswith("metadata")
    assert (await api.ok("GET", f"/api/v1/referrals/{referral['id']}"))["status"] == "pending"
    refused = await api.put(f"/api/v1/referrals/{referral['id']}", {"status": "verified"})
    assert refused.status_code == 400
    assert await all_events(api) == before


async def test_events_belong_to_their_mode(tenant: Tenant) -> None:
    live_funnel = await make_funnel(tenant.live)
    live_events = await all_events(tenant.live)
    assert [e["data"]["id"] for e in live_events] == [live_funnel.impression["id"]]
    assert live_events[0]["livemode"] is True
    assert await all_events(tenant.test) == []
    hidden = await tenant.test.get(f"/api/v1/events/{live_events[0]['id']}")
    assert hidden.status_code == 404
