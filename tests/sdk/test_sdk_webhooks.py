"""vantio_client.webhooks.verify: Standard Webhooks headers with a timestamp tolerance, and the
x-vantio-signature / x-voucher-signature hex HMAC; checked against an independent implementation
(the `standardwebhooks` library and hashlib)."""

import base64
import hashlib
import hmac
import json
import secrets
import time
from datetime import UTC, datetime

import httpx
import pytest
import standardwebhooks
from vantio_client import WebhookVerificationError, webhooks

SECRET = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
EVENT = {
    "id": "evt_01",
    "type": "voucher.applied",
    "event": "voucher.applied",
    "created_at": "2026-01-01T00:00:00Z",
    "livemode": False,
    "data": {"voucher_id": "v_1", "note": "café ✓"},
}
BODY = json.dumps(EVENT, separators=(",", ":"), ensure_ascii=False).encode()


def hex_of(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def standard_headers(
    secret: str, body: bytes, timestamp: int, msg_id: str = "evt_01"
) -> dict[str, str]:
    """Signed by the Standard Webhooks reference library, not by the SDK."""
    signature = standardwebhooks.Webhook(secret).sign(
        msg_id, datetime.fromtimestamp(timestamp, tz=UTC), body.decode()
    )
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature,
    }


def test_accepts_standard_webhooks_signatures_and_returns_the_event() -> None:
    headers = standard_headers(SECRET, BODY, int(time.time()))
    assert webhooks.verify(BODY, headers, SECRET) == EVENT
    assert webhooks.verify(BODY.decode(), headers, SECRET) == EVENT
    assert webhooks.verify(EVENT, headers, SECRET) == EVENT  # a parsed body, re-serialized
    title_case = {k.title(): v for k, v in headers.items()}
    assert webhooks.verify(BODY, httpx.Headers(title_case), SECRET) == EVENT


def test_sdk_signatures_pass_the_reference_verifier() -> None:
    headers = webhooks.sign(BODY, SECRET, msg_id="evt_01")
    standard = {k: v for k, v in headers.items() if k.startswith("webhook-")}
    assert standardwebhooks.Webhook(SECRET).verify(BODY, standard) == EVENT
    assert headers["x-vantio-signature"] == hex_of(SECRET, BODY)
    assert headers["x-voucher-signature"] == hex_of(SECRET, BODY)


def test_the_standard_signature_decides_when_present() -> None:
    """During a rotation the hex headers are signed with the previous secret, so beside a valid
    Standard Webhooks signature they are not compared (as the TypeScript SDK does)."""
    headers = {
        **standard_headers(SECRET, BODY, int(time.time())),
        "x-vantio-signature": hex_of(SECRET, BODY),
        "x-voucher-signature": hex_of(SECRET, BODY),
    }
    assert webhooks.verify(BODY, headers, SECRET) == EVENT
    headers["x-voucher-signature"] = hex_of("whsec_another", BODY)
    assert webhooks.verify(BODY, headers, SECRET) == EVENT
    with pytest.raises(WebhookVerificationError, match="webhook-signature does not match"):
        webhooks.verify(BODY + b" ", headers, SECRET)


@pytest.mark.parametrize("name", ["x-vantio-signature", "x-voucher-signature"])
def test_hex_signature_alone_needs_an_explicit_opt_out_of_replay_protection(name: str) -> None:
    headers = {name: hex_of(SECRET, BODY)}
    with pytest.raises(WebhookVerificationError, match="require_timestamp=False"):
        webhooks.verify(BODY, headers, SECRET)
    assert webhooks.verify(BODY, headers, SECRET, require_timestamp=False) == EVENT
    with pytest.raises(WebhookVerificationError, match=f"{name} does not match"):
        webhooks.verify(BODY.replace(b"v_1", b"v_2"), headers, SECRET, require_timestamp=False)


def test_rejects_a_tampered_body_or_a_wrong_secret() -> None:
    headers = standard_headers(SECRET, BODY, int(time.time()))
    with pytest.raises(WebhookVerificationError, match="webhook-signature does not match"):
        webhooks.verify(BODY.replace(b"v_1", b"v_9"), headers, SECRET)
    other = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    with pytest.raises(WebhookVerificationError, match="does not match"):
        webhooks.verify(BODY, headers, other)
    with pytest.raises(WebhookVerificationError, match="not a Standard Webhooks secret"):
        webhooks.verify(BODY, headers, "whsec_***")


def test_timestamp_tolerance_against_replays() -> None:
    now = time.time()
    stale = standard_headers(SECRET, BODY, int(now) - 301)
    with pytest.raises(WebhookVerificationError, match=r"s old .*replayed"):
        webhooks.verify(BODY, stale, SECRET, now=now)
    future = standard_headers(SECRET, BODY, int(now) + 301)
    with pytest.raises(WebhookVerificationError, match="in the future"):
        webhooks.verify(BODY, future, SECRET, now=now)
    recent = standard_headers(SECRET, BODY, int(now) - 299)
    assert webhooks.verify(BODY, recent, SECRET, now=now) == EVENT
    assert webhooks.verify(BODY, stale, SECRET, now=now, tolerance=600) == EVENT


def test_rotation_several_signatures_any_may_match() -> None:
    old = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    ts = int(time.time())
    new_sig = standard_headers(SECRET, BODY, ts)["webhook-signature"]
    old_sig = standard_headers(old, BODY, ts)["webhook-signature"]
    headers = {"webhook-id": "evt_01", "webhook-timestamp": str(ts)}
    headers["webhook-signature"] = f"{new_sig} {old_sig}"
    assert webhooks.verify(BODY, headers, SECRET) == EVENT
    assert webhooks.verify(BODY, headers, old) == EVENT


def test_missing_or_malformed_headers_are_named() -> None:
    with pytest.raises(WebhookVerificationError, match="no signature header"):
        webhooks.verify(BODY, {}, SECRET)
    with pytest.raises(WebhookVerificationError, match="without webhook-id"):
        webhooks.verify(BODY, {"webhook-signature": "v1,abc"}, SECRET)
    headers = {"webhook-id": "e", "webhook-timestamp": "yesterday", "webhook-signature": "v1,a"}
    with pytest.raises(WebhookVerificationError, match="not a number"):
        webhooks.verify(BODY, headers, SECRET)
    headers = standard_headers(SECRET, b"[1,2]", int(time.time()))
    with pytest.raises(WebhookVerificationError, match="not a JSON object"):
        webhooks.verify(b"[1,2]", headers, SECRET)


def test_rotation_grace_headers_verify_with_the_new_the_old_or_both_secrets() -> None:
    """What the server sends during a rotation's grace: both Standard signatures, the hex
    headers with the old secret. Before the fix, verifying with the new secret failed on the hex
    header, so an SDK receiver that switched to the new secret answered 401 (never retried)."""
    old = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    ts = int(time.time())
    new_sig = standard_headers(SECRET, BODY, ts)["webhook-signature"]
    old_sig = standard_headers(old, BODY, ts)["webhook-signature"]
    headers = {
        "webhook-id": "evt_01",
        "webhook-timestamp": str(ts),
        "webhook-signature": f"{new_sig} {old_sig}",
        "x-vantio-signature": hex_of(old, BODY),
        "x-voucher-signature": hex_of(old, BODY),
    }
    assert webhooks.verify(BODY, headers, SECRET) == EVENT
    assert webhooks.verify(BODY, headers, old) == EVENT
    assert webhooks.verify(BODY, headers, [SECRET, old]) == EVENT
    hex_only = {"x-vantio-signature": hex_of(old, BODY)}
    assert webhooks.verify(BODY, hex_only, [SECRET, old], require_timestamp=False) == EVENT
    with pytest.raises(WebhookVerificationError, match="x-vantio-signature does not match"):
        webhooks.verify(BODY, hex_only, SECRET, require_timestamp=False)
    with pytest.raises(WebhookVerificationError, match="no webhook secret"):
        webhooks.verify(BODY, headers, [])
