"""Authentication: the bearer key of a request resolved to an AuthContext."""

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from vantio.api_keys import service as api_key_service
from vantio.auth.context import AuthContext
from vantio.errors import Unauthorized


async def authenticate(session: AsyncSession, request: Request) -> AuthContext:
    header = request.headers.get("authorization")
    if not header:
        raise Unauthorized(
            "Missing API key: send 'Authorization: Bearer sk_...'", code="missing_api_key"
        )
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthorized(
            "Malformed Authorization header: expected 'Bearer sk_...'", code="invalid_api_key"
        )
    key = await api_key_service.find_active_key(session, secret=secret.strip())
    if key is None:
        raise Unauthorized("Invalid or missing API key", code="invalid_api_key")
    return AuthContext(account_id=key.account_id, livemode=key.livemode, api_key_id=key.id)
