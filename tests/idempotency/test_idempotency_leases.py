"""Idempotency reservations are leases renewed by the running request: a long request keeps its
key, a request whose process died loses it within one lease, and a request that lost its key to
another (it stalled for a whole lease) cannot store its answer: its transaction rolls back."""

import asyncio
import dataclasses
import json
import secrets
from datetime import timedelta

import pytest

from tests.helpers import Tenant
from vantio.idempotency import service as idempotency
from vantio.idempotency.errors import IdempotencyKeyInFlight
from vantio.runtime import Runtime

BODY = json.dumps({"name": "Spring"}).encode()


def _policy(runtime: Runtime, *, lease: float, wait: float) -> idempotency.Policy:
    return dataclasses.replace(
        runtime.idempotency, lease=timedelta(seconds=lease), wait_seconds=wait
    )


async def _reserve(
    runtime: Runtime, tenant: Tenant, key: str, policy: idempotency.Policy
) -> idempotency.Reservation | idempotency.StoredAnswer:
    return await idempotency.reserve(
        runtime.sessionmaker,
        scope=idempotency.Scope(tenant.account_id, False, "programs.create"),
        key=key,
        request_hash=idempotency.hash_request(BODY, target="/api/v1/programs"),
        policy=policy,
    )


async def test_a_running_request_keeps_its_key_past_the_lease(
    runtime: Runtime, tenant: Tenant
) -> None:
    key = secrets.token_hex(8)
    policy = _policy(runtime, lease=0.6, wait=0.0)
    first = await _reserve(runtime, tenant, key, policy)
    assert isinstance(first, idempotency.Reservation)
    async with idempotency.holding(runtime.sessionmaker, first, policy):
        await asyncio.sleep(1.5)  # two and a half leases: renewed all along
        with pytest.raises(IdempotencyKeyInFlight):
            await _reserve(runtime, tenant, key, policy)
    await idempotency.release(runtime.sessionmaker, first)


async def test_a_dead_request_loses_its_key_and_cannot_store_its_answer(
    runtime: Runtime, tenant: Tenant
) -> None:
    key = secrets.token_hex(8)
    policy = _policy(runtime, lease=0.3, wait=2.0)
    dead = await _reserve(runtime, tenant, key, policy)
    assert isinstance(dead, idempotency.Reservation)
    # No one renews it (its process died): a retry waits out the lease, then takes it over.
    retry = await _reserve(runtime, tenant, key, policy)
    assert isinstance(retry, idempotency.Reservation)
    assert retry.record_id != dead.record_id  # the new owner
    answer = idempotency.StoredAnswer(status=200, media_type="application/json", body=b"{}")
    async with runtime.sessionmaker() as session:
        with pytest.raises(IdempotencyKeyInFlight):
            await idempotency.complete(session, dead, answer)
        await session.rollback()
    assert not await idempotency.renew(runtime.sessionmaker, dead, policy)
    async with runtime.sessionmaker() as session:
        await idempotency.complete(session, retry, answer)
        await session.commit()
    assert await _reserve(runtime, tenant, key, policy) == answer
