"""Alembic environment: runs migrations on the async engine; batch mode on SQLite."""

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from vantio.config import Settings
from vantio.db.engine import create_engine
from vantio.models import Base

config = context.config
target_metadata = Base.metadata


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_async() -> None:
    settings: Settings = config.attributes.get("settings") or Settings(
        database_url=config.get_main_option("sqlalchemy.url") or ""
    )
    engine = create_engine(settings)
    async with engine.connect() as connection:
        await connection.run_sync(run)
        await connection.commit()
    await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `vantio db upgrade`")
asyncio.run(run_async())
