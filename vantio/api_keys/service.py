"""API keys: created with their secret shown once, looked up by hash, revoked."""

import re
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from vantio.api_keys.models import ApiKey
from vantio.db import repository
from vantio.db.repository import Owner
from vantio.errors import NotFound
from vantio.kit.crypto import random_token, sha256_hex
from vantio.kit.ids import new_id
from vantio.kit.time import utc_now

KEY_PATTERN = re.compile(r"^sk_(live|test)_[A-Za-z0-9]{16,128}$")
# last_used_at is a hint for people, so it is written at most once a minute per key.
_LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class CreatedKey:
    key: ApiKey
    secret: str


async def create_key(
    session: AsyncSession, *, account_id: str, name: str, livemode: bool
) -> CreatedKey:
    secret = f"sk_{'live' if livemode else 'test'}_{random_token(32)}"
    key = ApiKey(
        id=new_id("key"),
        account_id=account_id,
        livemode=livemode,
        name=name,
        key_hash=sha256_hex(secret),
        hint=secret[:12],
    )
    session.add(key)
    await session.flush()
    return CreatedKey(key=key, secret=secret)


async def list_keys(session: AsyncSession, *, owner: Owner | None = None) -> list[ApiKey]:
    """The keys of one account and mode (a dashboard's), or every key (the CLI, run on the
    server, is the operator of all accounts)."""
    query = select(ApiKey).order_by(ApiKey.id)
    if owner is not None:
        query = query.where(repository.owned_by(ApiKey, owner))
    return list(await session.scalars(query))


async def revoke_key(
    session: AsyncSession, *, key_id: str, account_id: str | None = None
) -> ApiKey:
    """Revoke a key of this account, of either mode (any key without an account: the CLI)."""
    query = select(ApiKey).where(ApiKey.id == key_id)
    if account_id is not None:
        query = query.where(repository.owned_by_account(ApiKey, account_id))
    key = (await session.scalars(query)).first()
    if key is None:
        raise NotFound(f"No API key with id {key_id}")
    if key.revoked_at is None:
        key.revoked_at = utc_now()
    await session.flush()
    return key


async def find_active_key(session: AsyncSession, *, secret: str) -> ApiKey | None:
    """The unrevoked key with this secret, or None; the secret is compared by hash only."""
    if not KEY_PATTERN.match(secret):
        return None
    key = (
        await session.scalars(select(ApiKey).where(ApiKey.key_hash == sha256_hex(secret)))
    ).first()
    if key is None or key.revoked_at is not None:
        return None
    now = utc_now()
    if key.last_used_at is None or now - key.last_used_at > _LAST_USED_RESOLUTION:
        await session.execute(update(ApiKey).where(ApiKey.id == key.id).values(last_used_at=now))
    return key
