"""The one event writer: events, their delivery jobs and the NOTIFY, in the caller's transaction."""

import asyncio
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import event, select

from tests.helpers import Tenant, new_tenant
from vantio.auth.context import AuthContext
from vantio.db.session import transaction
from vantio.events import jobs as event_jobs
from vantio.events import service as event_service
from vantio.events.models import Event
from vantio.kit.time import utc_now
from vantio.runtime import Runtime
from vantio.webhooks.dispatch import DELIVER
from vantio.worker import jobs
from vantio.worker.models import Job

HOOK = "https://hooks.example.com/"


async def endpoint(tenant: Tenant, events: list[str], *, live: bool = False) -> str:
    api = tenant.live if live else tenant.test
    body = {"url": HOOK + "-".join(events).replace("*", "all"), "events": events}
    created = await api.ok("POST", "/api/v1/webhook_endpoints", body)
    return str(created["id"])


def new_event(tenant: Tenant, type: str, n: int, *, live: bool = False) -> event_service.NewEvent:
    return event_service.NewEvent(tenant.account_id, live, type, {"id": f"obj_{n}"}, utc_now())


async def deliveries_of(runtime: Runtime, event_ids: list[str]) -> list[tuple[str, str]]:
    async with transaction(runtime.sessionmaker) as session:
        payloads = (await session.scalars(select(Job.payload).where(Job.name == DELIVER))).all()
    return sorted((p["event_id"], p["endpoint_id"]) for p in payloads if p["event_id"] in event_ids)


async def test_a_batch_gets_one_job_per_subscribed_endpoint_of_each_owner(
    runtime: Runtime, tenant: Tenant, client: httpx.AsyncClient
) -> None:
    other = await new_tenant(runtime, client)
    everything = await endpoint(tenant, ["*"])
    scans = await endpoint(tenant, ["impression.created"])
    live = await endpoint(tenant, ["referral.created"], live=True)
    await endpoint(other, ["earning.created"])
    batch = [
        new_event(tenant, "referral.created", 1),
        new_event(tenant, "impression.created", 2),
        new_event(tenant, "referral.created", 3, live=True),
        new_event(other, "referral.created", 4),
        new_event(other, "impression.created", 5),
    ]
    async with runtime.engine.begin() as connection:
        written = await connection.run_sync(event_service.write, batch)
    ids = written.event_ids
    assert written.deliveries == 3
    assert await deliveries_of(runtime, ids) == sorted(
        [(ids[0], everything), (ids[1], scans), (ids[2], live)]
    )
    async with transaction(runtime.sessionmaker) as session:
        rows = {e.id: e for e in (await session.scalars(select(Event).where(Event.id.in_(ids))))}
    assert [(rows[i].account_id, rows[i].livemode, rows[i].type) for i in ids] == [
        (e.account_id, e.livemode, e.type) for e in batch
    ]
    # The body is serialized once, at write time; an impression.created nobody takes has none.
    assert all(rows[i].body for i in ids[:4])
    assert rows[ids[4]].body is None


async def test_an_unknown_event_type_is_refused_and_nothing_is_written(
    runtime: Runtime, tenant: Tenant
) -> None:
    auth = AuthContext(account_id=tenant.account_id, livemode=False, api_key_id="")

    async def change() -> None:
        async with transaction(runtime.sessionmaker) as session:
            await event_service.record(session, auth, type="referral.created", data={"id": "a"})
            await event_service.record(session, auth, type="referral.create", data={"id": "b"})

    with pytest.raises(ValueError, match=r"unknown event type 'referral\.create'"):
        await change()
    events = await tenant.test.ok("GET", "/api/v1/events")
    assert events["events"] == []


async def test_a_recorded_event_wakes_this_process_workers_at_commit(
    runtime: Runtime, tenant: Tenant
) -> None:
    await endpoint(tenant, ["*"])
    auth = AuthContext(account_id=tenant.account_id, livemode=False, api_key_id="")
    woken: list[str] = []
    jobs._local_wakers.add(wake := lambda: woken.append("now"))
    try:
        async with transaction(runtime.sessionmaker) as session:
            await event_service.record(session, auth, type="referral.created", data={"id": "a"})
            assert woken == []  # not before the job is visible
        assert woken == ["now"]
    finally:
        jobs._local_wakers.discard(wake)


async def test_workers_are_notified_when_the_events_commit_and_not_when_they_roll_back(
    runtime: Runtime, tenant: Tenant, backend: str, database_url: str
) -> None:
    if backend != "postgresql":
        pytest.skip("NOTIFY is PostgreSQL's; SQLite's workers poll")
    await endpoint(tenant, ["*"])
    received: asyncio.Queue[str] = asyncio.Queue()
    listener = await asyncpg.connect(database_url.replace("postgresql+asyncpg", "postgresql"))
    await listener.add_listener(jobs.NOTIFY_CHANNEL, lambda *args: received.put_nowait(args[2]))
    try:

        async def write(n: int) -> Any:
            async with runtime.engine.begin() as connection:
                await connection.run_sync(
                    event_service.write, [new_event(tenant, "referral.created", n)]
                )
                await connection.run_sync(
                    event_service.write, [new_event(tenant, "referral.created", n + 1)]
                )
                if n == 0:
                    raise RuntimeError("the change fails: its events go with it")

        with pytest.raises(RuntimeError):
            await write(0)
        await asyncio.sleep(0.2)
        assert received.empty()
        await write(10)
        assert await asyncio.wait_for(received.get(), 5) == jobs.NOTIFY_CHANNEL
        await asyncio.sleep(0.2)
        assert received.empty()  # one commit, one wake-up
    finally:
        await listener.close()


async def test_a_delivery_goes_only_to_an_endpoint_of_the_event_owner(
    runtime: Runtime, tenant: Tenant, client: httpx.AsyncClient
) -> None:
    other = await new_tenant(runtime, client)
    own = await endpoint(tenant, ["referral.created"])
    live = await endpoint(tenant, ["referral.created"], live=True)
    foreign = await endpoint(other, ["referral.created"])
    auth = AuthContext(account_id=tenant.account_id, livemode=False, api_key_id="")
    async with transaction(runtime.sessionmaker) as session:
        event_id = await event_service.record(
            session, auth, type="referral.created", data={"id": "a"}
        )
    async with transaction(runtime.sessionmaker) as session:
        found = {
            endpoint_id: await event_jobs.load_delivery(
                session, event_id=event_id, endpoint_id=endpoint_id
            )
            for endpoint_id in (own, live, foreign)
        }
    assert found[own] is not None
    assert found[own].body.startswith(f'{{"id":"{event_id}","type":"referral.created"'.encode())
    assert found[live] is None
    assert found[foreign] is None


def statements_of(runtime: Runtime) -> tuple[list[str], Any]:
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    return seen, note


async def test_who_subscribes_is_remembered_until_an_endpoint_changes(
    runtime: Runtime, tenant: Tenant
) -> None:
    """Issue 13: every event asked the database who subscribes to it; the answer is remembered
    per account and mode, and forgotten when an endpoint is created, changed or deleted."""
    first = await endpoint(tenant, ["referral.created"])
    seen, note = statements_of(runtime)
    sync_engine = runtime.engine.sync_engine

    async def write_one(n: int) -> list[tuple[str, str]]:
        async with runtime.engine.begin() as connection:
            written = await connection.run_sync(
                event_service.write, [new_event(tenant, "referral.created", n)]
            )
        return await deliveries_of(runtime, written.event_ids)

    assert len(await write_one(1)) == 1
    event.listen(sync_engine, "before_cursor_execute", note)
    try:
        assert len(await write_one(2)) == 1
    finally:
        event.remove(sync_engine, "before_cursor_execute", note)
    assert not [s for s in seen if "webhook_endpoints" in s], seen

    second = await endpoint(tenant, ["*"])  # created: the next event goes to both
    assert sorted(e for _, e in await write_one(3)) == sorted([first, second])
    await tenant.test.ok("PUT", f"/api/v1/webhook_endpoints/{first}", {"disabled": True})
    assert [e for _, e in await write_one(4)] == [second]
    await tenant.test.ok("DELETE", f"/api/v1/webhook_endpoints/{second}")
    assert await write_one(5) == []
