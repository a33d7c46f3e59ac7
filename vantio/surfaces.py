"""The two API surfaces: how each renders errors and which rate-limit class a route belongs to."""

from http import HTTPStatus
from typing import Any, Protocol

from starlette.responses import JSONResponse, Response

from vantio.errors import VantioError


class Surface(Protocol):
    def render(self, error: VantioError) -> Response: ...

    def rate_class(self, method: str, path: str) -> str: ...


class ReferralSurface:
    """`/api/v1`: `{"error": "<reason>", "message", "code", "details"}`."""

    def render(self, error: VantioError) -> Response:
        body: dict[str, Any] = {
            "error": HTTPStatus(error.status).phrase,
            "message": error.message,
            "code": error.code,
        }
        if error.details is not None:
            body["details"] = error.details
        return JSONResponse(body, status_code=error.status)

    def rate_class(self, method: str, path: str) -> str:
        return "referrals"


class VoucherSurface:
    """`/v1`: `{"error": {"code": "UPPER_SNAKE", "message", "details"}}`."""

    def render(self, error: VantioError) -> Response:
        inner: dict[str, Any] = {"code": error.code.upper(), "message": error.message}
        if error.details is not None:
            inner["details"] = error.details
        return JSONResponse({"error": inner}, status_code=error.status)

    def rate_class(self, method: str, path: str) -> str:
        if method == "POST" and path in ("/v1/vouchers", "/v1/vouchers/batch", "/v1/campaigns"):
            return "vouchers_create"
        if path.startswith("/v1/vouchers/validate"):
            return "vouchers_validate"
        if path == "/v1/vouchers/apply":
            return "vouchers_apply"
        return "vouchers"


referral_surface = ReferralSurface()
voucher_surface = VoucherSurface()
