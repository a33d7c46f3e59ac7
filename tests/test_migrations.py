"""The migrations build exactly the schema the models describe, on the database under test."""

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from vantio.db.models import Base
from vantio.runtime import Runtime


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": False})
    return [diff for diff in compare_metadata(context, Base.metadata) if not _ignored(diff)]


def _ignored(diff: Any) -> bool:
    # alembic's own bookkeeping table is not a model
    return (
        isinstance(diff, tuple) and diff[0] == "remove_table" and diff[1].name == "alembic_version"
    )


async def test_models_and_migrations_agree(runtime: Runtime) -> None:
    async with runtime.engine.connect() as connection:
        differences = await connection.run_sync(_differences)
    assert differences == [], f"models and migrations differ; add a migration: {differences}"
