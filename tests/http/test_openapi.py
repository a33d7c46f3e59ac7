"""`/openapi.json` describes what the API answers: a schema (or a media type) for every success,
the error responses of every route in its surface's error body, and no 422 (bad input is a 400).

It walks every operation, so a new route is checked the moment it exists."""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import APIRouter

from vantio.config import RateClass
from vantio.http.routes import ReferralRoute, VoucherRoute, check_idempotency_scopes, idempotent

METHODS = ("get", "post", "put", "patch", "delete")
ERROR_BODY = {"/api/v1/": "ReferralError", "/v1/": "VoucherError"}


@pytest.fixture(scope="module")
def document(app: Any) -> dict[str, Any]:
    """The document as served, so what is checked is what clients read."""
    spec: dict[str, Any] = app.openapi()
    return spec


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method.upper(), path, operation


def success_is_described(operation: dict[str, Any]) -> bool:
    for status, response in operation["responses"].items():
        if status.startswith("2"):
            for media_type, content in response.get("content", {}).items():
                if media_type != "application/json" or content.get("schema"):
                    return True  # a JSON schema, or a file, an image, a page
        if status.startswith("3") and "Location" in response.get("headers", {}):
            return True  # a redirect
    return False


def test_every_success_has_a_schema_or_a_media_type(document: dict[str, Any]) -> None:
    undescribed = {
        (method, path)
        for method, path, operation in operations(document)
        if not success_is_described(operation)
    }
    assert not undescribed, f"no success schema: {sorted(undescribed)}"


def test_every_api_route_declares_its_errors_in_its_surface_shape(
    document: dict[str, Any],
) -> None:
    checked = 0
    for method, path, operation in operations(document):
        prefix = next((p for p in ERROR_BODY if path.startswith(p)), None)
        if prefix is None:
            continue
        declared = operation["responses"]
        expected = {"400", "401", "429"}
        if "{" in path:
            expected.add("404")
        if method in ("POST", "PUT"):
            expected.add("413")
        if method == "POST":
            expected.add("409")  # an idempotency key reused or in flight
        assert expected <= set(declared), f"{method} {path}: missing {expected - set(declared)}"
        for status, response in declared.items():
            if int(status) < 400:
                continue
            schema = response["content"]["application/json"]["schema"]
            assert schema == {"$ref": f"#/components/schemas/{ERROR_BODY[prefix]}"}, (
                f"{method} {path} {status}: {schema}"
            )
            assert response["description"], f"{method} {path} {status}"
        checked += 1
    assert checked >= 60


def test_no_422_anywhere(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        assert "422" not in operation["responses"], f"{method} {path}"
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert "ValidationError" not in schemas


def test_the_error_bodies_are_documented(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert set(schemas["ReferralError"]["required"]) == {"error", "message", "code"}
    assert schemas["VoucherError"]["required"] == ["error"]
    assert set(schemas["VoucherErrorContent"]["required"]) == {"code", "message"}


def test_non_json_answers_name_their_media_type(document: dict[str, Any]) -> None:
    def media(method: str, path: str, status: str) -> set[str]:
        response = document["paths"][path][method]["responses"][status]
        return set(response.get("content", {}))

    assert media("get", "/api/v1/payouts/{id}.csv", "200") == {"text/csv"}
    assert media("get", "/v1/analytics/export/{id}/download", "200") == {
        "text/csv",
        "application/json",
    }
    assert media("get", "/s/{code}/qr.svg", "200") == {"image/svg+xml"}
    assert media("get", "/s/{code}/qr.png", "200") == {"image/png"}
    assert media("get", "/s/{code}", "404") == {"text/html"}
    assert "Location" in document["paths"]["/s/{code}"]["get"]["responses"]["302"]["headers"]


def test_a_post_route_must_name_its_idempotency_scope() -> None:
    router = APIRouter(route_class=ReferralRoute)

    async def create() -> None:
        """Create nothing."""

    with pytest.raises(TypeError, match="idempotency scope"):
        router.post("/things")(create)
    with pytest.raises(TypeError, match="idempotency scope"):
        router.get("/things")(idempotent("things.list")(create))


def test_two_routes_may_not_share_an_idempotency_scope() -> None:
    router = APIRouter(route_class=VoucherRoute)

    @router.post("/a")
    @idempotent("things.create")
    async def create_a() -> None:
        """Create an A."""

    @router.post("/b")
    @idempotent("things.create")
    async def create_b() -> None:
        """Create a B."""

    with pytest.raises(ValueError, match="both declare idempotency scope"):
        check_idempotency_scopes(router.routes)


def test_routes_count_against_their_declared_rate_class() -> None:
    from vantio.api import REFERRAL_API, VOUCHER_API

    declared = {
        (sorted(route.methods)[0], f"{prefix}{route.path}"): route.operation.rate_class
        for prefix, routers in (("/api/v1", REFERRAL_API), ("/v1", VOUCHER_API))
        for router in routers
        for route in router.routes
        if isinstance(route, ReferralRoute | VoucherRoute)
    }
    special = {route: rate for route, rate in declared.items() if rate != RateClass.VOUCHERS}
    assert {r for r, rate in special.items() if rate == RateClass.REFERRALS} == {
        r for r in declared if r[1].startswith("/api/v1/")
    }
    assert {r: rate for r, rate in special.items() if rate != RateClass.REFERRALS} == {
        ("POST", "/v1/vouchers"): RateClass.VOUCHERS_CREATE,
        ("POST", "/v1/vouchers/batch"): RateClass.VOUCHERS_CREATE,
        ("POST", "/v1/campaigns"): RateClass.VOUCHERS_CREATE,
        ("POST", "/v1/vouchers/validate"): RateClass.VOUCHERS_VALIDATE,
        ("POST", "/v1/vouchers/validate/batch"): RateClass.VOUCHERS_VALIDATE,
        ("POST", "/v1/vouchers/apply"): RateClass.VOUCHERS_APPLY,
    }
