"""Who is calling: the account and mode of the API key, resolved once per request."""

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class AuthContext:
    account_id: str
    livemode: bool
    api_key_id: str


class Owned(Protocol):
    @property
    def account_id(self) -> str: ...

    @property
    def livemode(self) -> bool: ...


def owner_of(obj: Owned) -> AuthContext:
    """The tenant scope of an object reached without a key (the public scan, the worker)."""
    return AuthContext(account_id=obj.account_id, livemode=obj.livemode, api_key_id="")
