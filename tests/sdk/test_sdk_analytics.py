"""The SDK's Referral API analytics against the real app in-process."""

from typing import Any

import pytest
from vantio_client import AsyncVantio, BadRequestError

from tests.helpers import unique_email
from tests.sdk.test_sdk import funnel, sdk, transport

__all__ = ["sdk", "transport"]  # fixtures shared with test_sdk


async def test_funnel_leaderboard_posters(sdk: AsyncVantio) -> None:
    f: dict[str, Any] = await funnel(sdk)
    program_id = f["program"]["id"]
    referral = await sdk.referrals.create(
        impression_id=f["impression"]["id"], first_name="A", last_name="B", email=unique_email()
    )
    await sdk.earnings.create(referral_id=referral["id"], amount=700)

    report = await sdk.analytics.funnel(program_id=program_id, interval="month")
    total = report["total"]
    assert (total["impressions"], total["referrals"], total["converted"]) == (1, 1, 1)
    assert total["earnings_amount"] == 700
    assert report["interval"] == "month"
    assert sum(i["referrals"] for i in report["intervals"]) == 1

    board = await sdk.analytics.leaderboard(program_id=program_id, sort="earnings")
    assert [a["student_id"] for a in board["ambassadors"]] == [f["user"]["id"]]

    posters = await sdk.analytics.posters(program_id=program_id)
    assert [p["poster_id"] for p in posters["posters"]] == [f["poster"]["id"]]

    with pytest.raises(BadRequestError) as malformed:
        await sdk.analytics.funnel(program_id=program_id, from_="not a date")
    assert malformed.value.status == 400
