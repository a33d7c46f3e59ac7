"""No log line carries an API key, a `whsec_` secret or a password, even when the database fails
in the middle of a request that holds them.

The test's own database refuses every new webhook endpoint (a trigger), so the INSERT that holds
the freshly made `whsec_` secret fails; on PostgreSQL the database then refuses connections
altogether. Every log record of the run is captured at DEBUG (`vantio`, `sqlalchemy` with its
statement log, `uvicorn`) and searched for the secrets. Without `hide_parameters` SQLAlchemy
prints the statement's parameters in its log and in the error's text.
"""

import base64
import logging
import re
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import text

from tests.conftest import BACKEND, make_settings
from tests.faults.harness import database_outage, fresh_database
from tests.helpers import new_tenant
from vantio.app import create_app
from vantio.composition import create_runtime
from vantio.db.session import transaction
from vantio.kit import sealing
from vantio.runtime import Runtime

PASSWORD = "hunter2-but-longer-0451"

REFUSE_ON_SQLITE = (
    "CREATE TRIGGER refuse_endpoints BEFORE INSERT ON webhook_endpoints "
    "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
)
REFUSE_ON_POSTGRESQL = (
    "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$",
    "CREATE TRIGGER refuse_endpoints BEFORE INSERT ON webhook_endpoints "
    "FOR EACH ROW EXECUTE FUNCTION refuse()",
)


@pytest.fixture
async def own_runtime() -> AsyncIterator[tuple[str, Runtime]]:
    async with fresh_database() as url:
        runtime = create_runtime(make_settings(url))
        try:
            yield url, runtime
        finally:
            await runtime.close()


async def test_no_secret_reaches_the_logs_when_the_database_fails(
    own_runtime: tuple[str, Runtime], caplog: pytest.LogCaptureFixture
) -> None:
    url, runtime = own_runtime
    for name in ("vantio", "sqlalchemy", "uvicorn"):
        caplog.set_level(logging.DEBUG, logger=name)
    transport = httpx.ASGITransport(app=create_app(runtime.settings, runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        tenant = await new_tenant(runtime, client)
        api = tenant.test
        async with transaction(runtime.sessionmaker) as session:
            for statement in (
                REFUSE_ON_POSTGRESQL if BACKEND == "postgresql" else (REFUSE_ON_SQLITE,)
            ):
                await session.execute(text(statement))
        body = {
            "url": "https://example.com/hooks",
            "events": ["*"],
            "description": f"password {PASSWORD}",
            "metadata": {"password": PASSWORD},
        }
        refused = await api.post("/api/v1/webhook_endpoints", body)
        assert refused.status_code == 500, refused.text
        assert refused.json()["details"]["request_id"] == refused.headers["X-Request-Id"]
        assert PASSWORD not in refused.text
        if BACKEND == "postgresql":
            async with database_outage(url, seconds=0):
                unavailable = await api.post("/api/v1/webhook_endpoints", body)
                assert unavailable.status_code == 503, unavailable.text
                vouchers = await api.post(
                    "/v1/vouchers", {"code": PASSWORD, "type": "percentage", "value": 5}
                )
                assert vouchers.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
    # The statement log ran (so the search below searched something), with its values hidden.
    messages = [record.getMessage() for record in caplog.records]
    assert any("INSERT INTO webhook_endpoints" in m for m in messages)
    assert any("parameters hidden" in m for m in messages)
    texts = [caplog.text, *messages]
    for record in caplog.records:
        if record.exc_info and record.exc_info[1] is not None:
            texts.append(repr(record.exc_info[1]) + str(record.exc_info[1]))
    # The keys themselves (their first characters, a hint shown in the dashboard, may appear),
    # and the server key that seals secrets at rest (issue 11, point 5), each of its keys.
    server_keys = [
        base64.urlsafe_b64encode(key).rstrip(b"=").decode()
        for key in sealing.active().keys.values()
    ]
    secrets = re.compile(
        "|".join(re.escape(s) for s in ("whsec_", PASSWORD, api.key, tenant.live.key, *server_keys))
    )
    leaked = [m.group(0) for t in texts for m in [secrets.search(t)] if m]
    assert leaked == []
