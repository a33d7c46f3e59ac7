"""First start: an empty database gets an account and a test key, printed once."""

from vantio.accounts import service as account_service
from vantio.accounts.models import Account
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


async def dashboard_setup_link(sessionmaker: SessionMaker, *, base_url: str) -> str | None:
    """A one-time link to create the first dashboard operator, or None if one exists."""
    from vantio.dashboard import service as dashboard_service

    async with transaction(sessionmaker) as session:
        account = await account_service.get_first_account(session)
        if account is None or await dashboard_service.any_operator(session):
            return None
        token = await dashboard_service.create_setup_link(session, account_id=account.id)
        return f"{base_url}/dashboard/setup?token={token}"


async def accounts_without_usable_key(sessionmaker: SessionMaker) -> list[Account]:
    """The accounts none of whose API keys works (none made, or all revoked)."""
    async with transaction(sessionmaker) as session:
        keys = await api_key_service.list_keys(session)
        usable = {k.account_id for k in keys if k.revoked_at is None}
        return [a for a in await account_service.list_accounts(session) if a.id not in usable]
