"""The two API surfaces: each one's error body (a Pydantic model, for OpenAPI) and its renderer.

`/api/v1` (and every other path: scans, unknown paths) answers errors in the Referral API's shape;
`/v1` in the Voucher API's. `surface_for(path)` says which, for answers given before any route
is known (an unknown path, a body too large).
"""

from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import JSONResponse

from vantio.config import RateClass
from vantio.errors import RateLimited, VantioError
from vantio.kit.time import isoformat


class FieldProblem(BaseModel):
    field: str = Field(description="The offending field, dotted for nested ones (`metadata.note`)")
    message: str


ErrorDetails = list[FieldProblem] | dict[str, Any] | None
DETAILS = "Bad input lists every failing field; other errors give an object of facts"


class ReferralError(BaseModel):
    """An error of the Referral API (`/api/v1`)."""

    model_config = ConfigDict(extra="forbid")

    error: str = Field(description="The HTTP reason phrase", examples=["Bad Request"])
    message: str = Field(description="What went wrong; bad input starts with the field's name")
    code: str = Field(description="A stable snake_case code", examples=["invalid_request"])
    details: ErrorDetails = Field(default=None, description=DETAILS)


class VoucherErrorContent(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(description="A stable UPPER_SNAKE code", examples=["VOUCHER_NOT_FOUND"])
    message: str
    details: ErrorDetails = Field(default=None, description=DETAILS)


class VoucherError(BaseModel):
    """An error of the Voucher API (`/v1`)."""

    model_config = ConfigDict(extra="forbid")

    error: VoucherErrorContent


class Surface:
    """How one API surface answers an error, and the rate class its routes default to."""

    error_model: ClassVar[type[BaseModel]]
    default_rate_class: ClassVar[RateClass]

    def body(self, error: VantioError) -> dict[str, Any]:
        raise NotImplementedError

    def render(self, error: VantioError) -> JSONResponse:
        return JSONResponse(self.body(error), status_code=error.status, headers=error.headers)


class ReferralSurface(Surface):
    """`/api/v1`: `{"error": "<reason>", "message", "code", "details"}`."""

    error_model = ReferralError
    default_rate_class = RateClass.REFERRALS

    def body(self, error: VantioError) -> dict[str, Any]:
        body: dict[str, Any] = {
            "error": HTTPStatus(error.status).phrase,
            "message": error.message,
            "code": error.code,
        }
        if error.details is not None:
            body["details"] = error.details
        return body


class VoucherSurface(Surface):
    """`/v1`: `{"error": {"code": "UPPER_SNAKE", "message", "details"}}`."""

    error_model = VoucherError
    default_rate_class = RateClass.VOUCHERS

    def body(self, error: VantioError) -> dict[str, Any]:
        inner: dict[str, Any] = {"code": error.code.upper(), "message": error.message}
        if error.details is not None:
            inner["details"] = error.details
            reset_at = error.details.get("reset_at") if isinstance(error.details, dict) else None
            if isinstance(error, RateLimited) and isinstance(reset_at, int):
                # voucher-docs: `reset_at` is an ISO 8601 time (the headers keep epoch seconds).
                moment = datetime.fromtimestamp(reset_at, UTC)
                inner["details"] = {**error.details, "reset_at": isoformat(moment)}
        return {"error": inner}


referral_surface = ReferralSurface()
voucher_surface = VoucherSurface()


def surface_for(path: str) -> Surface:
    """Which surface's error shape a path gets."""
    return voucher_surface if path == "/v1" or path.startswith("/v1/") else referral_surface
