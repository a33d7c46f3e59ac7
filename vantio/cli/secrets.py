"""`vantio secrets`: the server key that seals secrets at rest (vantio/kit/sealing.py).

- `vantio secrets rotate-key`: a new key becomes current, the old ones stay to open what they
  sealed, and every sealed value (and any plain one written before sealing existed) is sealed
  again with the new key. With a key file, the file is rewritten first (atomically, 0600); with
  `VANTIO_SECRET_KEY`, the new value is printed for the operator to deploy, then `reseal`.
- `vantio secrets reseal`: seal everything again with the current key (after changing
  `VANTIO_SECRET_KEY` by hand, or to seal rows written before this version).

Servers read the keyring at start: restart them after a rotation.
"""

import asyncio
from typing import Any

import sqlalchemy as sa
import typer
from sqlalchemy.ext.asyncio import AsyncSession

from vantio.config import Settings, get_settings
from vantio.db import migrate
from vantio.db.keys import key_file_path, load_keyring
from vantio.idempotency.models import IdempotencyRecord
from vantio.kit import sealing
from vantio.payouts.models import PayoutAccount
from vantio.webhooks.models import WebhookEndpoint

secrets_app = typer.Typer(
    help="The server key that encrypts secrets at rest.", no_args_is_help=True
)

# Every sealed column: (model, attribute). A new sealed column is added here.
SEALED_COLUMNS: tuple[tuple[Any, str], ...] = (
    (WebhookEndpoint, "secret"),
    (WebhookEndpoint, "previous_secret"),
    (IdempotencyRecord, "response_body"),
    (PayoutAccount, "details"),
)


async def reseal(session: AsyncSession, ring: sealing.Keyring) -> int:
    """Seal again, with the ring's current key, every value that is not sealed with it yet."""
    changed = 0
    for model, name in SEALED_COLUMNS:
        column = model.__table__.c[name]
        # The raw stored values, not the opened ones: which key sealed them.
        raw = sa.table(model.__tablename__, sa.column("id"), sa.column(name))
        rows = (await session.execute(sa.select(raw.c.id, raw.c[name]))).all()
        for row_id, stored in rows:
            if stored is None or ring.sealed_with_current(stored):
                continue
            opened = column.type.process_result_value(stored, session.get_bind().dialect)
            await session.execute(sa.update(model).where(model.id == row_id).values({name: opened}))
            changed += 1
    return changed


async def _reseal_all(settings: Settings, ring: sealing.Keyring) -> int:
    from vantio.db.session import transaction
    from vantio.runtime import Runtime

    runtime = Runtime.create(settings)
    sealing.install(ring)  # after the runtime's own: the new current key seals
    try:
        async with transaction(runtime.sessionmaker) as session:
            return await reseal(session, ring)
    finally:
        await runtime.close()


@secrets_app.command("rotate-key")
def rotate_key() -> None:
    """Make a new key current and seal every secret again with it."""
    settings = get_settings()
    migrate.upgrade(settings)
    ring = load_keyring(settings).rotated()
    path = key_file_path(settings)
    if path is None:
        typer.echo(
            "The key comes from VANTIO_SECRET_KEY. Set it on every server to\n\n"
            f"  VANTIO_SECRET_KEY={ring.dump().strip().replace(chr(10), ',')}\n\n"
            "(the new key first, the old one kept to open what it sealed), restart them, then "
            "run `vantio secrets reseal`."
        )
        return
    sealing.write_key_file(path, ring)
    changed = asyncio.run(_reseal_all(settings, ring))
    typer.echo(
        f"New key {ring.current_id} written to {path}; {changed} values sealed again. "
        "Restart the servers so that they load it."
    )


@secrets_app.command("reseal")
def reseal_command() -> None:
    """Seal every secret again with the current key (and seal any stored in plain text)."""
    settings = get_settings()
    migrate.upgrade(settings)
    ring = load_keyring(settings)
    changed = asyncio.run(_reseal_all(settings, ring))
    typer.echo(f"{changed} values sealed with key {ring.current_id}.")
