"""The scan's batches on the database: the de-duplication look-up, whatever the database knows of
the table, and the writer's kept connections."""

import json
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, event, text

from tests.conftest import make_settings
from tests.helpers import Api
from tests.scans.test_scan import (
    DESKTOP,
    IPHONE,
    impression_id_of,
    impressions_of,
    poster_for,
    scan,
)
from vantio.app import create_app
from vantio.impressions import service as impression_service
from vantio.runtime import Runtime
from vantio.scans import service
from vantio.scans.writer import writer_of

WINDOW = timedelta(minutes=30)


def _scans(connection: Connection, code: str, count: int, at: datetime) -> None:
    visits = [
        service.visit(
            code,
            user_agent=f"{IPHONE} n/{n}",
            ip_address=f"198.51.{n // 256}.{n % 256}",
            referrer=None,
            query=(),
            count=True,
            at=at,
            device=secrets.token_urlsafe(16),
        )
        for n in range(count)
    ]
    service.record_scans(connection, visits=visits, dedupe=WINDOW)


def _lookup_statement(
    connection: Connection, poster_id: str, since: datetime
) -> tuple[str, Any, Any]:
    """The statement `find_recent_many` sends for 8 devices never seen and 2 cookies, as sent,
    with its parameters and its answer."""
    sent: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        sent.append((statement, parameters))

    event.listen(connection, "before_cursor_execute", capture)
    try:
        found = impression_service.find_recent_many(
            connection,
            fingerprints=[(poster_id, secrets.token_hex(32)) for _ in range(8)],
            devices=[(poster_id, secrets.token_hex(32)) for _ in range(2)],
            since=since,
        )
    finally:
        event.remove(connection, "before_cursor_execute", capture)
    assert len(sent) == 1
    return sent[0][0], sent[0][1], found


def _rows_read(plan: dict[str, Any]) -> int:
    """Rows that the plan's nodes produced or threw away, all loops included."""
    node = plan.get("Plan", plan)
    own = node.get("Actual Rows", 0) * node.get("Actual Loops", 1)
    own += node.get("Rows Removed by Filter", 0) + node.get("Rows Removed by Index Recheck", 0)
    return own + sum(_rows_read(child) for child in node.get("Plans", []))


def _explain(connection: Connection, poster_id: str, code: str, backend: str) -> Any:
    now = datetime.now(UTC)
    if backend == "postgresql":
        # The table as PostgreSQL sees it in a new database (never analyzed), or with statistics
        # that do not know the last minutes; rolled back with the rest.
        connection.execute(
            text(
                "UPDATE pg_class SET reltuples = -1, relpages = 0 "
                "WHERE oid = 'impressions'::regclass"
            )
        )
        connection.execute(
            text("DELETE FROM pg_statistic WHERE starelid = 'impressions'::regclass")
        )
    # A popular poster: 300 devices in the last minutes.
    _scans(connection, code, 300, now - timedelta(minutes=5))
    statement, parameters, found = _lookup_statement(connection, poster_id, now - WINDOW)
    assert found == ({}, {})
    if backend == "postgresql":
        return connection.exec_driver_sql(
            f"EXPLAIN (ANALYZE, FORMAT JSON) {statement}", parameters
        ).scalar_one()
    return connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()


async def test_the_lookup_probes_each_device_not_the_posters_whole_window(
    api: Api, runtime: Runtime, backend: str
) -> None:
    """A batch's look-up reads about one index entry per device, not every impression the poster
    had in the last 30 minutes: on PostgreSQL its planner took the (poster, cookie, time) index
    for a look-up by (poster, IP and user agent) while it believed the table small (a new
    database before its first ANALYZE), reading the poster's whole window for each batch."""
    poster = await poster_for(api)
    async with runtime.engine.connect() as connection:
        transaction = await connection.begin()
        try:
            plan = await connection.run_sync(_explain, poster["id"], poster["code"], backend)
        finally:
            await transaction.rollback()
    if backend == "postgresql":
        document = json.loads(plan) if isinstance(plan, str) else plan
        assert _rows_read(document[0]) < 50, json.dumps(document, indent=1)
    else:
        details = [row[-1] for row in plan]
        assert any(
            "ix_impressions_poster_fingerprint" in d and "fingerprint=?" in d for d in details
        ), details
        assert any(
            "ix_impressions_poster_device" in d and "device_fingerprint=?" in d for d in details
        ), details


async def test_a_writer_connection_the_server_ended_while_idle_is_replaced(
    api: Api, database_url: str, backend: str
) -> None:
    """PostgreSQL: the writer keeps its connections from one batch to the next (no ping, no
    reset per batch). One the server ended in between (a restart, a failover, an idle timeout)
    costs no scan: the batch runs again on a new connection."""
    if backend != "postgresql":
        pytest.skip("SQLite's writer keeps its own blocking connection (tested with the lock)")
    poster = await poster_for(api)
    settings = make_settings(database_url)
    runtime = Runtime.create(settings)
    app = create_app(settings, runtime)
    try:
        async with app.router.lifespan_context(app):
            first = await scan(app, poster["code"], **{"user-agent": IPHONE})
            kept = writer_of(app)._idle
            assert len(kept) == 1
            raw = await kept[0].get_raw_connection()
            pid = raw.driver_connection.get_server_pid()  # type: ignore[union-attr]
            async with runtime.engine.connect() as other:
                ended = await other.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            assert ended
            second = await scan(app, poster["code"], **{"user-agent": DESKTOP})
    finally:
        await runtime.close()
    ids = {impression_id_of(first), impression_id_of(second)}
    assert len(ids) == 2
    assert {i["id"] for i in await impressions_of(api, poster["id"])} == ids
