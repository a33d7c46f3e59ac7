"""Failures nobody planned for: a bug answers 500 in the shape of its surface (JSON for the APIs,
a page for the dashboard) carrying the request id, logged once with its traceback and that id;
every answer says `X-Content-Type-Options: nosniff`; no redirect echoes the `Host` header."""

import logging
import re
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from starlette.responses import Response

from tests.helpers import Api
from vantio.app import create_app
from vantio.config import Settings
from vantio.dashboard.web import PublicRoute
from vantio.http.routes import DocumentedRoute, ReferralRoute, VoucherRoute
from vantio.http.surfaces import ReferralError, VoucherError
from vantio.runtime import Runtime


class Bug(Exception):
    pass


def crashing(prefix: str, route_class: type[DocumentedRoute]) -> APIRouter:
    router = APIRouter(prefix=prefix, route_class=route_class)

    @router.get("/crash")
    async def crash() -> None:
        """Fail as a bug would."""
        raise Bug("an unexpected failure")

    return router


@pytest.fixture(scope="module")
def crashing_app(settings: Settings, runtime: Runtime) -> FastAPI:
    app = create_app(settings, runtime)
    app.include_router(crashing("/api/v1/probe", ReferralRoute))  # inside the runner
    app.include_router(crashing("/v1/probe", VoucherRoute))
    app.include_router(crashing("/api/v1/plain", DocumentedRoute))  # outside it
    app.include_router(crashing("/v1/plain", DocumentedRoute))
    page = crashing("/dashboard/probe", PublicRoute)
    # Before the dashboard's catch-all 404 page.
    app.router.routes[:0] = page.routes
    return app


@pytest.fixture
async def crashing_api(crashing_app: FastAPI, api: Api) -> AsyncIterator[Api]:
    transport = httpx.ASGITransport(app=crashing_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield Api(client, api.key)


def _records_of(caplog: pytest.LogCaptureFixture, request_id: str) -> list[logging.LogRecord]:
    """What was logged about the request, beside its access log line (which every request has)."""
    return [r for r in caplog.records if request_id in r.getMessage() and r.name != "vantio.access"]


@pytest.mark.parametrize("prefix", ["/api/v1", "/v1"])
@pytest.mark.parametrize("where", ["probe", "plain"], ids=["inside-runner", "outside-runner"])
async def test_a_bug_is_a_500_in_the_surface_shape_with_the_request_id(
    crashing_api: Api, caplog: pytest.LogCaptureFixture, prefix: str, where: str
) -> None:
    caplog.set_level(logging.DEBUG)
    response = await crashing_api.get(f"{prefix}/{where}/crash")
    assert response.status_code == 500
    request_id = response.headers["X-Request-Id"]
    body = response.json()
    if prefix == "/v1":
        VoucherError.model_validate(body)
        error = body["error"]
        assert error["code"] == "INTERNAL_ERROR"
    else:
        ReferralError.model_validate(body)
        error = body
        assert (body["code"], body["error"]) == ("internal_error", "Internal Server Error")
    assert error["details"] == {"request_id": request_id}
    assert request_id in error["message"]
    assert "an unexpected failure" not in response.text  # the bug's text stays in the log
    (logged,) = _records_of(caplog, request_id)
    assert logged.levelno == logging.ERROR
    assert logged.exc_info is not None
    assert logged.exc_info[0] is Bug
    # Once: nothing else logged the same exception again.
    assert [r for r in caplog.records if r.exc_info and r.exc_info[0] is Bug] == [logged]


async def test_a_bug_on_a_dashboard_page_is_a_page(
    crashing_api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    response = await crashing_api.client.get("/dashboard/probe/crash")
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/html")
    request_id = response.headers["X-Request-Id"]
    assert "Something went wrong" in response.text
    assert request_id in response.text
    assert len(_records_of(caplog, request_id)) == 1


async def test_every_answer_says_nosniff(crashing_api: Api) -> None:
    client = crashing_api.client
    answers: dict[str, Response | httpx.Response] = {
        "api": await crashing_api.get("/api/v1/programs"),
        "voucher api error": await crashing_api.get("/v1/vouchers/v_nothere"),
        "unknown path": await client.get("/nothing/here"),
        "no key": await client.get("/api/v1/programs"),
        "a bug": await crashing_api.get("/api/v1/plain/crash"),
        "scan": await client.get("/s/nosuchposter"),
        "dashboard": await client.get("/dashboard/signin"),
        "dashboard redirect": await client.get("/dashboard"),
        "static": await client.get("/dashboard/static/dashboard.css"),
        "docs": await client.get("/docs"),
        "openapi": await client.get("/openapi.json"),
    }
    assert answers["static"].status_code == 200
    missing = [
        name for name, r in answers.items() if r.headers.get("x-content-type-options") != "nosniff"
    ]
    assert missing == []


@pytest.mark.parametrize("path", ["/api/v1/programs/", "/v1/vouchers/", "/dashboard"])
async def test_redirects_never_echo_the_host(api: Api, path: str) -> None:
    response = await api.client.get(
        path, headers={**api.headers, "Host": "attacker.example"}, follow_redirects=False
    )
    assert 300 <= response.status_code < 400, response.text
    location = response.headers["location"]
    assert "attacker.example" not in location
    assert re.fullmatch(r"/[^/].*", location), location  # relative to the URL asked for
