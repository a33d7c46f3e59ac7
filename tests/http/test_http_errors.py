"""One error path per surface: what the runner answers and what the application answers before any
API route runs (an unknown path, a method the path does not take, a route outside the runner) go
through the same mapping and the same renderer, so they have the same shape."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from tests.helpers import Api
from vantio.app import create_app
from vantio.config import Settings
from vantio.http.routes import DocumentedRoute, ReferralRoute, VoucherRoute, idempotent
from vantio.http.surfaces import ReferralError, VoucherError
from vantio.runtime import Runtime

DEEP = b'{"name": ' + b'{"a":' * 5000 + b"1" + b"}" * 5000 + b"}"


class Named(BaseModel):
    name: str


def probes(prefix: str, route_class: type[DocumentedRoute]) -> APIRouter:
    """Routes that raise Starlette's own exceptions inside the runner, and one outside it."""
    inside = APIRouter(prefix=f"{prefix}/probe", route_class=route_class)

    @inside.get("/raise/{status}")
    async def raise_status(status: int) -> None:
        """Raise Starlette's HTTPException inside the runner."""
        raise HTTPException(status, headers={"Allow": "GET, POST"} if status == 405 else None)

    @inside.post("/echo")
    @idempotent(f"probe.echo{prefix}")
    async def echo(body: Named) -> Named:
        """A body parsed inside the runner."""
        return body

    outside = APIRouter(prefix=f"{prefix}/plain", route_class=DocumentedRoute)

    @outside.post("/echo")
    async def plain_echo(body: Named) -> Named:
        """A body parsed outside the runner."""
        return body

    router = APIRouter()
    router.include_router(inside)
    router.include_router(outside)
    return router


@pytest.fixture(scope="module")
def probed_app(settings: Settings, runtime: Runtime) -> FastAPI:
    app = create_app(settings, runtime)
    app.include_router(probes("/api/v1", ReferralRoute))
    app.include_router(probes("/v1", VoucherRoute))
    return app


@pytest.fixture
async def probed(probed_app: FastAPI, api: Api) -> AsyncIterator[Api]:
    transport = httpx.ASGITransport(app=probed_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield Api(client, api.key)


def shape(prefix: str, response: httpx.Response) -> dict[str, Any]:
    """The error body, checked against its surface's model, without its free-text message."""
    body: dict[str, Any] = response.json()
    if prefix == "/v1":
        VoucherError.model_validate(body)
        return {k: v for k, v in body["error"].items() if k != "message"}
    ReferralError.model_validate(body)
    return {k: v for k, v in body.items() if k != "message"}


@pytest.mark.parametrize("prefix", ["/api/v1", "/v1"])
async def test_404_has_one_shape(probed: Api, prefix: str) -> None:
    outside = await probed.get(f"{prefix}/no-such-route")
    inside = await probed.get(f"{prefix}/probe/raise/404")
    assert outside.status_code == inside.status_code == 404
    assert shape(prefix, outside) == shape(prefix, inside)
    assert "RateLimit-Limit" in inside.headers  # the runner's answer, errors included
    # A 404 of a domain (an object that is not there) is rendered by the same renderer.
    missing = f"{prefix}/campaigns/camp_nothere" if prefix == "/v1" else f"{prefix}/users/user_x"
    domain = await probed.get(missing)
    assert domain.status_code == 404
    assert set(shape(prefix, domain)) - {"details"} == set(shape(prefix, inside))


@pytest.mark.parametrize("prefix", ["/api/v1", "/v1"])
async def test_405_has_one_shape_and_says_what_is_allowed(probed: Api, prefix: str) -> None:
    collection = f"{prefix}/campaigns" if prefix == "/v1" else f"{prefix}/programs"
    outside = await probed.delete(collection)
    inside = await probed.get(f"{prefix}/probe/raise/405")
    assert outside.status_code == inside.status_code == 405
    assert outside.json() == inside.json()
    assert shape(prefix, outside)["code"].lower() == "method_not_allowed"
    # Starlette names the methods of the first route that matched the path (here POST).
    assert "POST" in outside.headers["Allow"]
    assert inside.headers["Allow"] == "GET, POST"


@pytest.mark.parametrize("prefix", ["/api/v1", "/v1"])
@pytest.mark.parametrize("content", [b'{"name": "x",', DEEP], ids=["truncated", "too-deep"])
async def test_malformed_json_has_one_shape(probed: Api, prefix: str, content: bytes) -> None:
    headers = {**probed.headers, "Content-Type": "application/json"}
    inside = await probed.client.post(f"{prefix}/probe/echo", content=content, headers=headers)
    outside = await probed.client.post(f"{prefix}/plain/echo", content=content, headers=headers)
    assert outside.status_code == inside.status_code == 400
    assert outside.json() == inside.json()
    message = inside.json()["error"]["message"] if prefix == "/v1" else inside.json()["message"]
    assert message == "body: malformed JSON"
    assert shape(prefix, inside)["details"] == [{"field": "body", "message": "malformed JSON"}]


@pytest.mark.parametrize("prefix", ["/api/v1", "/v1"])
async def test_invalid_body_has_one_shape(probed: Api, prefix: str) -> None:
    inside = await probed.post(f"{prefix}/probe/echo", {"name": 5})
    outside = await probed.post(f"{prefix}/plain/echo", {"name": 5})
    assert outside.status_code == inside.status_code == 400
    assert outside.json() == inside.json()


async def test_a_broken_form_is_not_called_malformed_json(probed: Api) -> None:
    """Starlette's 400 for a form it cannot parse keeps its reason, on the dashboard's own error
    page (the dashboard takes forms, and answers people in HTML)."""
    response = await probed.client.post(
        "/dashboard/signin", content=b"x", headers={"Content-Type": "multipart/form-data"}
    )
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "body: Missing boundary in multipart." in response.text
    assert "JSON" not in response.text
