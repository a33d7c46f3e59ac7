"""Sessions, and the only commits: one transaction per request or job."""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from vantio.db.types import sqlstate_of

SessionMaker = async_sessionmaker[AsyncSession]


def create_sessionmaker(engine: AsyncEngine) -> SessionMaker:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=True)


@asynccontextmanager
async def transaction(sessionmaker: SessionMaker) -> AsyncIterator[AsyncSession]:
    """A unit of work: commits when the block ends normally, rolls back when it raises."""
    async with sessionmaker() as session:
        yield session
        await session.commit()


# What a check the database makes at COMMIT (a deferred trigger) means, by the SQLSTATE it
# raises: the domain that owns the check registers the error its callers get instead.
_REFUSED_AT_COMMIT: dict[str, Callable[[DBAPIError], Exception]] = {}


def refused_at_commit(sqlstate: str, error: Callable[[DBAPIError], Exception]) -> None:
    """Register the typed error of a check that the database makes when a transaction commits."""
    _REFUSED_AT_COMMIT[sqlstate] = error


async def commit(session: AsyncSession) -> None:
    """Commit a request's transaction (called by the request runner before the response is sent).

    A deferred check that refuses the commit raises the error its domain registered."""
    try:
        await session.commit()
    except DBAPIError as exc:
        translate = _REFUSED_AT_COMMIT.get(sqlstate_of(exc) or "")
        if translate is None:
            raise
        raise translate(exc) from exc
