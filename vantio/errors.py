"""Typed errors with a status and a stable code; each API surface renders them in its own shape.

The classes here are shared by every domain; a domain's own errors live in its `errors.py`.
"""

import re
from collections.abc import Iterable, Mapping
from typing import Any


class VantioError(Exception):
    status: int = 400
    code: str = "invalid_request"
    message: str = "Invalid request"

    def __init__(self, message: str | None = None, *, details: Any = None, code: str | None = None):
        self.message = message or self.message
        self.details = details
        if code is not None:
            self.code = code
        super().__init__(self.message)

    @property
    def headers(self) -> dict[str, str]:
        """Headers the answer must carry besides the body (`Retry-After`, `Allow`)."""
        return {}


class BadRequest(VantioError):
    status = 400
    code = "invalid_request"


class Unauthorized(VantioError):
    status = 401
    code = "unauthorized"
    message = "Invalid or missing API key"


class NotFound(VantioError):
    status = 404
    code = "not_found"
    message = "Resource not found"


class MethodNotAllowed(VantioError):
    status = 405
    code = "method_not_allowed"
    message = "Method Not Allowed"

    def __init__(self, *, allowed: str | None):
        super().__init__()
        self.allowed = allowed

    @property
    def headers(self) -> dict[str, str]:
        return {"Allow": self.allowed} if self.allowed else {}


class Conflict(VantioError):
    status = 409
    code = "conflict"


class PayloadTooLarge(VantioError):
    status = 413
    code = "payload_too_large"
    message = "Request body exceeds the size limit"


class RateLimited(VantioError):
    status = 429
    code = "rate_limit_exceeded"
    message = "Too many requests"

    def __init__(self, *, limit: int, reset_at: int, retry_after: int):
        super().__init__(
            f"Rate limit of {limit} requests exceeded; retry in {retry_after} s",
            details={"limit": limit, "reset_at": reset_at},
        )
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class FieldError(BadRequest):
    """A rule on one input field failed; the message names the field."""

    def __init__(self, field: str, message: str, *, code: str = "invalid_request"):
        super().__init__(
            f"{field}: {message}", details=[{"field": field, "message": message}], code=code
        )


class ReferenceNotFound(FieldError):
    """An id given in a request's body names nothing of this account and mode: 400 with the
    code `<thing>_not_found`, naming the field. (An id in the path names the resource itself: 404.)
    """

    def __init__(self, field: str, thing: str, value: str):
        super().__init__(
            field, f"no {thing.replace('_', ' ')} with id {value}", code=f"{thing}_not_found"
        )


MALFORMED_JSON = "malformed JSON"
_NAMED_FIELD = re.compile(r"^([a-z_][a-z0-9_.]*): (.+)$", re.DOTALL)


def invalid_input(errors: Iterable[Mapping[str, Any]]) -> BadRequest:
    """Pydantic's validation errors as a 400 naming the first offending field.

    `details` lists every failing field as `{"field", "message"}`; `message` repeats the first.
    """
    details = []
    for error in errors:
        loc = [
            str(part)
            for part in error.get("loc", ())
            if part not in ("body", "query", "path", "header")
        ]
        kind = error.get("type", "")
        field = "body" if kind == "json_invalid" else ".".join(loc) or "body"
        if kind == "json_invalid":
            message = MALFORMED_JSON
        elif kind == "extra_forbidden":
            message = "unknown field"
        elif kind == "missing":
            message = "field required"
        else:
            message = str(error.get("msg", "invalid value"))
            message = message.removeprefix("Value error, ")
            # A model-level rule names its field in its message ("name: may not be null").
            named = _NAMED_FIELD.match(message) if kind == "value_error" else None
            if named is not None:
                inner = named.group(1)
                field = inner if field == "body" else f"{field}.{inner}"
                message = named.group(2)
        details.append({"field": field, "message": message})
    first = details[0] if details else {"field": "body", "message": "invalid request"}
    return BadRequest(f"{first['field']}: {first['message']}", details=details)


def malformed_json() -> BadRequest:
    """A body that is not JSON at all (or too deeply nested to parse)."""
    return BadRequest(
        f"body: {MALFORMED_JSON}", details=[{"field": "body", "message": MALFORMED_JSON}]
    )
