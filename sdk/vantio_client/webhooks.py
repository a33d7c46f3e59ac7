"""Verify webhook deliveries from Vantio (both API surfaces).

Every delivery carries the Standard Webhooks headers — ``webhook-id``, ``webhook-timestamp``,
``webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`` — keyed with the
endpoint's secret (``whsec_`` + base64 of the key bytes), plus ``x-vantio-signature`` (voucher
events also ``x-voucher-signature``): the hex HMAC-SHA256 of the raw body keyed with the whole
``whsec_...`` string.

    event = verify(request_body_bytes, request.headers, "whsec_...")

During a secret rotation's grace period ``webhook-signature`` carries one signature per valid
secret, while the hex headers stay signed with the previous secret until the grace ends. Verify
with either secret (or pass both, ``[new, old]``): the Standard Webhooks signature decides when
present, and the hex headers are then not compared.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Mapping, Sequence
from typing import Any

from vantio_client._errors import WebhookVerificationError

__all__ = ["DEFAULT_TOLERANCE", "WebhookVerificationError", "sign", "verify"]

#: Seconds a delivery's ``webhook-timestamp`` may differ from now (either way).
DEFAULT_TOLERANCE = 300
HEX_HEADERS = ("x-vantio-signature", "x-voucher-signature")


def verify(
    body: bytes | str | Mapping[str, Any],
    headers: Mapping[str, str],
    secret: str | Sequence[str],
    *,
    tolerance: int = DEFAULT_TOLERANCE,
    require_timestamp: bool = True,
    now: float | None = None,
) -> dict[str, Any]:
    """Check a delivery's signatures and return the parsed event.

    ``body`` should be the raw request body (bytes); an already-parsed dict is re-serialized the
    way the server serializes (compact, non-ASCII kept), which matches for every event it sends.
    ``secret`` is one secret, or several while a rotation is under way (any may match).
    With the Standard Webhooks headers, the signature and a timestamp within ``tolerance``
    seconds are required (replay protection) and decide alone: during a rotation the hex headers
    are signed with the previous secret, so they are not compared. A delivery with only
    ``x-vantio-signature``/``x-voucher-signature`` carries no timestamp: it is accepted only with
    ``require_timestamp=False``, when the hex signature matches one of the secrets.

    Raises :class:`WebhookVerificationError` naming what failed.
    """
    raw = _raw(body)
    lowered = {k.lower(): v for k, v in headers.items()}
    keys = [_keys(s) for s in ([secret] if isinstance(secret, str) else list(secret))]
    if not keys:
        raise WebhookVerificationError("no webhook secret given")
    standard = lowered.get("webhook-signature")
    hex_headers = [(name, lowered[name]) for name in HEX_HEADERS if lowered.get(name)]
    if standard is None and not hex_headers:
        raise WebhookVerificationError(
            "no signature header (webhook-signature, x-vantio-signature or x-voucher-signature)"
        )
    if standard is not None:
        _verify_standard(raw, lowered, standard, [k for k, _ in keys], tolerance, now)
    elif require_timestamp:
        raise WebhookVerificationError(
            "no webhook-timestamp/webhook-signature headers, so the delivery cannot be checked "
            "against replays; pass require_timestamp=False to accept a hex signature alone"
        )
    else:
        for name, value in hex_headers:
            given = value.strip().lower().removeprefix("sha256=")
            if not any(hmac.compare_digest(given, _hex(hex_key, raw)) for _, hex_key in keys):
                raise WebhookVerificationError(f"{name} does not match the body")
    try:
        event = json.loads(raw)
    except ValueError as exc:
        raise WebhookVerificationError("the body is not JSON") from exc
    if not isinstance(event, dict):
        raise WebhookVerificationError("the body is not a JSON object")
    return event


def sign(
    body: bytes | str | Mapping[str, Any],
    secret: str,
    *,
    msg_id: str,
    timestamp: int | None = None,
) -> dict[str, str]:
    """The headers the server would send with ``body`` (for your tests of a webhook handler)."""
    raw = _raw(body)
    standard_key, hex_key = _keys(secret)
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = _standard(standard_key, msg_id, ts, raw)
    hex_signature = _hex(hex_key, raw)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": ts,
        "webhook-signature": f"v1,{signature}",
        "x-vantio-signature": hex_signature,
        "x-voucher-signature": hex_signature,
    }


def _verify_standard(
    raw: bytes,
    headers: Mapping[str, str],
    signature_header: str,
    keys: list[bytes],
    tolerance: int,
    now: float | None,
) -> None:
    msg_id = headers.get("webhook-id")
    timestamp = headers.get("webhook-timestamp")
    if not msg_id or not timestamp:
        raise WebhookVerificationError("webhook-signature without webhook-id and webhook-timestamp")
    try:
        sent = int(timestamp)
    except ValueError:
        raise WebhookVerificationError(
            f"webhook-timestamp is not a number: {timestamp!r}"
        ) from None
    current = time.time() if now is None else now
    if sent < current - tolerance:
        raise WebhookVerificationError(
            f"webhook-timestamp is {int(current - sent)} s old (tolerance {tolerance} s): "
            "a stale or replayed delivery"
        )
    if sent > current + tolerance:
        raise WebhookVerificationError(
            f"webhook-timestamp is {int(sent - current)} s in the future (tolerance {tolerance} s)"
        )
    expected = [_standard(key, msg_id, timestamp, raw) for key in keys]
    for part in signature_header.split():
        version, _, value = part.partition(",")
        if version == "v1" and any(hmac.compare_digest(value, e) for e in expected):
            return
    raise WebhookVerificationError("webhook-signature does not match the body")


def _raw(body: bytes | str | Mapping[str, Any]) -> bytes:
    if isinstance(body, bytes | bytearray | memoryview):
        return bytes(body)
    if isinstance(body, str):
        return body.encode("utf-8")
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _keys(secret: str) -> tuple[bytes, bytes]:
    """The HMAC keys: for ``webhook-signature`` the base64-decoded part after ``whsec_``
    (Standard Webhooks); for the hex headers the whole secret string, as the docs' hand-written
    validators key it (``crypto.createHmac('sha256', secret)``)."""
    if not secret:
        raise WebhookVerificationError("no webhook secret given")
    try:
        decoded = base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    except (binascii.Error, ValueError):
        raise WebhookVerificationError(
            "the secret is not a Standard Webhooks secret (whsec_ followed by base64)"
        ) from None
    return decoded, secret.encode("utf-8")


def _standard(key: bytes, msg_id: str, timestamp: str, raw: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + raw
    return base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def _hex(key: bytes, raw: bytes) -> str:
    return hmac.new(key, raw, hashlib.sha256).hexdigest()
