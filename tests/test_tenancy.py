"""Another account's objects, and the same account's other mode's, answer 404 on every route.

The walker reads `app.openapi()`, so a new route is covered the moment it exists; it fails for a
route it cannot fill (see tests/foreign_objects.py for how to register a factory).
"""

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.foreign_objects import BODIES, COLLECTIONS, FACTORIES, FIELDS, MARK, Obj
from tests.helpers import Api, Tenant, new_tenant
from vantio.runtime import Runtime

PARAM = re.compile(r"\{([^}]+)\}")
METHODS = ("get", "post", "put", "patch", "delete")
API_PREFIXES = ("/api/v1/", "/v1/")


def operations(app: Any) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in app.openapi()["paths"].items():
        if not path.startswith(API_PREFIXES):
            continue
        for method, operation in item.items():
            if method in METHODS:
                yield method.upper(), path, operation


def prefix_of_param(path: str, param: str) -> str:
    """The ID prefix a path parameter takes: named by the collection segment before it."""
    before = path[: path.index("{" + param + "}")].rstrip("/").rsplit("/", 1)[-1]
    prefix = COLLECTIONS.get(before)
    assert prefix is not None, (
        f"{path}: no ID prefix known for the collection '{before}' of {{{param}}}; "
        "add it to COLLECTIONS in tests/foreign_objects.py"
    )
    assert prefix in FACTORIES, (
        f"{path}: no factory for '{prefix}_' objects; register one with "
        f"@factory({prefix!r}) in tests/foreign_objects.py"
    )
    return prefix


def fill(path: str, objects: dict[str, Obj]) -> str:
    def value(match: re.Match[str]) -> str:
        param = match.group(1)
        obj = objects[param]
        return str(obj[param] if param in obj and param != "id" else obj["id"])

    return PARAM.sub(value, path)


def body_schema(app: Any, operation: dict[str, Any]) -> dict[str, Any] | None:
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if content is None:
        return None
    schema: dict[str, Any] = content["schema"]
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = app.openapi()["components"]["schemas"][name]
    return schema


def assert_no_leak(response: httpx.Response, foreign_ids: set[str], allowed: str = "") -> None:
    text = response.text.replace(allowed, "") if allowed else response.text
    assert MARK not in text, f"foreign object's contents in {response.request.url}: {text[:500]}"
    for foreign_id in foreign_ids:
        assert foreign_id not in text, f"foreign id {foreign_id} in {response.request.url}"


@pytest.fixture(params=["other_account", "other_mode"])
async def stranger(
    request: pytest.FixtureRequest, tenant: Tenant, runtime: Runtime, client: httpx.AsyncClient
) -> Api:
    """Who owns the foreign objects: another account's test key, or our own live key."""
    if request.param == "other_mode":
        return tenant.live
    return (await new_tenant(runtime, client)).test


async def call(api: Api, method: str, url: str, json: Any = None) -> httpx.Response:
    if method in ("GET", "DELETE"):
        return await api.client.request(method, url, headers=api.headers)
    return await api.client.request(method, url, json=json, headers=api.headers)


def test_walker_sees_the_referral_api(app: Any) -> None:
    routes = {(method, path) for method, path, _ in operations(app)}
    for expected in [
        ("GET", "/api/v1/referrals/{id}"),
        ("PUT", "/api/v1/earnings/{id}"),
        ("GET", "/api/v1/events/{id}"),
        ("POST", "/api/v1/referrals"),
    ]:
        assert expected in routes


@pytest.mark.slow
async def test_every_route_with_an_id_answers_404_for_foreign_objects(
    app: Any, api: Api, stranger: Api
) -> None:
    checked = []
    for method, path, _operation in operations(app):
        params = PARAM.findall(path)
        if not params:
            continue
        objects = {
            param: await FACTORIES[prefix_of_param(path, param)](stranger) for param in params
        }
        url = fill(path, objects)
        body = {} if method in ("POST", "PUT", "PATCH") else None

        foreign = await call(api, method, url, body)
        assert foreign.status_code == 404, f"{method} {url} -> {foreign.status_code} {foreign.text}"
        assert foreign.json().get("error") is not None
        assert_no_leak(foreign, set(), allowed="")

        # The owner reaches the same URL: the 404 above is about ownership, not a wrong URL.
        owner = await call(stranger, method, url, body)
        assert owner.status_code != 404, (
            f"owner: {method} {url} -> {owner.status_code} {owner.text}"
        )
        assert owner.status_code < 500
        checked.append(f"{method} {path}")
    assert len(checked) >= 9  # programs 2, users 2, posters 2, impressions 1, referrals 2, ...


async def test_lists_never_show_foreign_objects(app: Any, api: Api, stranger: Api) -> None:
    foreign: dict[str, Obj] = {prefix: await make(stranger) for prefix, make in FACTORIES.items()}
    foreign_ids = {obj["id"] for obj in foreign.values()}
    lists = [(path, op) for method, path, op in operations(app) if method == "GET"]
    lists = [(path, op) for path, op in lists if not PARAM.search(path)]
    assert lists
    for path, operation in lists:
        response = await api.client.get(path, headers=api.headers)
        assert response.status_code == 200, f"GET {path} -> {response.status_code}"
        assert_no_leak(response, foreign_ids)
        # Filtering by a foreign object's ID finds nothing and tells nothing.
        for parameter in operation.get("parameters", []):
            name = parameter["name"]
            if parameter["in"] != "query" or name not in FIELDS:
                continue
            foreign_id = foreign[FIELDS[name]]["id"]
            filtered = await api.client.get(path, params={name: foreign_id}, headers=api.headers)
            assert filtered.status_code in (200, 404), f"GET {path}?{name}= -> {filtered.text}"
            assert_no_leak(filtered, foreign_ids - {foreign_id}, allowed=foreign_id)
            if filtered.status_code == 200:
                lists_in_body = [v for v in filtered.json().values() if isinstance(v, list)]
                assert lists_in_body, filtered.text
                assert all(v == [] for v in lists_in_body), filtered.text


async def test_post_bodies_referencing_foreign_objects_are_refused(
    app: Any, api: Api, stranger: Api
) -> None:
    checked = []
    for method, path, operation in operations(app):
        if method != "POST" or PARAM.search(path):
            continue
        schema = body_schema(app, operation)
        fields = [name for name in (schema or {}).get("properties", {}) if name in FIELDS]
        if not fields:
            continue
        route = f"POST {path}"
        assert route in BODIES, (
            f"{route} references {fields}: register a valid body with @body({route!r}) "
            "in tests/foreign_objects.py"
        )
        for field in fields:
            prefix = FIELDS[field]
            assert prefix in FACTORIES, f"no factory for '{prefix}_' ({route} field {field})"
            own_body = await BODIES[route](api)
            foreign_id = (await FACTORIES[prefix](stranger))["id"]
            response = await api.post(path, {**own_body, field: foreign_id})
            # docs/API.md (i12-newcomer): an id in a body that names nothing of the caller's
            # is 400 `<thing>_not_found` naming the field; 404 is for an id in the path.
            assert response.status_code == 400, (
                f"{route} with foreign {field} -> {response.status_code} {response.text}"
            )
            body = response.json()
            error = body["error"] if isinstance(body["error"], dict) else body
            assert error["code"].lower().endswith("_not_found"), (route, field, body)
            assert field in json.dumps(error.get("details")), (route, field, body)
            assert_no_leak(response, set(), allowed=foreign_id)
            # The same body with our own objects is accepted: the refusal was the foreign ID.
            if field in own_body:
                accepted = await api.post(path, own_body)
                assert accepted.status_code == 200, f"{route} own body -> {accepted.text}"
            checked.append(f"{route} {field}")
    assert len(checked) >= 5
