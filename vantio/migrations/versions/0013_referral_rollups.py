"""referral rollups: referrals per status per 15-minute slot, per ambassador-day, per poster-day

Revision ID: 0013
Revises: 0004
Create Date: 2026-12-01 01:40:00

It adds the referral counterparts of the impression rollups that 0004 created, so it builds on
0004. The rollups are kept by the referrals service in each change's transaction
(vantio/referrals/rollups.py); this revision counts the referrals already stored, in the same
migration transaction, so they are exact from the start.
"""

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from alembic import op

import vantio.db.types

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DateTime = vantio.db.types.UTCDateTime(timezone=True)
STATUSES = ("pending", "converted", "verified", "rejected")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SLOT, DAY = timedelta(minutes=15), timedelta(days=1)
TABLES = (
    ("analytics_referral_slots", "slot_start", None, SLOT),
    ("analytics_referral_days", "day_start", "student_id", DAY),
    ("analytics_referral_poster_days", "day_start", "poster_id", DAY),
)


def upgrade() -> None:
    for name, when, detail, _ in TABLES:
        columns: list[sa.schema.SchemaItem] = [
            sa.Column("account_id", sa.String(length=64), nullable=False),
            sa.Column("livemode", sa.Boolean(), nullable=False),
            sa.Column("program_id", sa.String(length=64), nullable=False),
            *(sa.Column(status, sa.Integer(), nullable=False) for status in STATUSES),
            sa.Column(when, DateTime, nullable=False),
        ]
        key = ["account_id", "livemode", "program_id", when]
        if detail is not None:
            columns.append(sa.Column(detail, sa.String(length=64), nullable=False))
            key.append(detail)
        op.create_table(name, *columns, sa.PrimaryKeyConstraint(*key, name=op.f(f"pk_{name}")))
    _count_stored_referrals()


def _count_stored_referrals() -> None:
    """Fill the rollups from the referrals already stored (their poster through their scan)."""
    referrals = sa.table(
        "referrals",
        sa.column("account_id"),
        sa.column("livemode"),
        sa.column("program_id"),
        sa.column("student_id"),
        sa.column("impression_id"),
        sa.column("status"),
        sa.column("created_at", DateTime),
    )
    impressions = sa.table("impressions", sa.column("id"), sa.column("poster_id"))
    query = sa.select(
        referrals.c.account_id,
        referrals.c.livemode,
        referrals.c.program_id,
        referrals.c.student_id,
        impressions.c.poster_id,
        referrals.c.status,
        referrals.c.created_at,
    ).join(impressions, impressions.c.id == referrals.c.impression_id)
    counts: list[dict[tuple[Any, ...], Counter[str]]] = [{} for _ in TABLES]
    for account, livemode, program, student, poster, status, created in op.get_bind().execute(
        query
    ):
        details = (None, student, poster)
        for index, (_, _, detail, step) in enumerate(TABLES):
            at = EPOCH + (created - EPOCH) // step * step
            key = (account, livemode, program, at) + ((details[index],) if detail else ())
            counts[index].setdefault(key, Counter())[status] += 1
    for (name, when, detail, _), counted in zip(TABLES, counts, strict=True):
        if not counted:
            continue
        names = ["account_id", "livemode", "program_id", when] + ([detail] if detail else [])
        table = sa.table(
            name,
            *(sa.column(n, DateTime if n == when else None) for n in names),
            *(sa.column(status) for status in STATUSES),
        )
        rows = [
            {**dict(zip(names, key, strict=True)), **{s: n[s] for s in STATUSES}}
            for key, n in counted.items()
        ]
        for start in range(0, len(rows), 5000):
            op.bulk_insert(table, rows[start : start + 5000])


def downgrade() -> None:
    for name, *_ in reversed(TABLES):
        op.drop_table(name)
