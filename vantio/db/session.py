"""Sessions, and the only commits: one transaction per request or job."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

SessionMaker = async_sessionmaker[AsyncSession]


def create_sessionmaker(engine: AsyncEngine) -> SessionMaker:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=True)


@asynccontextmanager
async def transaction(sessionmaker: SessionMaker) -> AsyncIterator[AsyncSession]:
    """A unit of work: commits when the block ends normally, rolls back when it raises."""
    async with sessionmaker() as session:
        yield session
        await session.commit()


async def commit(session: AsyncSession) -> None:
    """Commit a request's transaction (called by the request runner before the response is sent)."""
    await session.commit()
