"""Alembic, driven from code: `vantio db upgrade`, `vantio serve` and the tests all call this."""

from pathlib import Path

from alembic import command
from alembic.config import Config

from vantio.config import Settings
from vantio.db.keys import create_sqlite_file

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(settings: Settings) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", settings.database_url.replace("%", "%%"))
    config.attributes["settings"] = settings
    return config


def upgrade(settings: Settings, revision: str = "heads") -> None:
    create_sqlite_file(settings)  # mode 0600 before SQLite creates it world-readable
    command.upgrade(alembic_config(settings), revision)


def downgrade(settings: Settings, revision: str) -> None:
    command.downgrade(alembic_config(settings), revision)
