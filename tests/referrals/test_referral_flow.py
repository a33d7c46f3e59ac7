"""The documented flow end to end: program → ambassador → poster → scan → referral → earning."""

from tests.helpers import Api, make_funnel, make_referral


async def test_full_flow_creates_objects_with_documented_fields(api: Api) -> None:
    funnel = await make_funnel(api, commission={"type": "percentage", "rate": 10})
    referral = await make_referral(
        api, funnel.impression["id"], metadata={"source": "poster_qr_code"}
    )
    assert referral["status"] == "pending"
    assert referral["program_id"] == funnel.program["id"]
    assert referral["student_id"] == funnel.user["id"]
    assert referral["id"].startswith("ref_")
    assert referral["created_at"].endswith("Z")

    earning = await api.ok(
        "POST", "/api/v1/earnings", {"referral_id": referral["id"], "sale_amount": 12345}
    )
    assert earning["amount"] == 1235  # 10% of 12345 rounded half-up
    assert earning["currency"] == "USD"
    assert earning["status"] == "pending"
    assert earning["metadata"]["commission_rate"] == "10%"

    converted = await api.ok("GET", f"/api/v1/referrals/{referral['id']}")
    assert converted["status"] == "converted"

    listed = await api.ok("GET", "/api/v1/earnings", program_id=funnel.program["id"])
    assert [e["id"] for e in listed["earnings"]] == [earning["id"]]
    assert listed["has_more"] is False
