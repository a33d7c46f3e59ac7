"""A bounded Schemathesis fuzz of both API surfaces (issue 11, point 3): no input answers 5xx.

Schemathesis generates requests from `/openapi.json`, valid ones (positive) and invalid ones
(negative), over every operation of `/api/v1` and `/v1`; to them are added the hostile bodies
the audit found reaching the database: `NaN`/`Infinity`/`1e999`, lone surrogates in a generated
body's strings and in metadata, nesting past 32 levels, and metadata too large in non-string
values. Every answer must be below 500, and every hostile body a 400 in the surface's shape.

Generation is derandomized (the same cases every run, so a failure reproduces) and bounded
(`VANTIO_FUZZ_EXAMPLES`, default 120 of each kind): the whole test takes well under a minute.
Raise the count locally to search further: `VANTIO_FUZZ_EXAMPLES=2000 pytest tests/http/test_fuzz.py`.
"""

import json
import os
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.generation.modes import GenerationMode

from tests.helpers import Api

EXAMPLES = int(os.environ.get("VANTIO_FUZZ_EXAMPLES", "120"))
BASE_URL = "http://testserver"


def generate(app: FastAPI, mode: GenerationMode, count: int) -> list[Any]:
    """`count` Schemathesis cases over every operation of the schema (no I/O here)."""
    schema = schemathesis.openapi.from_dict(app.openapi())
    cases: list[Any] = []

    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        derandomize=True,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(schema.as_strategy(generation_mode=mode))
    def gather(case: Any) -> None:
        cases.append(case)

    gather()
    return cases


def request_of(case: Any) -> dict[str, Any]:
    """The case as `httpx` arguments (Schemathesis speaks `requests`)."""
    kwargs = case.as_transport_kwargs(base_url=BASE_URL)
    request: dict[str, Any] = {
        "method": kwargs["method"],
        "url": kwargs["url"],
        "params": kwargs.get("params") or None,
        "headers": {
            name: value
            for name, value in (kwargs.get("headers") or {}).items()
            if name.lower() not in ("connection", "accept-encoding", "authorization")
        },
    }
    if "json" in kwargs:
        request["content"] = json.dumps(kwargs["json"]).encode()
        request["headers"].setdefault("Content-Type", "application/json")
    elif kwargs.get("data") is not None:
        data = kwargs["data"]
        request["content"] = data if isinstance(data, bytes) else str(data).encode()
    return request


def poisoned(body: Any, value: Any) -> Any:
    """The body with its first string or number (depth first) replaced by `value`."""
    if isinstance(body, dict):
        for key, inner in body.items():
            replaced = poisoned(inner, value)
            if replaced is not inner:
                return {**body, key: replaced}
    elif isinstance(body, list):
        for index, inner in enumerate(body):
            replaced = poisoned(inner, value)
            if replaced is not inner:
                return [*body[:index], replaced, *body[index + 1 :]]
    elif isinstance(body, str | int | float) and not isinstance(body, bool):
        return value
    return body


NAN = float("nan")
LONE = "\ud800x"
DEEP = '{"a":' * 40 + "1" + "}" * 40
HOSTILE_BODIES = {
    "nan": '{"metadata": {"x": NaN}}',
    "infinity": '{"amount": Infinity}',
    "overflow": '{"metadata": {"x": [1e999]}}',
    "surrogate": '{"name": "\\ud800x"}',
    "surrogate-key": '{"metadata": {"\\udc00": "x"}}',
    "deep": f'{{"metadata": {DEEP}}}',
}


async def send(api: Api, request: dict[str, Any]) -> tuple[int, dict[str, Any] | None]:
    headers = {**request.pop("headers", {}), **api.headers}
    response = await api.client.request(headers=headers, **request)
    try:
        body = response.json()
    except ValueError:
        body = None
    return response.status_code, body


@pytest.mark.slow
async def test_fuzz_both_surfaces_finds_no_5xx(app: FastAPI, api: Api) -> None:
    positive = generate(app, GenerationMode.POSITIVE, EXAMPLES)
    negative = generate(app, GenerationMode.NEGATIVE, EXAMPLES)
    failures: list[str] = []
    refused_hostile: list[str] = []

    async def check(label: str, request: dict[str, Any], *, hostile: bool = False) -> None:
        status, body = await send(api, dict(request))
        if status >= 500:
            failures.append(f"{label}: {request['method']} {request['url']} -> {status} {body}")
        elif hostile:
            # The runner refuses hostile JSON before anything else that reads the body.
            if status != 400:
                failures.append(f"{label}: {request['method']} {request['url']} -> {status}")
            else:
                refused_hostile.append(label)

    for case in positive + negative:
        await check(case.operation.label, request_of(case))

    # The generated bodies, poisoned: a lone surrogate in a string, NaN in place of a value.
    for case in positive:
        kwargs = case.as_transport_kwargs(base_url=BASE_URL)
        if not isinstance(kwargs.get("json"), dict) or not kwargs["json"]:
            continue
        for name, value in (("lone surrogate", LONE), ("NaN", NAN)):
            body = poisoned(kwargs["json"], value)
            if body is kwargs["json"]:
                continue
            request = request_of(case)
            request["content"] = json.dumps(body).encode()  # NaN, and \ud800 as an escape
            await check(f"{case.operation.label} ({name})", request, hostile=True)

    # Every operation that takes a JSON body, with each hostile body.
    schema = schemathesis.openapi.from_dict(app.openapi())
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.method.upper() not in ("POST", "PUT", "PATCH") or not any(
            "json" in body.media_type for body in operation.body
        ):
            continue
        url = BASE_URL + operation.path.replace("{", "x_").replace("}", "")
        for name, text in HOSTILE_BODIES.items():
            request = {
                "method": operation.method.upper(),
                "url": url,
                "headers": {"Content-Type": "application/json"},
                "content": text.encode(),
            }
            await check(f"{operation.label} ({name})", request, hostile=True)

    assert failures == [], "\n".join(failures)
    assert len(refused_hostile) > 100  # the hostile cases did reach the routes
