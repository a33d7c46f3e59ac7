"""The migrations build exactly the schema the models describe (column types included), on the
database under test; and a migration a release shipped is never edited (append-only)."""

import hashlib
from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from vantio.db.migrate import MIGRATIONS
from vantio.models import Base
from vantio.runtime import Runtime


def _differences(connection: Connection) -> list[Any]:
    # compare_type: a column whose type differs from its model (VARCHAR(100) vs String(50),
    # INTEGER vs BIGINT) is a difference, as much as a missing column.
    context = MigrationContext.configure(connection, opts={"compare_type": True})
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


def released_migrations() -> list[tuple[str, str, str]]:
    """(release, sha256, file) of every migration a tagged release shipped."""
    lines = (MIGRATIONS / "RELEASED").read_text().splitlines()
    rows = [line.split() for line in lines if line.strip() and not line.startswith("#")]
    return [(release, digest, name) for release, digest, name in rows]


def test_released_migrations_are_never_edited() -> None:
    """A database upgraded by a release has run these files: editing one would leave it with a
    schema no migration describes. Change the schema with a new revision instead."""
    released = released_migrations()
    assert {release for release, _, _ in released} >= {"0.1.0"}
    edited = [
        f"{name} (shipped in {release})"
        for release, digest, name in released
        if _sha256(MIGRATIONS / "versions" / name) != digest
    ]
    assert edited == [], f"released migrations were edited, add a new revision instead: {edited}"


def test_every_release_lists_its_migrations_in_order() -> None:
    """Revisions are numbered; the released ones are the oldest, without a gap."""
    names = sorted(p.name for p in (MIGRATIONS / "versions").glob("[0-9]*.py"))
    released = [name for _, _, name in released_migrations()]
    assert released == names[: len(released)]


def _sha256(path: Path) -> str:
    assert path.exists(), f"{path.name} was released and must stay"
    return hashlib.sha256(path.read_bytes()).hexdigest()
