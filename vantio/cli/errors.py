"""What a command says when it fails: a few lines naming what failed and what to do.

The full traceback only with `--debug` (anywhere on the command line) or `VANTIO_DEBUG=1`.
"""

import socket
import sqlite3
from collections.abc import Iterator

from sqlalchemy import exc as sa_exc
from sqlalchemy import make_url

# PostgreSQL SQLSTATEs a first start meets.
_NO_DATABASE = "3D000"
_BAD_PASSWORD = "28P01"  # noqa: S105 - an SQLSTATE, not a password
_NOT_AUTHORIZED = "28000"


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        orig = getattr(current, "orig", None)
        if isinstance(orig, BaseException) and id(orig) not in seen:
            yield orig
            seen.add(id(orig))
        current = current.__cause__ or current.__context__


def _shown(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except sa_exc.ArgumentError:
        return url


def _createdb(url: str) -> str:
    parsed = make_url(url)
    parts = ["createdb"]
    if parsed.host and parsed.host not in ("localhost", "127.0.0.1"):
        parts += ["-h", parsed.host]
    if parsed.port and parsed.port != 5432:
        parts += ["-p", str(parsed.port)]
    if parsed.username:
        parts += ["-U", parsed.username]
    parts.append(parsed.database or "vantio")
    return " ".join(parts)


def explain(error: BaseException, *, database_url: str) -> list[str]:
    """The lines to print for a command that failed with `error`."""
    shown = _shown(database_url)
    for cause in _chain(error):
        sqlstate = str(getattr(cause, "sqlstate", "") or "")
        if sqlstate == _NO_DATABASE:
            name = make_url(database_url).database
            return [
                f"Database {name} does not exist on {shown}.",
                f"Create it with `{_createdb(database_url)}` "
                f'(or in psql: CREATE DATABASE "{name}";), then start again.',
            ]
        if sqlstate in (_BAD_PASSWORD, _NOT_AUTHORIZED):
            return [
                f"PostgreSQL refused the sign-in for {shown}: {str(cause).strip()}.",
                "Check the user and password in VANTIO_DATABASE_URL.",
            ]
        if isinstance(cause, sa_exc.NoSuchModuleError | ModuleNotFoundError):
            return [
                f"VANTIO_DATABASE_URL={shown} names a database driver Vantio does not ship "
                f"({cause}).",
                "Use postgresql://user:password@host:5432/name or sqlite:///path/to/vantio.db.",
            ]
        if isinstance(cause, sa_exc.ArgumentError):
            return [
                f"VANTIO_DATABASE_URL is not a database URL: {cause}.",
                "Use postgresql://user:password@host:5432/name or sqlite:///path/to/vantio.db.",
            ]
        if isinstance(cause, socket.gaierror):
            return [
                f"Cannot find the database host of {shown}: {cause}.",
                "Check the host name in VANTIO_DATABASE_URL.",
            ]
        if isinstance(cause, ConnectionRefusedError | TimeoutError):
            return [
                f"Cannot connect to the database at {shown}: {cause}.",
                "Is PostgreSQL running and listening there? Check VANTIO_DATABASE_URL.",
            ]
        if isinstance(cause, sqlite3.OperationalError) and "unable to open" in str(cause):
            return [
                f"Cannot open the SQLite database {shown}: {cause}.",
                "Check that its directory exists and is writable, or set VANTIO_DATABASE_URL.",
            ]
        if isinstance(cause, OSError) and cause.errno is not None:
            return [
                f"Cannot reach the database at {shown}: {cause}.",
                "Check VANTIO_DATABASE_URL and that the database server is running.",
            ]
    first = (str(error).strip().splitlines() or [""])[0][:300]
    return [f"Failed: {type(error).__name__}: {first}"]
