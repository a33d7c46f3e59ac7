"""Where the server's secret key comes from, and the SQLite file's permissions.

The key that seals secrets at rest (`vantio.kit.sealing`) is, in this order:

1. `VANTIO_SECRET_KEY`: the keyring's text (base64url keys, comma-separated, current first);
2. the file `VANTIO_SECRET_KEY_FILE`, created on first start (mode 0600) when missing;
3. with SQLite, the file beside the database, `<database>.key` (e.g. `vantio.db.key`), created
   on first start with mode 0600; with PostgreSQL, `vantio.key` in the working directory, the
   same way (servers that share a PostgreSQL database must share the key: set
   `VANTIO_SECRET_KEY`, or point `VANTIO_SECRET_KEY_FILE` at one copy).
"""

import logging
import os
from pathlib import Path

from sqlalchemy import make_url

from vantio.config import Settings
from vantio.kit.sealing import Keyring, load_or_create_key_file

log = logging.getLogger("vantio.db")


def sqlite_path(settings: Settings) -> Path | None:
    """The SQLite database file, or None (PostgreSQL, or an in-memory database)."""
    if not settings.is_sqlite:
        return None
    database = make_url(settings.database_url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def key_file_path(settings: Settings) -> Path | None:
    """The key file this server uses, or None when the key comes from `VANTIO_SECRET_KEY`."""
    if settings.secret_key.get_secret_value():
        return None
    if settings.secret_key_file:
        return Path(settings.secret_key_file)
    database = sqlite_path(settings)
    if database is not None:
        return database.with_name(database.name + ".key")
    return Path("vantio.key")


def load_keyring(settings: Settings) -> Keyring:
    if settings.secret_key.get_secret_value():
        return Keyring.parse(settings.secret_key.get_secret_value())
    path = key_file_path(settings)
    if path is None:  # only without VANTIO_SECRET_KEY, handled above
        raise RuntimeError("no key file path")
    existed = path.exists()
    ring = load_or_create_key_file(path)
    if not existed:
        log.warning(
            "created the secret key file %s (mode 0600): back it up with the database", path
        )
    return ring


def create_sqlite_file(settings: Settings) -> None:
    """Create the SQLite database file readable by its owner only (0600), before SQLite does
    (SQLite would create it with the umask's mode, usually world-readable; its -wal and -shm
    files take the database file's mode)."""
    path = sqlite_path(settings)
    if path is None or path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    os.close(descriptor)
