"""vouchers: on PostgreSQL, an application's use is counted when its transaction commits

Revision ID: 0015
Revises: 0012
Create Date: 2026-12-01 02:00:00

A deferred constraint trigger on `voucher_applications` bumps `vouchers.usage_count` at COMMIT
with the conditional UPDATE the service ran before (`usage_count < max_uses`), and refuses the
commit with SQLSTATE VU001 (DETAIL: max_uses) when the limit is reached: the voucher's row is then
locked for the commit alone, not from the apply's UPDATE to its commit (vouchers/counters.py,
`count_use`). SQLite has one writer at a time: the service still counts there, nothing to create.
It touches `voucher_applications` (0003, 0012), so it branches from 0012.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FUNCTION = """
CREATE FUNCTION vantio_count_voucher_use() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    reached bigint;
BEGIN
    UPDATE vouchers
       SET usage_count = usage_count + 1, updated_at = clock_timestamp()
     WHERE id = NEW.voucher_id AND (max_uses IS NULL OR usage_count < max_uses);
    IF NOT FOUND THEN
        SELECT max_uses INTO reached FROM vouchers WHERE id = NEW.voucher_id;
        RAISE EXCEPTION 'voucher usage limit exceeded'
            USING ERRCODE = 'VU001', DETAIL = coalesce(reached, 0)::text;
    END IF;
    RETURN NULL;
END
$$
"""

TRIGGER = """
CREATE CONSTRAINT TRIGGER voucher_applications_count_use
    AFTER INSERT ON voucher_applications
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION vantio_count_voucher_use()
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(FUNCTION)
    op.execute(TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER voucher_applications_count_use ON voucher_applications")
    op.execute("DROP FUNCTION vantio_count_voucher_use()")
