"""A webhook endpoint's page: its deliveries (status, attempt, timing, payload, headers,
response), its failure streak, the rotation grace, "send test event" and redeliver."""

import json
import re
from datetime import timedelta
from html import unescape

from sqlalchemy import select

from tests.dashboard_helpers import Browser
from tests.helpers import Api, Tenant, make_funnel, make_referral
from vantio.db.session import transaction
from vantio.kit.ids import new_id
from vantio.kit.time import utc_now
from vantio.runtime import Runtime
from vantio.webhooks.models import WebhookAttempt
from vantio.worker.models import Job


async def attempt(
    runtime: Runtime, tenant: Tenant, endpoint_id: str, event_id: str, number: int, ok: bool
) -> str:
    attempt_id = new_id("wa")
    async with transaction(runtime.sessionmaker) as session:
        session.add(
            WebhookAttempt(
                id=attempt_id, account_id=tenant.account_id, livemode=False,
                event_id=event_id, endpoint_id=endpoint_id, attempt=number,
                status_code=200 if ok else 503, error=None if ok else "HTTP 503",
                duration_ms=40 + number, response_body="ok" if ok else "busy <b>",
                succeeded=ok, next_retry_at=None if ok else utc_now() + timedelta(minutes=5),
            )
        )  # fmt: skip
    return attempt_id


async def deliveries_queued(runtime: Runtime, endpoint_id: str) -> list[str]:
    async with transaction(runtime.sessionmaker) as session:
        jobs = (await session.scalars(select(Job))).all()
    return [j.payload["event_id"] for j in jobs if j.payload.get("endpoint_id") == endpoint_id]


async def test_endpoint_page_shows_deliveries_streak_and_sends_a_test(
    signed_in: Browser, api: Api, runtime: Runtime, tenant: Tenant
) -> None:
    await signed_in.post(
        "/dashboard/webhooks", {"url": "https://hooks.example.com/p", "events": ["*"]}
    )
    endpoint_id = (await api.ok("GET", "/api/v1/webhook_endpoints"))["webhook_endpoints"][0]["id"]
    empty = await signed_in.get(f"/dashboard/webhooks/{endpoint_id}")
    assert "Nothing sent to this endpoint yet." in empty.text
    nothing = await signed_in.post(f"/dashboard/webhooks/{endpoint_id}/test")
    page = await signed_in.get(nothing.headers["location"])
    assert "There is no event of the types this endpoint subscribes to yet" in unescape(page.text)

    funnel = await make_funnel(api, name="Hooked")
    referral = await make_referral(api, funnel.impression["id"], first_name="Payload")
    event = (await api.ok("GET", "/api/v1/events", type="referral.created"))["events"][0]
    await attempt(runtime, tenant, endpoint_id, event["id"], 1, True)
    await attempt(runtime, tenant, endpoint_id, event["id"], 2, False)
    last = await attempt(runtime, tenant, endpoint_id, event["id"], 3, False)
    page = await signed_in.get(f"/dashboard/webhooks/{endpoint_id}")
    assert re.search(r'data-figure="streak">2<', page.text)
    assert "The last 2 deliveries to this endpoint failed." in page.text
    row = page.text[page.text.index(f'id="row-{last}"') :].split("</tr>")[0]
    assert "referral.created" in row
    assert "503" in row
    assert "43 ms" in row
    assert "busy &lt;b&gt;" in row  # the response, escaped
    payload = unescape(
        row[row.index('class="payload">') + 16 : row.index("</pre>", row.index('class="payload">'))]
    )
    assert json.loads(payload)["data"]["id"] == referral["id"]
    assert f"webhook-id: {event['id']}" in row
    assert "webhook-signature:" in row
    # Deliveries come newest first: the last attempt's row before the first's.
    assert page.text.index(f'id="row-{last}"') < page.text.rindex('id="row-wa_')

    test = await signed_in.post(f"/dashboard/webhooks/{endpoint_id}/test")
    shown = await signed_in.get(test.headers["location"])
    assert re.search(r'id="flash">Test sent: event [a-z_.]+ \(evt_', shown.text)
    queued = await deliveries_queued(runtime, endpoint_id)
    assert queued  # a delivery to this endpoint alone, now

    again = await signed_in.post(
        f"/dashboard/webhooks/{endpoint_id}/deliveries/{event['id']}/redeliver"
    )
    assert again.headers["location"] == f"/dashboard/webhooks/{endpoint_id}"
    assert (await deliveries_queued(runtime, endpoint_id)).count(event["id"]) >= 1


async def test_rotation_grace_is_shown(signed_in: Browser, api: Api) -> None:
    await signed_in.post(
        "/dashboard/webhooks", {"url": "https://hooks.example.com/r", "events": ["*"]}
    )
    endpoint_id = (await api.ok("GET", "/api/v1/webhook_endpoints"))["webhook_endpoints"][0]["id"]
    assert (
        'id="rotation-grace"'
        not in (await signed_in.get(f"/dashboard/webhooks/{endpoint_id}")).text
    )
    await signed_in.post(f"/dashboard/webhooks/{endpoint_id}/rotate")
    page = await signed_in.get(f"/dashboard/webhooks/{endpoint_id}")
    assert "The previous secret keeps signing too until" in page.text


async def test_another_accounts_endpoint_and_events_stay_hidden(
    signed_in: Browser, runtime: Runtime, client: object
) -> None:
    from tests.helpers import new_tenant

    stranger = (await new_tenant(runtime, client)).test  # type: ignore[arg-type]
    endpoint = await stranger.ok(
        "POST", "/api/v1/webhook_endpoints", {"url": "https://hooks.example.com/s", "events": ["*"]}
    )
    funnel = await make_funnel(stranger)
    await make_referral(stranger, funnel.impression["id"])
    event = (await stranger.ok("GET", "/api/v1/events"))["events"][0]
    assert (await signed_in.get(f"/dashboard/webhooks/{endpoint['id']}")).status_code == 404
    assert (await signed_in.post(f"/dashboard/webhooks/{endpoint['id']}/test")).status_code == 404
    redo = await signed_in.post(
        f"/dashboard/webhooks/{endpoint['id']}/deliveries/{event['id']}/redeliver"
    )
    assert redo.status_code == 404
