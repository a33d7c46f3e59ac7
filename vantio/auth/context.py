"""Who is calling: the account and mode of the API key, resolved once per request."""

from dataclasses import dataclass


@dataclass(frozen=True)
class AuthContext:
    account_id: str
    livemode: bool
    api_key_id: str


def owner_of(obj: object) -> AuthContext:
    """The tenant scope of an object reached without a key (the public scan, the worker)."""
    return AuthContext(account_id=getattr(obj, "account_id"), livemode=getattr(obj, "livemode"), api_key_id="")  # noqa: B009
