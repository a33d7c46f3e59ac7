"""Referrals per status in rollups, kept in the transaction of each creation and status change.

The analytics figures count referrals by the time they were created and by their status now
(a cohort: vantio/analytics/service.py). Impressions are folded in behind the writes, against a
watermark, because the scan path is hot and an impression never changes; a referral is written
far less often but changes status, so its rollups are kept here instead, in the same
transaction as the change: a new referral adds one to its status, a status change moves one
from the old status to the new, in each rollup. They are exact whenever a transaction is.

`rebuild` recounts a tenant's rollups from the rows, for referrals stored other than through
this service (a bulk load, a test's fixtures).
"""

from collections import Counter
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from vantio.db import repository
from vantio.db.types import is_unique_violation
from vantio.impressions.models import Impression
from vantio.kit.time import floor_to
from vantio.referrals.models import Referral, ReferralDay, ReferralPosterDay, ReferralSlot

SLOT = timedelta(minutes=15)  # every real time zone's midnight is a slot boundary
DAY = timedelta(days=1)
STATUSES = ("pending", "converted", "verified", "rejected")  # the columns (ReferralStatus)
ROLLUPS = (ReferralSlot, ReferralDay, ReferralPosterDay)

Rollup = type[ReferralSlot] | type[ReferralDay] | type[ReferralPosterDay]


def keys(referral: Referral, poster_id: str) -> list[tuple[Rollup, dict[str, Any]]]:
    """The row of each rollup that counts `referral` (made from a scan of `poster_id`)."""
    owner = {
        "account_id": referral.account_id,
        "livemode": referral.livemode,
        "program_id": referral.program_id,
    }
    day = floor_to(referral.created_at, DAY)
    return [
        (ReferralSlot, {**owner, "slot_start": floor_to(referral.created_at, SLOT)}),
        (ReferralDay, {**owner, "day_start": day, "student_id": referral.student_id}),
        (ReferralPosterDay, {**owner, "day_start": day, "poster_id": poster_id}),
    ]


async def count(
    session: AsyncSession,
    referral: Referral,
    *,
    poster_id: str,
    previous: str | None,
) -> None:
    """Count `referral` in its current status (and no longer in `previous`, for a status
    change; None for a new referral), in every rollup."""
    if previous == referral.status:
        return
    change = Counter({referral.status: 1})
    if previous is not None:
        change[previous] -= 1
    for model, key in keys(referral, poster_id):
        await _add(session, model, key, change)


async def _add(
    session: AsyncSession, model: Rollup, key: dict[str, Any], change: Counter[str]
) -> None:
    """Add `change` to the row of `key`, creating it if missing. The database settles
    concurrent writers: the UPDATE adds to the committed value (an increment, not a
    read-modify-write, and it waits for another writer's lock on the row), and of two
    transactions creating the same row, the unique key lets one insert and sends the other back
    to the UPDATE."""
    columns = {name: getattr(model, name) for name in STATUSES}
    owner = repository.Tenant(key["account_id"], key["livemode"])
    condition = [repository.owned_by(model, owner)] + [
        getattr(model, name) == value
        for name, value in key.items()
        if name not in ("account_id", "livemode")
    ]
    values = {name: columns[name] + delta for name, delta in change.items()}
    for _ in range(3):
        updated = await session.execute(
            update(model)
            .where(*condition)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if getattr(updated, "rowcount", 0) == 1:
            return
        try:
            async with session.begin_nested():
                await session.execute(
                    insert(model).values(**key, **{name: change.get(name, 0) for name in STATUSES})
                )
            return
        except IntegrityError as exc:
            if not is_unique_violation(exc):
                raise
    raise RuntimeError(f"could not count a referral in {model.__tablename__}")  # pragma: no cover


async def rebuild(session: AsyncSession, owner: repository.Owner) -> None:
    """Recount the rollups of `owner` (an account in one mode) from its referrals."""
    for model in ROLLUPS:
        await session.execute(delete(model).where(repository.owned_by(model, owner)))
    rows: dict[Rollup, dict[tuple[Any, ...], Counter[str]]] = {model: {} for model in ROLLUPS}
    found: dict[Rollup, list[str]] = {}
    result = await session.stream(
        select(Referral, Impression.poster_id)
        .join(Impression, Impression.id == Referral.impression_id)
        .where(repository.owned_by(Referral, owner))
        .execution_options(yield_per=5000)
    )
    async for referral, poster_id in result:
        for model, key in keys(referral, poster_id):
            found[model] = list(key)
            rows[model].setdefault(tuple(key.values()), Counter())[referral.status] += 1
    for model, counted in rows.items():
        if counted:
            names = found[model]
            await session.execute(
                insert(model),
                [
                    {**dict(zip(names, key, strict=True)), **{s: n[s] for s in STATUSES}}
                    for key, n in counted.items()
                ],
            )
