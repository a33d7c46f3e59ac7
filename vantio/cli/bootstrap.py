"""First start: an empty database gets an account and a test key, printed once."""

from vantio.accounts import service as account_service
from vantio.api_keys import service as api_key_service
from vantio.db.session import SessionMaker, transaction


async def ensure_account(sessionmaker: SessionMaker) -> str | None:
    """Create the first account and return its test secret key, or None if one exists."""
    async with transaction(sessionmaker) as session:
        if await account_service.get_first_account(session) is not None:
            return None
        account = await account_service.create_account(session, name="Default account")
        created = await api_key_service.create_key(
            session, account_id=account.id, name="First test key", livemode=False
        )
        return created.secret
