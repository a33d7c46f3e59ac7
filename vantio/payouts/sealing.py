"""Payout details at rest: the one place they are sealed before they are stored, and opened when
a payout file needs them.

SWITCH POINT. The server key and its sealing module (issue 11's encryption at rest for webhook
secrets, `VANTIO_SECRET_KEY`) had not landed when this was written: `seal` and `open_sealed`
are the interface the rest of the payouts domain uses, and today they only encode (the `v0:`
prefix marks such values). Switching to the kit's sealing is a change to these two functions
(new values get the new prefix; `open_sealed` keeps reading `v0:` until they are re-sealed).
"""

import base64
import json
from typing import Any

_PLAIN = "v0:"


def seal(details: dict[str, Any]) -> str:
    """The details as stored."""
    raw = json.dumps(details, separators=(",", ":"), sort_keys=True).encode()
    return _PLAIN + base64.urlsafe_b64encode(raw).decode()


def open_sealed(value: str) -> dict[str, Any]:
    """The details a stored value holds."""
    if not value.startswith(_PLAIN):
        raise ValueError("unknown sealing of payout details")
    opened: dict[str, Any] = json.loads(base64.urlsafe_b64decode(value[len(_PLAIN) :]))
    return opened
