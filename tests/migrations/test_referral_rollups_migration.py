"""Migration 0013 counts the referrals a database already holds into the new rollups."""

import asyncio

import httpx
from sqlalchemy import text

from tests.analytics.test_referral_rollups import counted, move, some_referrals, stored
from tests.conftest import make_settings
from tests.helpers import new_tenant
from vantio.app import create_app
from vantio.db.migrate import upgrade
from vantio.referrals import rollups as referral_rollups
from vantio.referrals.models import ReferralSlot
from vantio.runtime import Runtime


async def test_0013_counts_the_referrals_already_stored(empty_database: str) -> None:
    settings = make_settings(empty_database)
    await asyncio.to_thread(upgrade, settings)
    runtime = Runtime.create(settings)
    try:
        transport = httpx.ASGITransport(app=create_app(settings, runtime))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            tenant = await new_tenant(runtime, client)
            referrals = await some_referrals(tenant.test)
            await some_referrals(tenant.live)
            await move(tenant.test, referrals[0], "converted")
            await move(tenant.test, referrals[1], "rejected")
        # Back to before 0013 as a database upgraded by 0.2.0 is: no rollups, 0013 not applied
        # (by hand: `downgrade` would also undo 0011a, whose downgrade fails on SQLite with
        # rows in `programs`). Then up again: 0013 counts what is stored.
        async with runtime.engine.begin() as connection:
            for model in referral_rollups.ROLLUPS:
                await connection.execute(text(f"DROP TABLE {model.__tablename__}"))
            await connection.execute(text("DELETE FROM alembic_version WHERE version_num = '0013'"))
    finally:
        await runtime.close()
    await asyncio.to_thread(upgrade, settings)
    runtime = Runtime.create(settings)
    try:
        for livemode in (False, True):
            expected = await counted(runtime, tenant.account_id, livemode)
            assert expected[ReferralSlot.__tablename__]  # something to count
            assert await stored(runtime, tenant.account_id, livemode) == expected
    finally:
        await runtime.close()
