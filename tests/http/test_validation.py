"""Bad input never gets a 500 or a silent wrong answer: each is a 4xx in the documented shape,
with a message naming the field."""

import asyncio
import json
import os
from typing import Any

import httpx
import pytest

from tests.helpers import Api, Funnel, make_funnel, make_impression, make_program, make_user


def assert_bad_request(response: httpx.Response, field: str, status: int = 400) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) <= {"error", "message", "code", "details"}
    assert body["error"] == {400: "Bad Request", 413: "Content Too Large"}.get(
        status, body["error"]
    )
    assert isinstance(body["code"], str)
    assert body["message"].startswith(f"{field}:"), body["message"]
    return body


@pytest.fixture
async def funnel(api: Api) -> Funnel:
    return await make_funnel(api)


async def post_raw(
    api: Api, path: str, content: bytes, content_type: str = "application/json"
) -> httpx.Response:
    return await api.client.post(
        path, content=content, headers={**api.headers, "Content-Type": content_type}
    )


@pytest.mark.parametrize(
    "content",
    [b'{"name": "x",', b"{'name': 'x'}", b"not json", b"\xff\xfe\x00", b'{"name": "x"} trailing'],
)
async def test_malformed_json(api: Api, content: bytes) -> None:
    body = assert_bad_request(await post_raw(api, "/api/v1/programs", content), "body")
    assert body["message"] == "body: malformed JSON"
    assert body["code"] == "invalid_request"


@pytest.mark.parametrize("content", [b"[]", b"null", b"42", b'"program"'])
async def test_body_that_is_not_an_object(api: Api, content: bytes) -> None:
    assert_bad_request(await post_raw(api, "/api/v1/programs", content), "body")


async def test_deeply_nested_body(api: Api) -> None:
    deep = '{"a":' * 5000 + "1" + "}" * 5000
    content = f'{{"name": "x", "landing_url": "https://e.com", "metadata": {deep}}}'.encode()
    response = await post_raw(api, "/api/v1/programs", content)
    assert assert_bad_request(response, "body")["message"] == "body: malformed JSON"
    assert "RateLimit-Limit" in response.headers


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("first_name", 123),
        ("first_name", None),
        ("first_name", ["Jo"]),
        ("email", 5),
        ("metadata", "source=poster"),
        ("metadata", ["a"]),
        ("profile_picture", {"url": "x"}),
        ("impression_id", 7),
    ],
)
async def test_wrong_types(api: Api, funnel: Funnel, field: str, value: Any) -> None:
    body = {
        "impression_id": funnel.impression["id"],
        "first_name": "A",
        "last_name": "B",
        "email": "a.b@example.com",
        field: value,
    }
    assert_bad_request(await api.post("/api/v1/referrals", body), field)


async def test_unknown_fields_are_named(api: Api, funnel: Funnel) -> None:
    response = await api.post(
        "/api/v1/referrals",
        {
            "impression_id": funnel.impression["id"],
            "first_name": "A",
            "last_name": "B",
            "email": "a.b@example.com",
            "emial": "typo@example.com",
        },
    )
    body = assert_bad_request(response, "emial")
    assert body["message"] == "emial: unknown field"
    assert body["details"] == [{"field": "emial", "message": "unknown field"}]
    nested = await api.post(
        "/api/v1/programs",
        {
            "name": "P",
            "landing_url": "https://e.com",
            "commission": {"type": "flat", "amount": 5, "rate": 3},
        },
    )
    assert nested.status_code == 400
    assert "rate" in nested.json()["message"]


@pytest.mark.parametrize(
    "email", ["plainaddress", "@example.com", "a@", "a b@example.com", "a@example", "a@@b.com", ""]
)
async def test_bad_email(api: Api, funnel: Funnel, email: str) -> None:
    for path, body in [
        (
            "/api/v1/referrals",
            {"impression_id": funnel.impression["id"], "first_name": "A", "last_name": "B"},
        ),
        (
            "/api/v1/users",
            {"program_id": funnel.program["id"], "first_name": "A", "last_name": "B"},
        ),
    ]:
        assert_bad_request(await api.post(path, {**body, "email": email}), "email")


@pytest.mark.parametrize("currency", ["XYZ", "usd", "US", "USDD", "", "123"])
async def test_unknown_currency(api: Api, funnel: Funnel, currency: str) -> None:
    program = await api.post(
        "/api/v1/programs", {"name": "P", "landing_url": "https://e.com", "currency": currency}
    )
    assert_bad_request(program, "currency")
    referral = await api.ok(
        "POST",
        "/api/v1/referrals",
        {
            "impression_id": funnel.impression["id"],
            "first_name": "A",
            "last_name": "B",
            "email": f"c.{currency or 'empty'}@example.com",
        },
    )
    earning = await api.post(
        "/api/v1/earnings", {"referral_id": referral["id"], "amount": 100, "currency": currency}
    )
    assert_bad_request(earning, "currency")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("limit", "-1"),
        ("limit", "0"),
        ("limit", "abc"),
        ("limit", "1.5"),
        ("limit", "1e3"),
        ("offset", "-1"),
        ("offset", "x"),
        ("offset", "2.0"),
        ("offset", "100000000000000000000"),
    ],
)
async def test_bad_limit_and_offset(api: Api, name: str, value: str) -> None:
    for path in ("/api/v1/programs", "/api/v1/referrals", "/api/v1/events", "/api/v1/earnings"):
        assert_bad_request(await api.get(path, **{name: value}), name)


async def test_limit_defaults_to_50_and_clamps_at_100(api: Api, funnel: Funnel) -> None:
    for _ in range(101):  # 102 impressions with the funnel's
        await api.ok("POST", "/api/v1/impressions", {"poster_id": funnel.poster["id"]})
    default = await api.ok("GET", "/api/v1/impressions")
    assert len(default["impressions"]) == 50
    assert default["has_more"] is True
    clamped = await api.ok("GET", "/api/v1/impressions", limit="1000")
    assert len(clamped["impressions"]) == 100
    assert clamped["has_more"] is True
    tail = await api.ok("GET", "/api/v1/impressions", limit="100", offset="100")
    assert len(tail["impressions"]) == 2
    assert tail["has_more"] is False
    ids = [i["id"] for i in clamped["impressions"] + tail["impressions"]]
    assert len(set(ids)) == 102
    assert ids == sorted(ids, reverse=True)  # newest first, no ties
    beyond = await api.ok("GET", "/api/v1/impressions", offset="5000")
    assert beyond == {"impressions": [], "has_more": False}


async def test_body_over_one_mebibyte_is_413(api: Api) -> None:
    big = json.dumps({"name": "x" * (1024 * 1024), "landing_url": "https://e.com"}).encode()
    response = await post_raw(api, "/api/v1/programs", big)
    assert response.status_code == 413
    body = response.json()
    assert body["code"] == "payload_too_large"
    assert body["message"].startswith("body:")

    async def chunks() -> Any:  # no Content-Length: the limit holds on what is actually read
        for _ in range(20):
            yield b"x" * 65536

    streamed = await api.client.post(
        "/api/v1/programs",
        content=chunks(),
        headers={**api.headers, "Content-Type": "application/json"},
    )
    assert streamed.status_code == 413
    assert (await api.ok("GET", "/api/v1/programs"))["programs"] == []
    # Just under the limit is judged on its content, not its size.
    near = json.dumps({"name": "x", "landing_url": "https://e.com", "description": "d" * 6000})
    assert_bad_request(await post_raw(api, "/api/v1/programs", near.encode()), "description")


async def test_ids_of_the_wrong_prefix(api: Api, funnel: Funnel) -> None:
    # In the path ...
    for path, prefix in [
        ("/api/v1/referrals/imp_123", "ref_"),
        ("/api/v1/users/prog_123", "user_"),
        ("/api/v1/posters/user_123", "poster_"),
        ("/api/v1/impressions/poster_123", "imp_"),
        ("/api/v1/earnings/ref_123", "earn_"),
        ("/api/v1/programs/program_123", "prog_"),
        ("/api/v1/events/evt-123", "evt_"),
        ("/api/v1/referrals/ref_", "ref_"),
        ("/api/v1/referrals/REF_ABC", "ref_"),
    ]:
        body = assert_bad_request(await api.get(path), "id")
        assert body["message"] == f"id: expected an ID starting with '{prefix}'"
    # ... in bodies ...
    person = {"first_name": "A", "last_name": "B", "email": "x@e.com"}
    for path, body, field in [
        ("/api/v1/referrals", {"impression_id": funnel.poster["id"], **person}, "impression_id"),
        ("/api/v1/earnings", {"referral_id": funnel.impression["id"], "amount": 5}, "referral_id"),
        ("/api/v1/impressions", {"poster_id": funnel.user["id"]}, "poster_id"),
        (
            "/api/v1/posters",
            {"program_id": funnel.program["id"], "student_id": funnel.poster["id"]},
            "student_id",
        ),
        ("/api/v1/users", {"program_id": funnel.user["id"], **person}, "program_id"),
    ]:
        assert_bad_request(await api.post(path, body), field)
    # ... and in filters, in both casings.
    for path, name in [
        ("/api/v1/referrals", "programId"),
        ("/api/v1/referrals", "student_id"),
        ("/api/v1/posters", "studentId"),
        ("/api/v1/impressions", "posterId"),
        ("/api/v1/earnings", "referral_id"),
        ("/api/v1/earnings", "referralId"),
        ("/api/v1/users", "program_id"),
    ]:
        assert_bad_request(await api.get(path, **{name: "xyz_123"}), name)


async def test_enums_are_checked(api: Api, funnel: Funnel) -> None:
    assert_bad_request(await api.get("/api/v1/referrals", status="Pending"), "status")
    assert_bad_request(await api.get("/api/v1/earnings", status="cancelled"), "status")
    assert_bad_request(await api.get("/api/v1/events", type="Referral Created"), "type")
    referral = await api.ok(
        "POST",
        "/api/v1/referrals",
        {
            "impression_id": funnel.impression["id"],
            "first_name": "A",
            "last_name": "B",
            "email": "e@e.com",
        },
    )
    assert_bad_request(
        await api.put(f"/api/v1/referrals/{referral['id']}", {"status": "approved"}), "status"
    )


def oversized_metadata() -> list[tuple[dict[str, Any], str]]:
    return [
        ({f"k{i}": "v" for i in range(51)}, "metadata"),
        ({"k" * 41: "v"}, "metadata." + "k" * 40),
        ({"note": "v" * 501}, "metadata.note"),
    ]


@pytest.mark.parametrize(("metadata", "field"), oversized_metadata())
async def test_oversized_metadata_on_create(
    api: Api, funnel: Funnel, metadata: dict[str, Any], field: str
) -> None:
    creates = [
        ("/api/v1/programs", {"name": "P", "landing_url": "https://e.com"}),
        (
            "/api/v1/users",
            {
                "program_id": funnel.program["id"],
                "first_name": "A",
                "last_name": "B",
                "email": "u@e.com",
            },
        ),
        ("/api/v1/posters", {"program_id": funnel.program["id"], "student_id": funnel.user["id"]}),
        ("/api/v1/impressions", {"poster_id": funnel.poster["id"]}),
        (
            "/api/v1/referrals",
            {
                "impression_id": funnel.impression["id"],
                "first_name": "A",
                "last_name": "B",
                "email": "r@e.com",
            },
        ),
    ]
    for path, body in creates:
        response = await api.post(path, {**body, "metadata": metadata})
        assert_bad_request(response, field)


async def test_metadata_limits_hold_exactly(api: Api) -> None:
    fits = {f"k{i:02d}": "v" * 500 for i in range(49)} | {"k" * 40: "v"}
    program = await make_program(api, metadata=fits)
    assert program["metadata"] == fits


@pytest.mark.parametrize(("metadata", "field"), oversized_metadata())
async def test_oversized_metadata_on_update(
    api: Api, funnel: Funnel, metadata: dict[str, Any], field: str
) -> None:
    referral = await api.ok(
        "POST",
        "/api/v1/referrals",
        {
            "impression_id": funnel.impression["id"],
            "first_name": "A",
            "last_name": "B",
            "email": "m@e.com",
        },
    )
    earning = await api.ok("POST", "/api/v1/earnings", {"referral_id": referral["id"], "amount": 5})
    for path in (
        f"/api/v1/programs/{funnel.program['id']}",
        f"/api/v1/users/{funnel.user['id']}",
        f"/api/v1/posters/{funnel.poster['id']}",
        f"/api/v1/referrals/{referral['id']}",
        f"/api/v1/earnings/{earning['id']}",
    ):
        assert_bad_request(await api.put(path, {"metadata": metadata}), field)


async def test_merge_that_would_exceed_the_key_limit(api: Api, funnel: Funnel) -> None:
    user = await make_user(api, funnel.program["id"], metadata={f"k{i}": "v" for i in range(50)})
    url = f"/api/v1/users/{user['id']}"
    assert_bad_request(await api.put(url, {"metadata": {"one_more": "v"}}), "metadata")
    # Replacing a key and removing one to make room both work.
    swapped = await api.ok("PUT", url, {"metadata": {"k0": None, "one_more": "v"}})
    assert len(swapped["metadata"]) == 50
    assert "k0" not in swapped["metadata"]


async def test_nul_characters_are_refused(api: Api, funnel: Funnel) -> None:
    response = await api.post(
        "/api/v1/programs", {"name": "a\u0000b", "landing_url": "https://e.com"}
    )
    assert_bad_request(response, "name")
    in_metadata = await api.post(
        "/api/v1/impressions", {"poster_id": funnel.poster["id"], "metadata": {"k": "\u0000"}}
    )
    assert_bad_request(in_metadata, "metadata.k")
    in_key = await api.put(f"/api/v1/users/{funnel.user['id']}", {"metadata": {"k\u0000": "v"}})
    assert_bad_request(in_key, "metadata")


async def test_numbers_beyond_what_is_stored(api: Api, funnel: Funnel) -> None:
    huge = 2**31
    assert_bad_request(
        await api.post(
            "/api/v1/programs",
            {"name": "P", "landing_url": "https://e.com", "minimum_payout": huge},
        ),
        "minimum_payout",
    )
    referral = await api.ok(
        "POST",
        "/api/v1/referrals",
        {
            "impression_id": funnel.impression["id"],
            "first_name": "A",
            "last_name": "B",
            "email": "n@e.com",
        },
    )
    for field in ("amount", "sale_amount"):
        response = await api.post("/api/v1/earnings", {"referral_id": referral["id"], field: huge})
        assert_bad_request(response, field)
    largest = await api.ok(
        "POST", "/api/v1/earnings", {"referral_id": referral["id"], "amount": huge - 1}
    )
    assert largest["amount"] == huge - 1


async def test_null_for_a_required_field_on_update(api: Api, funnel: Funnel) -> None:
    for path, field in [
        (f"/api/v1/programs/{funnel.program['id']}", "name"),
        (f"/api/v1/programs/{funnel.program['id']}", "landing_url"),
        (f"/api/v1/users/{funnel.user['id']}", "email"),
    ]:
        body = assert_bad_request(await api.put(path, {field: None}), field)
        assert body["message"] == f"{field}: may not be null"


async def test_scanned_at_and_other_odd_values(api: Api) -> None:
    funnel = await make_funnel(api)
    for value in ("2024-13-01T00:00:00Z", "tomorrow", 1e20, True):
        response = await api.post(
            "/api/v1/impressions", {"poster_id": funnel.poster["id"], "scanned_at": value}
        )
        assert_bad_request(response, "scanned_at")
    ok = await make_impression(api, funnel.poster["id"], scanned_at="2024-01-15T10:30:00")
    assert ok["scanned_at"] == "2024-01-15T10:30:00Z"  # a naive time is taken as UTC


# --- Fuzzing: generated input, valid and invalid, on every operation -------------------------

FUZZ_EXAMPLES = int(os.environ.get("VANTIO_FUZZ_EXAMPLES", "4"))


@pytest.mark.slow
async def test_no_generated_input_gets_a_server_error(app: Any, api: Api) -> None:
    """Schemathesis generates requests from /openapi.json (conforming and not): none may 5xx,
    every answer is one its operation declares, and every answer carries the rate-limit
    headers."""
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from schemathesis import GenerationMode

    await make_funnel(api)  # something to find, so that lists are not all empty
    document = app.openapi()
    schema = schemathesis.openapi.from_dict(document)
    operations = [
        result.ok()
        for result in schema.get_all_operations()
        if result.ok().path.startswith(("/api/v1/", "/v1/"))
    ]
    assert len(operations) >= 25
    loop = asyncio.get_running_loop()
    failures: list[str] = []
    sent = 0

    async def send(kwargs: dict[str, Any]) -> httpx.Response:
        headers = {k: v for k, v in kwargs["headers"].items() if k.lower() != "authorization"}
        headers = {k: v for k, v in headers.items() if isinstance(v, str) and v.isascii()}
        return await api.client.request(
            kwargs["method"],
            kwargs["url"],
            params=kwargs.get("params"),
            headers={**headers, **api.headers},
            **({"json": kwargs["json"]} if "json" in kwargs else {"content": kwargs.get("data")}),
        )

    def fuzz(operation: Any, mode: GenerationMode) -> None:
        @settings(
            max_examples=FUZZ_EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case: Any) -> None:
            nonlocal sent
            kwargs = case.as_transport_kwargs(base_url="http://testserver")
            try:
                response = asyncio.run_coroutine_threadsafe(send(kwargs), loop).result(60)
            except (httpx.InvalidURL, UnicodeEncodeError, ValueError):
                return  # not sendable over HTTP at all
            sent += 1
            limited = all(h in response.headers for h in ("RateLimit-Limit", "X-RateLimit-Limit"))
            if not limited and response.status_code != 413:  # 413: refused before routing
                failures.append(
                    f"{kwargs['method']} {kwargs['url']} -> {response.status_code} "
                    f"{response.text[:200]}: no rate-limit headers"
                )
            declared = document["paths"][operation.path][operation.method.lower()]["responses"]
            if str(response.status_code) not in declared and response.status_code != 413:
                failures.append(
                    f"{kwargs['method']} {operation.path} -> {response.status_code}, "
                    f"not among its declared responses {sorted(declared)}: {response.text[:200]}"
                )
            if response.status_code >= 500:
                failures.append(
                    f"{kwargs['method']} {kwargs['url']} {kwargs.get('params')} "
                    f"{kwargs.get('json', kwargs.get('data'))!r:.300} -> {response.status_code}"
                )

        run()

    def fuzz_all() -> None:
        for operation in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                try:
                    fuzz(operation, mode)
                except Exception as exc:  # a schema the generator cannot satisfy; others still run
                    if "Unsatisfiable" not in type(exc).__name__:
                        raise

    await asyncio.to_thread(fuzz_all)
    assert not failures, "\n".join(failures[:20])
    assert sent >= len(operations) * 2, sent
