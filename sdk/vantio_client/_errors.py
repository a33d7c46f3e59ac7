"""Typed errors, parsed from either API surface's error body.

Referral API (`/api/v1`): ``{"error": "Not Found", "message": "...", "code": "snake", "details": ...}``
Voucher API (`/v1`): ``{"error": {"code": "UPPER_SNAKE", "message": "...", "details": ...}}``
"""

from __future__ import annotations

import builtins
import json
from typing import Any

__all__ = [
    "APIConnectionError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "ConnectionError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ServerError",
    "VantioError",
    "WebhookVerificationError",
    "error_from_response",
]


class VantioError(Exception):
    """Any failed call. ``status`` is the HTTP status (``None`` when no answer arrived),
    ``code`` the server's stable error code exactly as that surface sends it
    (``"duplicate_referral"`` on ``/api/v1``, ``"VOUCHER_NOT_FOUND"`` on ``/v1``),
    ``message`` the server's text,
    ``details`` its structured details, and ``request_id`` the id of the request
    (the server's ``X-Request-Id`` answer header, else the one this client sent)."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        details: Any = None,
        request_id: str | None = None,
        retry_after: float | None = None,
        body: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.details = details
        self.request_id = request_id
        self.retry_after = retry_after
        self.body = body

    def __str__(self) -> str:
        parts = [self.message]
        if self.status is not None:
            parts.insert(0, f"[{self.status}{' ' + self.code if self.code else ''}]")
        if self.request_id:
            parts.append(f"(request {self.request_id})")
        return " ".join(parts)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, code={self.code!r}, "
            f"message={self.message!r}, request_id={self.request_id!r})"
        )


class BadRequestError(VantioError):
    """400 (and 413): the request was refused as invalid. ``details`` lists the failing fields."""


class AuthenticationError(VantioError):
    """401: missing, malformed, unknown or revoked API key."""


class PermissionDeniedError(VantioError):
    """403: the key may not do this."""


class NotFoundError(VantioError):
    """404: no such object for this key's account and mode."""


class ConflictError(VantioError):
    """409: a conflict, e.g. ``duplicate_referral``, ``idempotency_key_reused``,
    ``VOUCHER_ALREADY_APPLIED``."""


class RateLimitError(VantioError):
    """429 after the retries ran out; ``retry_after`` holds the server's Retry-After in seconds."""


class ServerError(VantioError):
    """5xx after the retries ran out."""


class APIConnectionError(VantioError, builtins.ConnectionError):
    """No answer: the connection failed, broke or timed out (after the retries ran out).

    It is also a subclass of Python's builtin ``ConnectionError``, so ``except ConnectionError``
    catches it whichever of the two names is in scope."""

    def __init__(self, message: str, *, request_id: str | None = None) -> None:
        VantioError.__init__(self, message, request_id=request_id)


#: The issue's name for it; an alias of :class:`APIConnectionError`, which subclasses the builtin.
ConnectionError = APIConnectionError


class WebhookVerificationError(VantioError):
    """A webhook's signature is missing, wrong, or its timestamp is outside the tolerance."""


_BY_STATUS: dict[int, type[VantioError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    413: BadRequestError,
    422: BadRequestError,
    429: RateLimitError,
}


def error_class(status: int) -> type[VantioError]:
    """The error class for an HTTP status."""
    if status >= 500:
        return ServerError
    return _BY_STATUS.get(status, VantioError)


def error_from_response(
    status: int,
    content: bytes,
    *,
    request_id: str | None = None,
    retry_after: float | None = None,
) -> VantioError:
    """Build the typed error for a non-2xx answer from either surface's body (or a non-JSON one)."""
    body: Any = None
    try:
        body = json.loads(content) if content else None
    except ValueError:
        body = None
    code: str | None = None
    message: str | None = None
    details: Any = None
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):  # Voucher API
            code = _str(error.get("code"))
            message = _str(error.get("message"))
            details = error.get("details")
        else:  # Referral API
            code = _str(body.get("code"))
            message = _str(body.get("message")) or _str(error)
            details = body.get("details")
    if message is None:
        text = content.decode("utf-8", "replace").strip()[:500]
        message = text or f"HTTP {status}"
    return error_class(status)(
        message,
        status=status,
        code=code,
        details=details,
        request_id=request_id,
        retry_after=retry_after,
        body=body,
    )


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
