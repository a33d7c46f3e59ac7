"""Accounts: the tenants."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vantio.accounts.models import Account
from vantio.kit.ids import new_id


async def create_account(session: AsyncSession, *, name: str) -> Account:
    account = Account(id=new_id("acct"), name=name)
    session.add(account)
    await session.flush()
    return account


async def get_first_account(session: AsyncSession) -> Account | None:
    return (await session.scalars(select(Account).order_by(Account.id).limit(1))).first()


async def list_accounts(session: AsyncSession) -> list[Account]:
    """Every account, oldest first (the CLI, run on the server, is the operator of all)."""
    return list(await session.scalars(select(Account).order_by(Account.id)))


async def get_account(session: AsyncSession, *, account_id: str) -> Account | None:
    return await session.get(Account, account_id)
