"""Alembic, driven from code: `vantio db upgrade`, `vantio serve` and the tests all call this."""

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

from vantio.config import Settings
from vantio.db.keys import create_sqlite_file
from vantio.db.startup import startup_lock

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(settings: Settings) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", settings.database_url.replace("%", "%%"))
    config.attributes["settings"] = settings
    return config


def upgrade(settings: Settings, revision: str = "heads") -> None:
    """Migrate under the database's start-up lock (`vantio.db.startup`): processes started at
    once migrate one after the other, the later ones finding the schema at head. Call it where
    no event loop runs (Alembic runs its own), e.g. through `asyncio.to_thread`."""

    async def locked() -> None:
        async with startup_lock(settings):
            await asyncio.to_thread(upgrade_holding_lock, settings, revision)

    asyncio.run(locked())


def upgrade_holding_lock(settings: Settings, revision: str = "heads") -> None:
    """Migrate; the caller holds the start-up lock (`vantio.db.startup.startup_lock`)."""
    create_sqlite_file(settings)  # mode 0600 before SQLite creates it world-readable
    command.upgrade(alembic_config(settings), revision)


def downgrade(settings: Settings, revision: str) -> None:
    command.downgrade(alembic_config(settings), revision)
