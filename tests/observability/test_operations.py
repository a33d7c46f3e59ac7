"""Operations (issue 12 point 7): health and readiness, Prometheus metrics, the access log and
JSON logs, the API documentation without a CDN, `/` for a browser, the scan's 404 page."""

import json
import logging
import re
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import delete, update

from tests.conftest import make_settings
from tests.helpers import Api, make_program
from vantio.app import create_app
from vantio.composition import create_runtime
from vantio.config import Settings
from vantio.db.session import transaction
from vantio.kit.ids import new_id
from vantio.kit.time import utc_now
from vantio.observability.logs import JsonFormatter, logging_config
from vantio.runtime import Runtime
from vantio.worker.models import Job, PeriodicSchedule


def samples(text: str, metric: str) -> list[tuple[dict[str, str], float]]:
    found = []
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == metric:
                found.append((sample.labels, sample.value))
    return found


def value(text: str, metric: str, **labels: str) -> float:
    return sum(
        v for got, v in samples(text, metric) if all(got.get(k) == w for k, w in labels.items())
    )


async def client_for(settings: Settings) -> tuple[httpx.AsyncClient, Runtime]:
    runtime = create_runtime(settings)
    app = create_app(settings, runtime)
    transport = httpx.ASGITransport(app=app)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver"), runtime


# -- liveness and readiness ----------------------------------------------------------------------


async def test_liveness_answers_json_without_touching_anything(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.headers["x-request-id"]


async def test_ready_checks_the_database_migrations_and_worker(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/ready")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["migrations"]["current"] == body["checks"]["migrations"]["head"]
    assert "heartbeat_age_seconds" in body["checks"]["worker"]
    assert "redis" not in body["checks"]  # not configured


async def test_ready_is_503_when_no_worker_ran_for_too_long(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    # The schedules are put back after the test (conftest's database_wide_state_restored).
    stale = utc_now() - timedelta(hours=2)
    async with transaction(runtime.sessionmaker) as session:
        await session.execute(update(PeriodicSchedule).values(last_due_at=stale))
        session.add(
            PeriodicSchedule(
                name="tests.stale", spec="every 60s", next_due_at=stale, last_due_at=stale
            )
        )
    response = await client.get("/health/ready")
    assert response.status_code == 503
    worker = response.json()["checks"]["worker"]
    assert worker["ok"] is False
    assert worker["heartbeat_age_seconds"] >= 7200
    assert "vantio worker" in worker["error"]


async def test_ready_is_503_on_a_database_not_migrated(tmp_path: Path) -> None:
    settings = make_settings(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    client, runtime = await client_for(settings)
    try:
        response = await client.get("/health/ready")
    finally:
        await client.aclose()
        await runtime.close()
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"]["ok"] is True
    assert checks["migrations"]["ok"] is False
    assert "vantio db upgrade" in checks["migrations"]["error"]


@pytest.mark.parametrize(
    ("redis_url", "ok"), [("redis://127.0.0.1:6379/0", True), ("redis://127.0.0.1:1/0", False)]
)
async def test_ready_checks_redis_when_configured(
    database_url: str, redis_url: str, ok: bool
) -> None:
    settings = make_settings(database_url, redis_url=redis_url)
    client, runtime = await client_for(settings)
    try:
        response = await client.get("/health/ready")
    finally:
        await client.aclose()
        await runtime.close()
    assert response.json()["checks"]["redis"]["ok"] is ok
    assert (response.status_code == 200) is ok or response.json()["checks"]["worker"]["ok"] is False


# -- metrics -------------------------------------------------------------------------------------


async def test_metrics_count_requests_by_route_template_and_status(api: Api) -> None:
    before = (await api.client.get("/metrics")).text
    program = await make_program(api)
    await api.get(f"/api/v1/programs/{program['id']}")
    missing = await api.get("/api/v1/programs/prog_does_not_exist")
    await api.client.get("/s/no-such-poster")
    response = await api.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    after = response.text

    def delta(metric: str, **labels: str) -> float:
        return value(after, metric, **labels) - value(before, metric, **labels)

    route = "/api/v1/programs/{id}"
    assert delta("vantio_http_requests_total", method="GET", route=route, status="200") == 1
    assert (
        delta(
            "vantio_http_requests_total", method="GET", route=route, status=str(missing.status_code)
        )
        == 1
    )
    assert missing.status_code >= 400
    assert delta("vantio_http_requests_total", method="POST", route="/api/v1/programs") == 1
    # A latency histogram per route; no path (with its ids) ever becomes a label.
    assert delta("vantio_http_request_duration_seconds_count", method="GET", route=route) == 2
    assert not any(
        "prog_" in str(labels) for labels, _ in samples(after, "vantio_http_requests_total")
    )
    assert delta("vantio_scans_total", outcome="not_found") == 1
    assert not any(
        "no-such-poster" in str(labels)
        for labels, _ in samples(after, "vantio_http_requests_total")
    )
    assert samples(after, "vantio_db_pool_connections_max")


async def test_metrics_read_the_job_queue_from_the_database(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    name = f"tests.metrics_{new_id('x')[-6:]}"  # no worker knows it: it stays queued
    job_id = new_id("job")
    async with transaction(runtime.sessionmaker) as session:
        session.add(
            Job(
                id=job_id,
                name=name,
                payload={},
                state="queued",
                run_at=utc_now() - timedelta(minutes=3),
            )
        )
    try:
        text = (await client.get("/metrics")).text
    finally:
        async with transaction(runtime.sessionmaker) as session:
            await session.execute(delete(Job).where(Job.id == job_id))
    assert value(text, "vantio_jobs", name=name, state="queued") == 1
    assert value(text, "vantio_jobs_oldest_due_age_seconds", name=name) >= 180


# -- logs ----------------------------------------------------------------------------------------


async def test_every_request_writes_an_access_log_line(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="vantio.access"):
        response = await api.client.get(
            "/api/v1/programs/prog_nope", headers={**api.headers, "X-Request-Id": "trace-42"}
        )
    assert response.headers["x-request-id"] == "trace-42"
    (record,) = [r for r in caplog.records if r.name == "vantio.access"]
    assert record.__dict__["request_id"] == "trace-42"
    assert record.__dict__["method"] == "GET"
    assert record.__dict__["route"] == "/api/v1/programs/{id}"
    assert record.__dict__["status"] == 404
    assert record.__dict__["duration_ms"] >= 0
    assert "prog_nope" not in record.getMessage()


async def test_the_access_log_can_be_turned_off(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    client, runtime = await client_for(make_settings(database_url, access_log=False))
    try:
        with caplog.at_level(logging.INFO, logger="vantio.access"):
            await client.get("/health")
    finally:
        await client.aclose()
        await runtime.close()
    assert not [r for r in caplog.records if r.name == "vantio.access"]


def test_json_logs_are_one_object_per_line() -> None:
    record = logging.makeLogRecord(
        {
            "name": "vantio.access",
            "levelno": logging.INFO,
            "levelname": "INFO",
            "msg": "%s %s",
            "args": ("GET", "/health"),
            "request_id": "req_1",
            "status": 200,
        }
    )
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "GET /health"
    assert entry["logger"] == "vantio.access"
    assert entry["level"] == "info"
    assert entry["request_id"] == "req_1"
    assert entry["status"] == 200
    assert logging_config("json")["formatters"]["default"]["()"].endswith("JsonFormatter")
    assert "format" in logging_config("text")["formatters"]["default"]


# -- what a browser meets ------------------------------------------------------------------------


@pytest.mark.parametrize(("page", "assets"), [("/docs", 2), ("/redoc", 1)])
async def test_api_docs_load_nothing_from_outside(
    client: httpx.AsyncClient, page: str, assets: int
) -> None:
    html = (await client.get(page)).text
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    assert not [u for u in urls if u.startswith(("http:", "https:", "//"))], urls
    local = [u for u in urls if u.startswith("/docs/assets/") and not u.endswith(".png")]
    assert len(local) >= assets
    for url in local:
        response = await client.get(url)
        assert response.status_code == 200, url
        assert len(response.content) > 10_000


async def test_the_root_sends_a_browser_to_the_dashboard(client: httpx.AsyncClient) -> None:
    response = await client.get("/", follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"] == "/dashboard/"


async def test_the_scan_404_page_is_styled_for_a_phone(client: httpx.AsyncClient) -> None:
    response = await client.get("/s/no-such-poster")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert "<meta name='viewport' content='width=device-width, initial-scale=1'>" in html
    assert "<style>" in html
    assert "not valid" in html
