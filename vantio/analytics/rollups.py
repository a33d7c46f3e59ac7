"""Folding impressions into the rollups behind the writes, and the watermark readers rely on.

Impression IDs start with their insertion time (`kit.ids`), so "IDs below `imp_<T>`" is "stored
before T", whatever their `scanned_at` (an integrator may send an old one). `refresh` folds the
impressions stored between the watermark and `up_to` into the rollups and moves the watermark,
in one transaction; readers take rollups for what lies below the watermark and `impressions`
for the rest. `up_to` lags the clock (`LAG`) so that no transaction still open could later
commit an impression below it.
"""

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from vantio.analytics.models import ImpressionDay, ImpressionSlot, PosterDay, RollupWatermark
from vantio.db import repository
from vantio.impressions.models import Impression
from vantio.kit.time import floor_to, utc_now

SLOT = timedelta(minutes=15)
DAY = timedelta(days=1)
LAG = timedelta(minutes=15)
WATERMARK = "impressions"
_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # kit.ids' alphabet: IDs compare in time order
_CHUNK = 2000
BATCH = 50_000  # impressions folded per refresh at most

Key = tuple[str, bool, str, datetime, str]  # account, mode, program, slot or day, detail
Rollup = type[ImpressionSlot] | type[ImpressionDay] | type[PosterDay]


def ceil_to(at: datetime, step: timedelta) -> datetime:
    floor = floor_to(at, step)
    return floor if floor == at else floor + step


def first_id_at(at: datetime) -> str:
    """The smallest impression ID stored at `at` or later."""
    value, chars = int(at.timestamp() * 1000), []
    for _ in range(10):
        value, rem = divmod(value, 32)
        chars.append(_ALPHABET[rem])
    return "imp_" + "".join(reversed(chars)) + "0" * 16


async def watermark(session: AsyncSession) -> str:
    """Impressions with an ID below this are in the rollups ("imp_" before the first refresh)."""
    found = await session.scalar(
        select(RollupWatermark.below_id).where(RollupWatermark.name == WATERMARK)
    )
    return found or "imp_"


async def refresh(
    session: AsyncSession, *, up_to: datetime | None = None, limit: int = BATCH
) -> int:
    """Fold the impressions stored before `up_to` (default: now minus `LAG`) into the rollups,
    at most `limit` of them (a short transaction: on SQLite it holds the only write lock);
    returns how many were folded. Concurrent refreshes: one wins, the others fold nothing."""
    claimed = await _claim(session, first_id_at(up_to or utc_now() - LAG), limit)
    if claimed is None:
        return 0
    current, target = claimed
    slots: Counter[Key] = Counter()
    students: Counter[Key] = Counter()
    posters: Counter[Key] = Counter()
    query = select(
        Impression.account_id,
        Impression.livemode,
        Impression.program_id,
        Impression.poster_id,
        Impression.student_id,
        Impression.scanned_at,
    ).where(Impression.id >= current, Impression.id < target)
    folded = 0
    result = await session.stream(query.execution_options(yield_per=20_000))
    async for account, livemode, program, poster, student, at in result:
        day = floor_to(at, DAY)
        slots[(account, livemode, program, floor_to(at, SLOT), "")] += 1
        students[(account, livemode, program, day, student)] += 1
        posters[(account, livemode, program, day, poster)] += 1
        folded += 1
    await _add(session, ImpressionSlot, ImpressionSlot.slot_start, None, slots)
    await _add(session, ImpressionDay, ImpressionDay.day_start, ImpressionDay.student_id, students)
    await _add(session, PosterDay, PosterDay.day_start, PosterDay.poster_id, posters)
    return folded


async def _claim(session: AsyncSession, target: str, limit: int) -> tuple[str, str] | None:
    """Move the watermark towards `target`, by at most `limit` impressions; the span folded, or
    None if there is nothing to do or another refresh moved it first (the conditional UPDATE
    is the lock)."""
    current = await session.scalar(
        select(RollupWatermark.below_id).where(RollupWatermark.name == WATERMARK)
    )
    if current is None:
        async with session.begin_nested():
            session.add(RollupWatermark(name=WATERMARK, below_id="imp_", updated_at=utc_now()))
        current = "imp_"
    if current >= target:
        return None
    beyond_limit = await session.scalar(
        select(Impression.id)
        .where(Impression.id >= current, Impression.id < target)
        .order_by(Impression.id)
        .offset(limit)
        .limit(1)
    )
    if beyond_limit is not None:
        target = beyond_limit
    moved = await session.execute(
        update(RollupWatermark)
        .where(RollupWatermark.name == WATERMARK, RollupWatermark.below_id == current)
        .values(below_id=target, updated_at=utc_now())
        .execution_options(synchronize_session=False)
    )
    return (current, target) if getattr(moved, "rowcount", 0) == 1 else None


async def _add(
    session: AsyncSession, model: Rollup, when: Any, detail: Any, counts: Counter[Key]
) -> None:
    """Add `counts` to the rollup rows with those keys, creating the missing ones. Existing rows
    are found by primary-key ranges (tenant, program, then time), a chunk at a time."""
    names = ["account_id", "livemode", "program_id", when.key]
    if detail is not None:
        names.append(detail.key)
    keys = sorted(counts)
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        existing: dict[Key, int] = {}
        for owner in {key[:3] for key in chunk}:
            times = [key[3] for key in chunk if key[:3] == owner]
            columns = [model.account_id, model.livemode, model.program_id, when]
            if detail is not None:
                columns.append(detail)
            rows = await session.execute(
                select(*columns, model.count).where(
                    repository.owned_by(model, repository.Tenant(owner[0], owner[1])),
                    model.program_id == owner[2],
                    when >= min(times),
                    when <= max(times),
                )
            )
            for row in rows:
                key = (row[0], row[1], row[2], row[3], row[4] if detail is not None else "")
                existing[key] = row[-1]
        updates = [
            _row(names, key, existing[key] + counts[key]) for key in chunk if key in existing
        ]
        inserts = [_row(names, key, counts[key]) for key in chunk if key not in existing]
        if updates:
            await session.execute(update(model), updates)
        if inserts:
            await session.execute(insert(model), inserts)


def _row(names: list[str], key: Key, count: int) -> dict[str, Any]:
    return {**dict(zip(names, key, strict=False)), "count": count}
