"""Where a voucher's use is counted. On PostgreSQL the count happens when the apply's transaction
commits (a deferred trigger, migration 0015), so the voucher's row is never held while the apply
runs; a commit that would exceed `max_uses` is refused with the same USAGE_LIMIT_EXCEEDED."""

import asyncpg
import pytest

from tests.helpers import Tenant
from tests.vouchers.test_vouchers import cart, make_voucher
from vantio.auth.context import AuthContext
from vantio.config import Settings
from vantio.db.session import commit
from vantio.flows import referral_loop
from vantio.runtime import Runtime
from vantio.vouchers.errors import UsageLimitExceeded
from vantio.vouchers.schemas import ApplyRequest


def _auth(tenant: Tenant) -> AuthContext:
    return AuthContext(account_id=tenant.account_id, livemode=False, api_key_id=tenant.test_key_id)


def _apply(code: str, order_id: str) -> ApplyRequest:
    return ApplyRequest.model_validate({"code": code, "order_id": order_id, "order": cart(5000)})


async def test_an_open_apply_does_not_lock_the_vouchers_row(
    runtime: Runtime, tenant: Tenant, backend: str, settings: Settings
) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite has one writer at a time: there is no row lock to wait on")
    voucher = await make_voucher(tenant.test)
    async with runtime.sessionmaker() as session:
        await referral_loop.apply_voucher(
            session, _auth(tenant), data=_apply(voucher["code"], "o1")
        )
        # The apply's transaction is open: another transaction can still take the lock an UPDATE
        # of the counter takes (before migration 0015 this apply's UPDATE held it until commit).
        other = await asyncpg.connect(settings.database_url.replace("+asyncpg", ""))
        try:
            async with other.transaction():
                locked = await other.fetchval(
                    "SELECT id FROM vouchers WHERE id = $1 FOR NO KEY UPDATE NOWAIT", voucher["id"]
                )
            assert locked == voucher["id"]
        finally:
            await other.close()
        await commit(session)
    assert (await tenant.test.ok("GET", f"/v1/vouchers/{voucher['id']}"))["usage_count"] == 1


async def test_a_commit_beyond_max_uses_is_refused_as_usage_limit_exceeded(
    runtime: Runtime, tenant: Tenant
) -> None:
    voucher = await make_voucher(tenant.test, conditions={"max_uses": 1})
    auth = _auth(tenant)
    async with runtime.sessionmaker() as first:
        await referral_loop.apply_voucher(first, auth, data=_apply(voucher["code"], "o1"))
        if first.get_bind().dialect.name == "postgresql":
            # Both applies saw one use left; the second to commit is refused at its commit.
            async with runtime.sessionmaker() as second:
                await referral_loop.apply_voucher(second, auth, data=_apply(voucher["code"], "o2"))
                await commit(second)
            with pytest.raises(UsageLimitExceeded) as refused:
                await commit(first)
            assert refused.value.details == {
                "max_uses": 1,
                "current_uses": 1,
                "limit_type": "total_uses",
            }
        else:
            await commit(first)
    got = await tenant.test.ok("GET", f"/v1/vouchers/{voucher['id']}")
    assert got["usage_count"] == 1
    assert len(got["usage_history"]) == 1
