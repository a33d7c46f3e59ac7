"""The webhook body, serialized once, and its three signatures over those exact bytes."""

import base64
import hashlib
import hmac
import json
import secrets
from datetime import datetime
from typing import Any

from vantio.kit.time import isoformat

SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret
_MAX_SAFE_INTEGER = 2**53


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` + base64 of 24 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def _js_numbers(value: Any) -> Any:
    """Whole floats as integers, so JSON.stringify(JSON.parse(body)) gives the same bytes."""
    if isinstance(value, float) and value.is_integer() and abs(value) < _MAX_SAFE_INTEGER:
        return int(value)
    if isinstance(value, dict):
        return {k: _js_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_js_numbers(v) for v in value]
    return value


def serialize(
    *, event_id: str, type: str, created_at: datetime, livemode: bool, data: dict[str, Any]
) -> str:
    """The body of every delivery of an event: compact, UTF-8, key order kept."""
    envelope = {
        "id": event_id,
        "type": type,
        "event": type,
        "created_at": isoformat(created_at),
        "livemode": livemode,
        "data": _js_numbers(data),
    }
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def standard_signature(secret: str, *, msg_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, keyed with the secret's decoded bytes."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def hex_signature(secret: str, body: bytes) -> str:
    """Hex HMAC-SHA256 of the body keyed with the whole `whsec_...` string, as the docs'
    validator computes it (`crypto.createHmac('sha256', secret)`)."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def headers(
    *, secrets_: list[str], msg_id: str, timestamp: int, body: bytes, event_type: str
) -> dict[str, str]:
    """The signature headers; `secrets_[0]` is the current secret, the others old ones still in
    their grace period, oldest last.

    `webhook-signature` carries one signature per secret, so a Standard Webhooks receiver on
    either secret verifies. The hex headers carry one value only, so they stay signed with the
    oldest secret still valid: a receiver that compares one hex HMAC keeps working through the
    grace period until it switches, and the new secret signs them once the grace ends.
    """
    signatures = " ".join(
        standard_signature(s, msg_id=msg_id, timestamp=timestamp, body=body) for s in secrets_
    )
    hex_value = hex_signature(secrets_[-1], body)
    result = {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signatures,
        "x-vantio-signature": hex_value,
    }
    if event_type.startswith("voucher."):
        result["x-voucher-signature"] = hex_value
    return result
