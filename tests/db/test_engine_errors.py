"""What counts as the database being away (an outage waited out, not a bug with a traceback)."""

import asyncpg

from vantio.db.engine import is_database_unavailable


def test_asyncpgs_own_connection_errors_are_an_outage() -> None:
    # The worker's LISTEN connection uses asyncpg directly: a connection the server closed
    # raises asyncpg's InterfaceError, not SQLAlchemy's (the outage fault test logged a
    # traceback for it once connections stopped being pinged on every checkout).
    assert is_database_unavailable(asyncpg.InterfaceError("connection is closed"))
    assert is_database_unavailable(asyncpg.ConnectionDoesNotExistError("gone"))
    assert is_database_unavailable(asyncpg.CannotConnectNowError("starting up"))


def test_a_bug_is_not_an_outage() -> None:
    assert not is_database_unavailable(ValueError("a bug"))
    assert not is_database_unavailable(asyncpg.UniqueViolationError("duplicate key"))
