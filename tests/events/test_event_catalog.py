"""The typed events: one model per event type, listed in OpenAPI's `webhooks`, and matched by what
the services really record (a drift between a service and its documented body fails here)."""

from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI

from tests.helpers import Api, make_funnel, make_referral
from tests.payouts.test_payouts import ambassador, earn
from tests.vouchers.test_vouchers import cart, make_voucher
from vantio.event_catalog import CATALOG
from vantio.kit.time import freeze
from vantio.runtime import Runtime
from vantio.vouchers import service as voucher_service
from vantio.webhooks.schemas import EVENT_TYPES, EventType

ENVELOPE = ("id", "type", "event", "created_at", "livemode", "data")


def test_every_event_type_has_one_model() -> None:
    assert list(CATALOG) == list(EventType)
    assert tuple(EventType) == EVENT_TYPES
    for event_type, model in CATALOG.items():
        assert model.model_fields["type"].annotation.__args__ == (event_type,)  # type: ignore[union-attr]


def test_openapi_lists_every_event_with_its_typed_body(app: FastAPI) -> None:
    schema = app.openapi()
    assert list(schema["webhooks"]) == list(EventType)
    components = schema["components"]["schemas"]
    for event_type, model in CATALOG.items():
        request = schema["webhooks"][event_type]["post"]["requestBody"]
        ref = request["content"]["application/json"]["schema"]["$ref"]
        assert ref == f"#/components/schemas/{model.__name__}"
        body = components[model.__name__]
        assert body["properties"]["type"]["const"] == event_type
        assert set(body["required"]) == set(ENVELOPE)
    data = components["ReferralStatusChangedEvent"]["properties"]["data"]["$ref"]
    assert data == "#/components/schemas/ReferralStatusChange"
    # The bodies as sent: the same schemas the API answers with, never split into input/output.
    created = components["ReferralCreatedEvent"]["properties"]["data"]["$ref"]
    answer = schema["paths"]["/api/v1/referrals/{id}"]["get"]["responses"]["200"]["content"]
    assert created == answer["application/json"]["schema"]["$ref"]
    assert not [name for name in components if name.endswith(("-Input", "-Output"))]
    assert "previous_status" in components["ReferralStatusChange"]["properties"]
    assert "email" in components["ReferralStatusChange"]["properties"]


async def test_what_the_services_record_matches_the_catalog(
    api: Api, runtime: Runtime, client: Any
) -> None:
    """Every event type but `webhook_endpoint.disabled` (see test_webhooks), recorded through
    the API, read back and parsed by its model: no field missing, none extra, none retyped."""
    funnel = await make_funnel(api, minimum_payout=100)
    # A browser's user agent: an HTTP library's is redirected without being counted.
    scanned = await client.get(
        f"/s/{funnel.poster['code']}", headers={"user-agent": "Mozilla/5.0 Catalog/1"}
    )
    assert scanned.status_code == 302  # impression.created by the scan's writer (Core)
    referral = await make_referral(api, funnel.impression["id"])  # and by the API (ORM)
    await api.ok("PUT", f"/api/v1/referrals/{referral['id']}", {"status": "converted"})
    earning = await earn(api, funnel.impression["id"], 500)
    await api.ok("PUT", f"/api/v1/earnings/{earning['id']}", {"status": "failed"})
    await api.ok("PUT", f"/api/v1/earnings/{earning['id']}", {"status": "pending"})
    _, other_scan = await ambassador(api, funnel.program["id"])
    await earn(api, other_scan, 700)
    run = await api.ok("POST", "/api/v1/payouts", {"program_id": funnel.program["id"]})
    first, second = run["payouts"]
    await api.ok("PUT", f"/api/v1/payouts/{first['id']}", {"status": "paid"})
    await api.ok("PUT", f"/api/v1/payouts/{second['id']}", {"status": "failed"})
    paid = await api.ok("GET", "/api/v1/earnings", status="paid")
    reason = {"reason": "refund"}
    await api.ok("POST", f"/api/v1/earnings/{paid['earnings'][0]['id']}/reverse", reason)
    unpaid = await earn(api, other_scan, 300)
    await api.ok("POST", f"/api/v1/earnings/{unpaid['id']}/reverse", reason)

    voucher = await make_voucher(api)
    await api.ok("PUT", f"/v1/vouchers/{voucher['id']}", {"metadata": {"note": "typed"}})
    await api.ok("POST", "/v1/vouchers/validate", {"code": voucher["code"], "order": cart(1000)})
    customer = {"email": "Ann@Example.com"}
    application = await api.ok(
        "POST",
        "/v1/vouchers/apply",
        {"code": voucher["code"], "order_id": "o1", "order": cart(1000), "customer": customer},
    )
    await api.ok("POST", f"/v1/vouchers/applications/{application['id']}/rollback", {})
    await api.ok("DELETE", f"/v1/vouchers/{voucher['id']}")
    with freeze(datetime(2050, 1, 1, tzinfo=UTC)):
        await make_voucher(api, conditions={"valid_until": "2050-01-02T00:00:00Z"})
    async with runtime.sessionmaker() as session:
        await voucher_service.expire_due(session, now=datetime(2050, 2, 1, tzinfo=UTC))
        await session.commit()

    events = (await api.ok("GET", "/api/v1/events", limit="100"))["events"]
    seen = {event["type"] for event in events}
    assert seen == set(EventType) - {EventType.WEBHOOK_ENDPOINT_DISABLED}
    assert sum(event["type"] == EventType.IMPRESSION_CREATED for event in events) >= 2
    for event in events:
        assert_matches_catalog(event)


def assert_matches_catalog(event: dict[str, Any]) -> None:
    """The event's body parses as its type's model and comes back the same."""
    body = {name: event[name] for name in ENVELOPE}
    parsed = CATALOG[body["type"]].model_validate(body)
    assert parsed.model_dump(mode="json", exclude_unset=True) == body, body["type"]
