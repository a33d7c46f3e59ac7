"""Webhook endpoints, events with their attempts, and signed deliveries to a real local receiver."""

import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tests.conftest import make_settings
from tests.events.test_event_catalog import assert_matches_catalog
from tests.helpers import Api, Tenant, make_funnel, make_referral
from tests.webhook_receiver import Received, Receiver
from vantio.app import create_app
from vantio.auth.context import AuthContext
from vantio.composition import create_runtime
from vantio.config import Settings
from vantio.db.session import transaction
from vantio.events import service as event_service
from vantio.kit.time import freeze, utc_now
from vantio.runtime import Runtime
from vantio.webhooks.dispatch import DELIVER
from vantio.worker.models import Job
from vantio.worker.runner import run_due

CLOSED_PORT_URL = "http://127.0.0.1:9/closed"


async def deliver_due(runtime: Runtime) -> int:
    return await run_due(runtime, names={DELIVER}, periodic=False)


async def make_endpoint(api: Api, url: str, events: list[str] | None = None) -> dict[str, Any]:
    return await api.ok(
        "POST", "/api/v1/webhook_endpoints", {"url": url, "events": events or ["*"]}
    )


def auth_of(tenant: Tenant, livemode: bool = False) -> AuthContext:
    return AuthContext(account_id=tenant.account_id, livemode=livemode, api_key_id="")


async def record_event(runtime: Runtime, tenant: Tenant, type: str, data: dict[str, Any]) -> str:
    async with transaction(runtime.sessionmaker) as session:
        return await event_service.record(session, auth_of(tenant), type=type, data=data)


def verify(received: Received, secret: str) -> dict[str, Any]:
    """What a receiver checks: Standard Webhooks, the hex HMAC, and the compact re-serialization."""
    body = received.body.decode()
    payload: dict[str, Any] = Webhook(secret).verify(body, received.headers)
    expected_hex = hmac.new(secret.encode(), received.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(received.headers["x-vantio-signature"], expected_hex)
    parsed = json.loads(body)
    assert json.dumps(parsed, separators=(",", ":"), ensure_ascii=False) == body
    assert parsed == payload
    return parsed


# --- endpoints API ------------------------------------------------------------------------


async def test_endpoint_crud_and_secret_shown_only_at_creation(api: Api) -> None:
    created = await api.ok(
        "POST",
        "/api/v1/webhook_endpoints",
        {"url": CLOSED_PORT_URL, "events": ["referral.created"], "description": "CRM"},
    )
    assert created["id"].startswith("we_")
    assert created["secret"].startswith("whsec_")
    assert created["events"] == ["referral.created"]
    assert created["disabled"] is False
    assert created["description"] == "CRM"

    fetched = await api.ok("GET", f"/api/v1/webhook_endpoints/{created['id']}")
    assert "secret" not in fetched
    listed = await api.ok("GET", "/api/v1/webhook_endpoints")
    assert [e["id"] for e in listed["webhook_endpoints"]] == [created["id"]]
    assert "secret" not in listed["webhook_endpoints"][0]
    assert listed["has_more"] is False

    updated = await api.ok(
        "PUT",
        f"/api/v1/webhook_endpoints/{created['id']}",
        {"events": ["*"], "disabled": True, "description": None},
    )
    assert updated["events"] == ["*"]
    assert updated["disabled"] is True
    assert updated["description"] is None
    assert "secret" not in updated

    deleted = await api.ok("DELETE", f"/api/v1/webhook_endpoints/{created['id']}")
    assert deleted == {"id": created["id"], "deleted": True}
    missing = await api.get(f"/api/v1/webhook_endpoints/{created['id']}")
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://example.com/x", "events": ["*"]}, "url"),
        ({"url": CLOSED_PORT_URL, "events": []}, "events"),
        ({"url": CLOSED_PORT_URL, "events": ["referral.exploded"]}, "events"),
        ({"url": CLOSED_PORT_URL}, "events"),
        ({"url": CLOSED_PORT_URL, "events": ["*"], "secret": "mine"}, "secret"),
    ],
)
async def test_endpoint_bad_input_is_400_naming_the_field(
    api: Api, body: dict[str, Any], field: str
) -> None:
    response = await api.post("/api/v1/webhook_endpoints", body)
    assert response.status_code == 400, response.text
    assert response.json()["message"].startswith(field)


async def test_other_tenants_and_modes_see_404(tenant: Tenant) -> None:
    endpoint = await make_endpoint(tenant.test, CLOSED_PORT_URL)
    for path in (f"/api/v1/webhook_endpoints/{endpoint['id']}",):
        assert (await tenant.live.get(path)).status_code == 404
    rotate = await tenant.live.post(f"/api/v1/webhook_endpoints/{endpoint['id']}/rotate_secret")
    assert rotate.status_code == 404


# --- delivery: body and signatures ------------------------------------------------------------


async def test_referral_event_is_delivered_signed_three_ways(
    api: Api, runtime: Runtime, receiver: Receiver
) -> None:
    endpoint = await make_endpoint(api, receiver.url())
    funnel = await make_funnel(api)
    referral = await make_referral(api, funnel.impression["id"], first_name="Zoë", last_name="東京")
    assert await deliver_due(runtime) >= 1
    (received,) = receiver.on("/hook")
    payload = verify(received, endpoint["secret"])
    assert list(payload) == ["id", "type", "event", "created_at", "livemode", "data"]
    assert payload["type"] == payload["event"] == "referral.created"
    assert payload["livemode"] is False
    assert payload["data"]["id"] == referral["id"]
    assert payload["id"].startswith("evt_")
    assert received.headers["webhook-id"] == payload["id"]
    assert "Zoë".encode() in received.body  # no ASCII escaping
    assert "x-voucher-signature" not in received.headers
    assert received.headers["content-type"] == "application/json"

    event = await api.ok("GET", f"/api/v1/events/{payload['id']}")
    (attempt,) = event["delivery_attempts"]
    assert attempt["endpoint_id"] == endpoint["id"]
    assert attempt["status_code"] == 200
    assert attempt["succeeded"] is True
    assert attempt["error"] is None
    assert attempt["response_body"] == '{"received":true}'
    assert attempt["duration_ms"] >= 0
    assert attempt["created_at"].endswith("Z")


async def test_voucher_events_also_carry_x_voucher_signature(
    tenant: Tenant, runtime: Runtime, receiver: Receiver
) -> None:
    endpoint = await make_endpoint(tenant.test, receiver.url())
    await record_event(
        runtime,
        tenant,
        "voucher.applied",
        {"id": "va_1", "discount_amount": 1000, "rate": 10.0, "ratio": 0.25, "note": "€ \u2028"},
    )
    await deliver_due(runtime)
    (received,) = receiver.requests
    payload = verify(received, endpoint["secret"])
    assert received.headers["x-voucher-signature"] == received.headers["x-vantio-signature"]
    assert payload["data"]["rate"] == 10  # whole floats as integers, as JSON.stringify prints them
    assert b'"rate":10,' in received.body


async def test_response_body_kept_up_to_2_kb(
    tenant: Tenant, runtime: Runtime, receiver: Receiver
) -> None:
    receiver.answer_body = b"x" * 5000
    await make_endpoint(tenant.test, receiver.url())
    event_id = await record_event(runtime, tenant, "referral.created", {"id": "ref_1"})
    await deliver_due(runtime)
    event = await tenant.test.ok("GET", f"/api/v1/events/{event_id}")
    assert event["delivery_attempts"][0]["response_body"] == "x" * 2048


async def test_impression_events_only_to_explicit_subscribers(
    api: Api, runtime: Runtime, receiver: Receiver
) -> None:
    await make_endpoint(api, receiver.url("/all"), ["*"])
    await make_endpoint(api, receiver.url("/impressions"), ["impression.created"])
    await make_endpoint(api, receiver.url("/both"), ["*", "impression.created"])
    await make_endpoint(api, receiver.url("/earnings"), ["earning.created"])
    await make_funnel(api)  # one impression.created, nothing else
    await deliver_due(runtime)
    assert sorted(r.path for r in receiver.requests) == ["/both", "/impressions"]


async def test_rolled_back_change_sends_nothing(
    tenant: Tenant, runtime: Runtime, receiver: Receiver
) -> None:
    await make_endpoint(tenant.test, receiver.url())

    async def failing_change() -> None:
        async with transaction(runtime.sessionmaker) as session:
            await event_service.record(
                session, auth_of(tenant), type="referral.created", data={"id": "ref_x"}
            )
            raise RuntimeError("the change fails after its event was recorded")

    with pytest.raises(RuntimeError):
        await failing_change()
    await deliver_due(runtime)
    assert receiver.requests == []
    assert (await tenant.test.ok("GET", "/api/v1/events"))["events"] == []


async def test_failed_api_request_sends_nothing(
    api: Api, runtime: Runtime, receiver: Receiver
) -> None:
    await make_endpoint(api, receiver.url())
    funnel = await make_funnel(api)
    referral = await make_referral(api, funnel.impression["id"])
    await deliver_due(runtime)
    receiver.requests.clear()
    # A duplicate referral fails after validation: no event, no delivery.
    response = await api.post(
        "/api/v1/referrals",
        {
            "impression_id": funnel.impression["id"],
            "first_name": "A",
            "last_name": "B",
            "email": referral["email"],
        },
    )
    assert response.status_code == 409
    await deliver_due(runtime)
    assert receiver.requests == []


# --- secret rotation ----------------------------------------------------------------------


def hex_of(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def seed_style(holder: dict[str, str]) -> Callable[[Received], int]:
    """The seeds' receiver: 200 when x-vantio-signature (x-voucher-signature on voucher events)
    is the hex HMAC-SHA256 of the body with the secret it holds now, else 401."""

    def decide(received: Received) -> int:
        name = "x-voucher-signature" if "x-voucher-signature" in received.headers else None
        given = received.headers.get(name or "x-vantio-signature", "")
        return 200 if hmac.compare_digest(given, hex_of(holder["secret"], received.body)) else 401

    return decide


async def test_rotated_secret_signs_beside_the_old_one_for_24_hours(
    tenant: Tenant, runtime: Runtime, receiver: Receiver
) -> None:
    endpoint = await make_endpoint(tenant.test, receiver.url())
    rotated = await tenant.test.ok(
        "POST", f"/api/v1/webhook_endpoints/{endpoint['id']}/rotate_secret"
    )
    assert rotated["secret"].startswith("whsec_")
    assert rotated["secret"] != endpoint["secret"]
    await record_event(runtime, tenant, "referral.created", {"id": "ref_1"})
    await deliver_due(runtime)
    (received,) = receiver.requests
    assert len(received.headers["webhook-signature"].split(" ")) == 2
    Webhook(rotated["secret"]).verify(received.body.decode(), received.headers)
    verify(received, endpoint["secret"])  # Standard Webhooks and the hex header: the old one

    receiver.requests.clear()
    later = utc_now() + timedelta(hours=24, minutes=1)
    with freeze(later):
        await record_event(runtime, tenant, "referral.created", {"id": "ref_2"})
        await deliver_due(runtime)
    (received,) = receiver.requests
    signatures = received.headers["webhook-signature"].split(" ")
    assert len(signatures) == 1
    assert received.headers["webhook-timestamp"] == str(int(later.timestamp()))
    # the remaining signature is the new secret's (verified at the frozen time's timestamp)
    from vantio.webhooks.signing import standard_signature

    assert signatures[0] == standard_signature(
        rotated["secret"],
        msg_id=received.headers["webhook-id"],
        timestamp=int(later.timestamp()),
        body=received.body,
    )
    assert received.headers["x-vantio-signature"] == hex_of(rotated["secret"], received.body)


async def test_seed_style_receiver_on_the_old_secret_keeps_working_through_a_rotation(
    tenant: Tenant, runtime: Runtime, receiver: Receiver
) -> None:
    """Issue 12: during the grace `x-vantio-signature` carried the new secret's HMAC only, so a
    receiver still on the old secret answered 401, and a 4xx is never retried: events lost."""
    endpoint = await make_endpoint(tenant.test, receiver.url())
    held = {"secret": endpoint["secret"]}
    receiver.decide = seed_style(held)
    rotated = await tenant.test.ok(
        "POST", f"/api/v1/webhook_endpoints/{endpoint['id']}/rotate_secret"
    )
    during = await tenant.test.ok("GET", f"/api/v1/webhook_endpoints/{endpoint['id']}")
    assert during["secret_rotation_ends_at"] is not None
    await record_event(runtime, tenant, "referral.created", {"id": "ref_1"})
    await record_event(runtime, tenant, "voucher.applied", {"id": "v_1"})
    await deliver_due(runtime)
    assert [r.status for r in receiver.requests] == [200, 200]
    voucher = next(r for r in receiver.requests if "x-voucher-signature" in r.headers)
    assert voucher.headers["x-voucher-signature"] == hex_of(endpoint["secret"], voucher.body)
    for received in receiver.requests:  # a Standard Webhooks receiver verifies with either
        Webhook(endpoint["secret"]).verify(received.body.decode(), received.headers)
        Webhook(rotated["secret"]).verify(received.body.decode(), received.headers)

    # the receiver switches to the new secret; the operator ends the grace early
    held["secret"] = rotated["secret"]
    ended = await tenant.test.ok(
        "POST", f"/api/v1/webhook_endpoints/{endpoint['id']}/rotate_secret/end"
    )
    assert ended["secret_rotation_ends_at"] is None
    assert "secret" not in ended
    receiver.requests.clear()
    await record_event(runtime, tenant, "referral.created", {"id": "ref_2"})
    await deliver_due(runtime)
    (received,) = receiver.requests
    assert received.status == 200
    assert received.headers["webhook-signature"].count("v1,") == 1
    verify(received, rotated["secret"])
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint["secret"]).verify(received.body.decode(), received.headers)
    # ending again is harmless; another account's endpoint is not found
    await tenant.test.ok("POST", f"/api/v1/webhook_endpoints/{endpoint['id']}/rotate_secret/end")
    other = await tenant.live.post(f"/api/v1/webhook_endpoints/{endpoint['id']}/rotate_secret/end")
    assert other.status_code == 404


# --- retries, final failures, disabling ---------------------------------------------------


@pytest.mark.parametrize("status", [400, 404, 410, 301])
async def test_no_retry_on_other_4xx_and_redirects(
    tenant: Tenant, runtime: Runtime, receiver: Receiver, status: int
) -> None:
    receiver.plan("/hook", (status, 0.0))
    await make_endpoint(tenant.test, receiver.url())
    event_id = await record_event(runtime, tenant, "referral.created", {"id": "ref_1"})
    await deliver_due(runtime)
    with freeze(utc_now() + timedelta(days=2)):
        await deliver_due(runtime)
    assert len(receiver.requests) == 1
    event = await tenant.test.ok("GET", f"/api/v1/events/{event_id}")
    (attempt,) = event["delivery_attempts"]
    assert attempt["status_code"] == status
    assert attempt["succeeded"] is False
    assert attempt["next_retry_at"] is None


async def test_retries_follow_the_schedule_of_api_md(
    tenant: Tenant, runtime: Runtime, receiver: Receiver
) -> None:
    """5xx, 429 and network errors are retried after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h."""
    receiver.plan("/hook", *[(500, 0.0)] * 3, (429, 0.0), *[(503, 0.0)] * 3, (502, 0.0))
    await make_endpoint(tenant.test, receiver.url())
    event_id = await record_event(runtime, tenant, "referral.created", {"id": "ref_1"})
    start = utc_now()
    expected = [5, 300, 1800, 7200, 18000, 36000, 36000]
    now = start
    with freeze(now):
        await deliver_due(runtime)
    for delay in expected:
        with freeze(now + timedelta(seconds=delay - 1)):
            await deliver_due(runtime)  # not yet due
        now = now + timedelta(seconds=delay)
        with freeze(now):
            await deliver_due(runtime)
    assert len(receiver.requests) == 8  # the first try and seven retries, then it gives up
    event = await tenant.test.ok("GET", f"/api/v1/events/{event_id}")
    attempts = event["delivery_attempts"]
    assert [a["attempt"] for a in attempts] == list(range(1, 9))
    assert [a["status_code"] for a in attempts] == [500, 500, 500, 429, 503, 503, 503, 502]
    assert attempts[-1]["next_retry_at"] is None
    assert all(a["next_retry_at"] is not None for a in attempts[:-1])


async def test_network_error_is_recorded_and_retried(tenant: Tenant, runtime: Runtime) -> None:
    await make_endpoint(tenant.test, CLOSED_PORT_URL)
    event_id = await record_event(runtime, tenant, "referral.created", {"id": "ref_1"})
    await deliver_due(runtime)
    event = await tenant.test.ok("GET", f"/api/v1/events/{event_id}")
    (attempt,) = event["delivery_attempts"]
    assert attempt["status_code"] is None
    assert attempt["error"]
    assert attempt["next_retry_at"] is not None
    async with transaction(runtime.sessionmaker) as session:
        jobs = (await session.scalars(select(Job).where(Job.name == DELIVER))).all()
    assert any(j.payload["event_id"] == event_id and j.payload["attempt"] == 2 for j in jobs)


async def test_endpoint_failing_for_5_days_is_disabled_with_an_event(
    tenant: Tenant, runtime: Runtime, receiver: Receiver
) -> None:
    receiver.default = (200, 0.0)
    receiver.plan("/broken", *[(400, 0.0)] * 10)
    broken = await make_endpoint(tenant.test, receiver.url("/broken"))
    watcher = await make_endpoint(
        tenant.test, receiver.url("/watcher"), ["webhook_endpoint.disabled"]
    )
    start = utc_now()
    with freeze(start):
        await record_event(runtime, tenant, "referral.created", {"id": "ref_1"})
        await deliver_due(runtime)
    with freeze(start + timedelta(days=4, hours=23)):
        await record_event(runtime, tenant, "referral.created", {"id": "ref_2"})
        await deliver_due(runtime)
    assert (await tenant.test.ok("GET", f"/api/v1/webhook_endpoints/{broken['id']}"))[
        "disabled"
    ] is False
    with freeze(start + timedelta(days=5)):
        await record_event(runtime, tenant, "referral.created", {"id": "ref_3"})
        await deliver_due(runtime)
        await record_event(runtime, tenant, "referral.created", {"id": "ref_4"})
        await deliver_due(runtime)
    assert len(receiver.on("/broken")) == 3  # nothing after it was disabled
    assert (await tenant.test.ok("GET", f"/api/v1/webhook_endpoints/{broken['id']}"))[
        "disabled"
    ] is True
    events = await tenant.test.ok("GET", "/api/v1/events", type="webhook_endpoint.disabled")
    (disabled,) = events["events"]
    assert_matches_catalog(disabled)
    assert disabled["data"]["id"] == broken["id"]
    assert disabled["data"]["disabled"] is True
    assert "secret" not in disabled["data"]
    (notice,) = receiver.on("/watcher")
    assert json.loads(notice.body)["type"] == "webhook_endpoint.disabled"
    assert watcher["id"] != broken["id"]


async def test_success_resets_the_failure_streak(
    tenant: Tenant, runtime: Runtime, receiver: Receiver
) -> None:
    receiver.plan("/hook", (400, 0.0), (200, 0.0), (400, 0.0))
    endpoint = await make_endpoint(tenant.test, receiver.url())
    start = utc_now()
    for offset in (0, 3, 6):
        with freeze(start + timedelta(days=offset)):
            await record_event(runtime, tenant, "referral.created", {"id": f"ref_{offset}"})
            await deliver_due(runtime)
    fetched = await tenant.test.ok("GET", f"/api/v1/webhook_endpoints/{endpoint['id']}")
    assert fetched["disabled"] is False


# --- redelivery ---------------------------------------------------------------------------


async def test_redeliver_to_all_or_one_endpoint(
    tenant: Tenant, runtime: Runtime, receiver: Receiver
) -> None:
    one = await make_endpoint(tenant.test, receiver.url("/one"))
    two = await make_endpoint(tenant.test, receiver.url("/two"), ["earning.created"])
    event_id = await record_event(runtime, tenant, "referral.created", {"id": "ref_1"})
    await deliver_due(runtime)
    assert [r.path for r in receiver.requests] == ["/one"]

    again = await tenant.test.ok("POST", f"/api/v1/events/{event_id}/redeliver")
    assert again == {"event_id": event_id, "endpoint_ids": [one["id"]]}
    # naming an endpoint sends it there even if it does not subscribe to the type
    named = await tenant.test.ok(
        "POST", f"/api/v1/events/{event_id}/redeliver", {"endpoint_id": two["id"]}
    )
    assert named["endpoint_ids"] == [two["id"]]
    await deliver_due(runtime)
    assert sorted(r.path for r in receiver.requests) == ["/one", "/one", "/two"]
    ids = {r.headers["webhook-id"] for r in receiver.requests}
    assert ids == {event_id}
    event = await tenant.test.ok("GET", f"/api/v1/events/{event_id}")
    assert len(event["delivery_attempts"]) == 3

    await tenant.test.ok("PUT", f"/api/v1/webhook_endpoints/{two['id']}", {"disabled": True})
    refused = await tenant.test.post(
        f"/api/v1/events/{event_id}/redeliver", {"endpoint_id": two["id"]}
    )
    assert refused.status_code == 409
    assert refused.json()["code"] == "webhook_endpoint_disabled"
    foreign = await make_endpoint(tenant.live, receiver.url("/live"))
    missing = await tenant.test.post(
        f"/api/v1/events/{event_id}/redeliver", {"endpoint_id": foreign["id"]}
    )
    assert missing.status_code == 400
    assert missing.json()["code"] == "webhook_endpoint_not_found"
    bad = await tenant.test.post(f"/api/v1/events/{event_id}/redeliver", {"endpoint_id": "x_1"})
    assert bad.status_code == 400


async def test_deleted_endpoint_gets_nothing_more(
    tenant: Tenant, runtime: Runtime, receiver: Receiver
) -> None:
    endpoint = await make_endpoint(tenant.test, receiver.url())
    await record_event(runtime, tenant, "referral.created", {"id": "ref_1"})
    await tenant.test.ok("DELETE", f"/api/v1/webhook_endpoints/{endpoint['id']}")
    await deliver_due(runtime)
    assert receiver.requests == []


# --- SSRF ---------------------------------------------------------------------------------


@pytest.fixture
async def strict_runtime(database_url: str) -> AsyncIterator[Runtime]:
    """A server that refuses private addresses (the tests' own settings allow them)."""
    runtime = create_runtime(make_settings(database_url, webhook_allow_private=False))
    yield runtime
    await runtime.close()


@pytest.fixture
async def strict_api(strict_runtime: Runtime, tenant: Tenant) -> AsyncIterator[Api]:
    app = create_app(strict_runtime.settings, strict_runtime)
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 4321))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield Api(client, tenant.test.key)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://172.16.5.5/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[fe80::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
        "https://unresolvable.invalid/hook",
        # IPv6 forms that carry a private or loopback IPv4 address (issue 11, point 8)
        "http://[2002:7f00:1::]/hook",  # 6to4 of 127.0.0.1
        "http://[2002:a9fe:a9fe::1]/hook",  # 6to4 of 169.254.169.254
        "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/hook",  # Teredo, client 127.0.0.1
        "http://[64:ff9b::a00:1]/hook",  # NAT64 of 10.0.0.1
        "http://[64:ff9b:1::a00:1]/hook",  # NAT64 local-use prefix
        "http://[::ffff:a00:1]/hook",  # IPv4-mapped 10.0.0.1
        "http://[::127.0.0.1]/hook",  # IPv4-compatible
        "http://localhost./hook",
    ],
)
async def test_private_urls_are_refused_at_creation(strict_api: Api, url: str) -> None:
    response = await strict_api.post("/api/v1/webhook_endpoints", {"url": url, "events": ["*"]})
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "webhook_url_not_allowed"
    assert response.json()["message"].startswith("url")
    # One generic message: never the address a name resolved to, nor whether it resolved.
    assert response.json()["message"] == (
        "url: must be an http or https URL whose host is a public internet address"
    )


async def test_private_url_refused_on_update_public_literal_accepted(strict_api: Api) -> None:
    created = await strict_api.ok(
        "POST", "/api/v1/webhook_endpoints", {"url": "https://93.184.216.34/hook", "events": ["*"]}
    )
    response = await strict_api.put(
        f"/api/v1/webhook_endpoints/{created['id']}", {"url": "http://127.0.0.1/x"}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "webhook_url_not_allowed"


async def test_private_url_refused_again_at_delivery(
    tenant: Tenant, strict_runtime: Runtime, runtime: Runtime, receiver: Receiver
) -> None:
    # saved while private addresses were allowed (or DNS answered differently then)
    await make_endpoint(tenant.test, receiver.url())
    event_id = await record_event(runtime, tenant, "referral.created", {"id": "ref_1"})
    await deliver_due(strict_runtime)
    assert receiver.requests == []
    event = await tenant.test.ok("GET", f"/api/v1/events/{event_id}")
    (attempt,) = event["delivery_attempts"]
    assert attempt["status_code"] is None
    assert attempt["error"].startswith("refused:")


def test_settings_read_the_allow_private_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VANTIO_WEBHOOK_ALLOW_PRIVATE", "1")
    assert Settings().webhook_allow_private is True
    monkeypatch.delenv("VANTIO_WEBHOOK_ALLOW_PRIVATE")
    assert Settings().webhook_allow_private is False


async def test_delivery_waits_for_the_commit_of_the_causing_transaction(
    tenant: Tenant, runtime: Runtime, receiver: Receiver, backend: str
) -> None:
    if backend != "postgresql":
        pytest.skip(
            "needs two concurrent writers: on SQLite the open transaction holds the only write "
            "lock, so no worker can even look for jobs before it commits"
        )
    await make_endpoint(tenant.test, receiver.url())
    async with transaction(runtime.sessionmaker) as session:
        await event_service.record(
            session, auth_of(tenant), type="referral.created", data={"id": "ref_open"}
        )
        await session.flush()
        assert await deliver_due(runtime) == 0  # written, not yet committed: invisible
        assert receiver.requests == []
    assert await deliver_due(runtime) >= 1
    assert len(receiver.requests) == 1
