"""Authentication: the bearer key of a request resolved to an AuthContext."""

from starlette.requests import Request

from vantio.api_keys import service as api_key_service
from vantio.auth.context import AuthContext
from vantio.db.session import SessionMaker, transaction
from vantio.errors import Unauthorized


async def authenticate(
    sessionmaker: SessionMaker, request: Request, *, remember_seconds: float = 0.0
) -> AuthContext:
    """The caller of this request. A key this process found active within `remember_seconds`
    is taken without a database round trip (`api_keys.service`: revocation forgets it)."""
    header = request.headers.get("authorization")
    if not header:
        raise Unauthorized(
            "Missing API key: send 'Authorization: Bearer sk_...'", code="missing_api_key"
        )
    scheme, _, secret = header.partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret:
        raise Unauthorized(
            "Malformed Authorization header: expected 'Bearer sk_...'", code="invalid_api_key"
        )
    key = api_key_service.remembered_key(secret) if remember_seconds > 0 else None
    if key is None:
        async with transaction(sessionmaker) as session:
            key = await api_key_service.find_active_key(
                session, secret=secret, remember_seconds=remember_seconds
            )
    if key is None:
        raise Unauthorized("Invalid or missing API key", code="invalid_api_key")
    return AuthContext(account_id=key.account_id, livemode=key.livemode, api_key_id=key.id)
