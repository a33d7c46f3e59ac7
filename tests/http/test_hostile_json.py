"""Hostile JSON is refused at parsing, before any domain code, in the surface's shape (issue 11,
point 3): non-finite numbers, lone surrogates, nesting deeper than 32 levels, bodies over the
size limit; and metadata is bounded by its serialized size and shape whatever its value types."""

from typing import Any

import httpx
import pytest

from tests.helpers import Api, make_funnel, make_program

DEEP_33 = '{"a":' * 32 + "1" + "}" * 32  # inside metadata (level 2): the body is 33 levels deep


def error_body(prefix: str, response: httpx.Response) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    if prefix == "/v1":
        assert set(body) == {"error"}
        inner: dict[str, Any] = body["error"]
        assert inner["code"] == "INVALID_REQUEST"
        return inner
    assert body["error"] == "Bad Request"
    assert body["code"] == "invalid_request"
    return body


async def raw(api: Api, method: str, path: str, text: str | bytes) -> httpx.Response:
    content = text.encode() if isinstance(text, str) else text
    headers = {**api.headers, "Content-Type": "application/json"}
    return await api.client.request(method, path, content=content, headers=headers)


def program_body(metadata: str) -> str:
    return f'{{"name": "P", "landing_url": "https://e.com", "metadata": {metadata}}}'


def voucher_body(metadata: str) -> str:
    return f'{{"code": "HOSTILE1", "type": "percentage", "value": 10, "metadata": {metadata}}}'


ROUTES = [
    ("/api/v1", "/api/v1/programs", program_body),
    ("/v1", "/v1/vouchers", voucher_body),
]


@pytest.mark.parametrize(("prefix", "path", "body"), ROUTES, ids=["referral", "voucher"])
@pytest.mark.parametrize(
    ("metadata", "field", "message"),
    [
        ('{"x": NaN}', "metadata.x", "numbers must be finite (no NaN or Infinity)"),
        ('{"x": Infinity}', "metadata.x", "numbers must be finite (no NaN or Infinity)"),
        ('{"x": [1, -Infinity]}', "metadata.x.1", "numbers must be finite (no NaN or Infinity)"),
        ('{"x": 1e999}', "metadata.x", "numbers must be finite (no NaN or Infinity)"),
        ('{"x": "\\ud800x"}', "metadata.x", "text may not contain lone surrogates"),
        ('{"\\udfff": 1}', "metadata", "text may not contain lone surrogates"),
        (DEEP_33, "body", "JSON may be nested at most 32 levels deep"),
    ],
    ids=["nan", "infinity", "minus-infinity", "overflow", "surrogate", "surrogate-key", "deep"],
)
async def test_hostile_json_is_refused_in_the_surface_shape(
    api: Api, prefix: str, path: str, body: Any, metadata: str, field: str, message: str
) -> None:
    response = await raw(api, "POST", path, body(metadata))
    assert response.status_code == 400, response.text
    error = error_body(prefix, response)
    assert error["message"] == f"{field}: {message}"
    assert error["details"] == [{"field": field, "message": message}]


async def test_lone_surrogate_in_a_string_field_and_on_put(api: Api) -> None:
    response = await raw(
        api, "POST", "/api/v1/programs", '{"name": "\\ud800x", "landing_url": "https://e.com"}'
    )
    assert response.status_code == 400
    assert response.json()["message"] == "name: text may not contain lone surrogates"
    program = await make_program(api)
    response = await raw(
        api, "PUT", f"/api/v1/programs/{program['id']}", '{"description": "\\udc00"}'
    )
    assert response.status_code == 400
    assert response.json()["message"] == "description: text may not contain lone surrogates"
    # A surrogate pair is one character, not a lone surrogate: taken.
    ok = await raw(
        api, "PUT", f"/api/v1/programs/{program['id']}", '{"description": "\\ud83d\\ude00"}'
    )
    assert ok.status_code == 200
    assert ok.json()["description"] == "\U0001f600"


async def test_non_finite_number_in_a_number_field(api: Api) -> None:
    funnel = await make_funnel(api)
    response = await raw(
        api, "POST", "/api/v1/earnings",
        '{"referral_id": "ref_1", "amount": NaN}',
    )  # fmt: skip
    assert response.status_code == 400
    assert response.json()["message"].startswith("amount: numbers must be finite")
    assert funnel  # nothing was created: the body never reached the service


async def test_nesting_up_to_the_limit_parses(api: Api) -> None:
    """32 levels are parsed (metadata then refuses its own nesting past 5, naming the key)."""
    deep_32 = '{"a":' * 31 + "1" + "}" * 31
    response = await raw(api, "POST", "/api/v1/programs", program_body(deep_32))
    assert response.status_code == 400
    assert response.json()["message"] == "metadata.a: values may be nested at most 5 levels"


@pytest.mark.parametrize("prefix", ["/api/v1", "/v1"])
async def test_body_over_the_size_limit(api: Api, prefix: str) -> None:
    path = "/api/v1/programs" if prefix == "/api/v1" else "/v1/vouchers"
    big = '"' + "x" * (1024 * 1024) + '"'
    response = await raw(api, "POST", path, program_body(big))
    assert response.status_code == 413
    body = response.json()
    message = body["error"]["message"] if prefix == "/v1" else body["message"]
    assert message.startswith("body: request bodies are limited to")


# -- metadata: bounded whatever the value types ---------------------------------------------


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        # about 800 KB in one object used to be stored: non-string values escaped the limit
        (
            {"n": list(range(200))},
            "metadata.n: values are at most 500 characters once serialized as JSON",
        ),
        (
            {"o": {str(i): i for i in range(100)}},
            "metadata.o: values are at most 500 characters once serialized as JSON",
        ),
        (
            {"d": {"a": {"b": {"c": {"d": {"e": {}}}}}}},
            "metadata.d: values may be nested at most 5 levels",
        ),
        ({"s": "x" * 501}, "metadata.s: string values are at most 500 characters"),
        ({f"k{i}": 1 for i in range(51)}, "metadata: at most 50 keys are allowed"),
        ({"k" * 41: 1}, "metadata." + "k" * 40 + ": keys are at most 40 characters"),
    ],
    ids=["long-list", "big-object", "deep", "long-string", "keys", "key-length"],
)
async def test_metadata_limits_whatever_the_value_types(
    api: Api, metadata: dict[str, Any], message: str
) -> None:
    response = await api.post(
        "/api/v1/programs", {"name": "P", "landing_url": "https://e.com", "metadata": metadata}
    )
    assert response.status_code == 400, response.text
    assert response.json()["message"] == message


async def test_metadata_at_its_limits_is_taken(api: Api) -> None:
    metadata: dict[str, Any] = {f"k{i:038d}": "é" * 500 for i in range(49)}
    metadata["nested"] = {"a": {"b": {"c": {"d": [1, 2.5, True, None]}}}}
    program = await api.ok(
        "POST",
        "/api/v1/programs",
        {"name": "P", "landing_url": "https://e.com", "metadata": metadata},
    )
    assert program["metadata"] == metadata
