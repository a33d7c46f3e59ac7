"""Typed errors with a status and a stable code; each API surface renders them in its own shape."""

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


class FieldError(BadRequest):
    """A rule on one input field failed; the message names the field."""

    def __init__(self, field: str, message: str, *, code: str = "invalid_request"):
        super().__init__(
            f"{field}: {message}", details=[{"field": field, "message": message}], code=code
        )


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"
    message = "This idempotency key was already used with a different request body"


class IdempotencyKeyInFlight(Conflict):
    code = "idempotency_key_in_flight"
    message = "A request with this idempotency key is still being processed"
