"""API keys: created with their secret shown once, looked up by hash, revoked.

A key found valid is remembered in this process for a short while (`Settings.api_key_cache_seconds`,
2 s by default), so that a request is authenticated without a database round trip. A revocation
made in this process forgets the key when it is made and again when it commits, so the next
request is refused; a revocation made by another process (the CLI, another server) is seen when
the remembered entry expires.
"""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import event, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

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
    forget_keys()
    # Once more at commit: a lookup that read the key before this revocation committed must not
    # leave it remembered.
    if not event.contains(session.sync_session, "after_commit", _forget_at_commit):
        event.listen(session.sync_session, "after_commit", _forget_at_commit)
    await session.flush()
    return key


@dataclass(frozen=True)
class ActiveKey:
    """What a request needs of its key: whose it is (account, mode) and its id."""

    id: str
    account_id: str
    livemode: bool
    last_used_at: datetime


@dataclass(frozen=True)
class _Remembered:
    key: ActiveKey
    until: datetime


# key_hash -> the active key, in this process. `_generation` moves on at every forgetting: a
# lookup remembers its result only if no revocation happened while it read the database.
_remembered: dict[str, _Remembered] = {}
_generation = 0
_MAX_REMEMBERED = 10_000


def forget_keys() -> None:
    """Forget every remembered key (a key was revoked in this process)."""
    global _generation
    _generation += 1
    _remembered.clear()


def _forget_at_commit(_session: Session) -> None:
    forget_keys()


def remembered_key(secret: str) -> ActiveKey | None:
    """The key with this secret if this process found it active moments ago (no database)."""
    found = _remembered.get(sha256_hex(secret))
    if found is None:
        return None
    now = utc_now()
    if found.until < now or now - found.key.last_used_at > _LAST_USED_RESOLUTION:
        return None  # expired, or its last_used_at is due to be written
    return found.key


async def find_active_key(
    session: AsyncSession, *, secret: str, remember_seconds: float = 0.0
) -> ActiveKey | None:
    """The unrevoked key with this secret, or None; the secret is compared by hash only.
    With `remember_seconds`, an active key is remembered that long (see the module)."""
    if not KEY_PATTERN.match(secret):
        return None
    generation = _generation
    key_hash = sha256_hex(secret)
    key = (await session.scalars(select(ApiKey).where(ApiKey.key_hash == key_hash))).first()
    if key is None or key.revoked_at is not None:
        return None
    now = utc_now()
    last_used = key.last_used_at
    if last_used is None or now - last_used > _LAST_USED_RESOLUTION:
        await session.execute(update(ApiKey).where(ApiKey.id == key.id).values(last_used_at=now))
        last_used = now
    active = ActiveKey(
        id=key.id, account_id=key.account_id, livemode=key.livemode, last_used_at=last_used
    )
    if remember_seconds > 0 and generation == _generation:
        if len(_remembered) >= _MAX_REMEMBERED:
            _remembered.clear()
        _remembered[key_hash] = _Remembered(active, now + timedelta(seconds=remember_seconds))
    return active
