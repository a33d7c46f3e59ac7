"""Every answer carries `X-Request-Id`: the client's own when it is sane, a new one otherwise."""

import httpx
import pytest

from tests.helpers import Api


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/programs"),  # an API answer
        ("GET", "/api/v1/nothing-here"),  # an error outside the runner
        ("GET", "/v1/vouchers/does-not-exist"),  # an error inside the runner
        ("GET", "/s/no-such-poster"),  # the scan fast path
        ("GET", "/dashboard/sign-in"),  # a dashboard page
        ("GET", "/openapi.json"),
    ],
)
async def test_every_answer_carries_a_request_id(api: Api, method: str, path: str) -> None:
    response = await api.client.request(method, path, headers=api.headers)
    request_id = response.headers.get("x-request-id", "")
    assert request_id.startswith("req_"), (path, response.status_code, response.headers)


async def test_ids_differ_between_requests(api: Api) -> None:
    ids = {(await api.get("/api/v1/programs")).headers["x-request-id"] for _ in range(5)}
    assert len(ids) == 5


async def test_the_clients_own_id_is_kept(api: Api) -> None:
    response = await api.client.get(
        "/api/v1/programs", headers={**api.headers, "X-Request-Id": "checkout-7f3a"}
    )
    assert response.headers["x-request-id"] == "checkout-7f3a"


@pytest.mark.parametrize("given", ["", "x" * 201, "bad\x7fid", "naïve"])
async def test_an_unusable_id_is_replaced(client: httpx.AsyncClient, given: str) -> None:
    raw = given.encode("utf-8")
    response = await client.get("/api/v1/programs", headers=[(b"x-request-id", raw)])
    assert response.headers["x-request-id"].startswith("req_")
