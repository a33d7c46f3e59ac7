"""Python client for Vantio: the Referral API (``/api/v1``) and the Voucher API (``/v1``).

from vantio_client import Vantio
client = Vantio(api_key="sk_test_...", base_url="http://127.0.0.1:3000")
referral = client.referrals.create(impression_id=..., first_name=..., last_name=..., email=...)
"""

from vantio_client import types, webhooks
from vantio_client._base import DEFAULT_BASE_URL, RetryPolicy, TTLCache, __version__
from vantio_client._batch import BatchItemError, BatchResult
from vantio_client._client import AsyncVantio, Vantio
from vantio_client._errors import (
    APIConnectionError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    ConnectionError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    VantioError,
    WebhookVerificationError,
)
from vantio_client.types import Page

__all__ = [
    "DEFAULT_BASE_URL",
    "APIConnectionError",
    "AsyncVantio",
    "AuthenticationError",
    "BadRequestError",
    "BatchItemError",
    "BatchResult",
    "ConflictError",
    "ConnectionError",
    "NotFoundError",
    "Page",
    "PermissionDeniedError",
    "RateLimitError",
    "RetryPolicy",
    "ServerError",
    "TTLCache",
    "Vantio",
    "VantioError",
    "WebhookVerificationError",
    "__version__",
    "types",
    "webhooks",
]
