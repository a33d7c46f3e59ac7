"""What a command does as it starts: migrate and make the first account under the start-up lock,
then tell the operator about keys and the public URL; and the runtime a command works with."""

import asyncio
from dataclasses import dataclass, field

import typer

from vantio.config import Settings, get_settings
from vantio.db import migrate
from vantio.runtime import Runtime


@dataclass
class Started:
    secret: str | None = None  # the first account's test key, when this start created it
    keyless: list[tuple[str, str]] = field(default_factory=list)  # (id, name) with no usable key
    link: str | None = None  # the dashboard's one-time setup link, while no one can sign in


async def start(settings: Settings, *, account: bool, link_base: str | None = None) -> Started:
    """Migrate, and (with `account`) make the first account, one process at a time: any number
    of commands may start at once on one database (`vantio.db.startup`)."""
    from vantio.cli.bootstrap import (
        accounts_without_usable_key,
        dashboard_setup_link,
        ensure_account,
    )
    from vantio.db.startup import startup_lock

    started = Started()
    async with startup_lock(settings):
        await asyncio.to_thread(migrate.upgrade_holding_lock, settings)  # Alembic has its loop
        if not account:
            return started
        async with command_runtime() as runtime:
            started.secret = await ensure_account(runtime.sessionmaker)
            keyless = await accounts_without_usable_key(runtime.sessionmaker)
            started.keyless = [(a.id, a.name) for a in keyless]
            if link_base is not None:
                started.link = await dashboard_setup_link(runtime.sessionmaker, base_url=link_base)
    return started


def tell_public_url(settings: Settings) -> None:
    """Which address posters and QR codes will carry, and how to change it."""
    from vantio.kit.urls import is_public_url

    base = settings.public_base_url()
    if settings.public_url and is_public_url(base):
        return
    reachable = is_public_url(base)
    typer.secho(
        f"Posters and QR codes will point at {base}/s/<code>"
        + ("." if reachable else ", which a phone elsewhere cannot reach."),
        fg="yellow",
    )
    typer.echo(
        "  Set VANTIO_PUBLIC_URL to the address people reach this server at, e.g. "
        "VANTIO_PUBLIC_URL=https://vantio.example.com"
    )


def tell_keys(started: Started) -> None:
    """The key this start created, or how to make one for each account that has none usable."""
    if started.secret:
        typer.secho(
            "Created your account. Its test-mode secret key, shown only this once:", fg="green"
        )
        typer.secho(f"  {started.secret}", bold=True)
        typer.echo("Keep it somewhere safe; `vantio keys create --name NAME` makes more.")
    for account_id, name in started.keyless:
        typer.secho(f"Account {name!r} ({account_id}) has no usable API key.", fg="yellow")
        typer.echo(
            f"  Make one with `vantio keys create --name NAME --account {account_id}` "
            "(add --live for live mode); it is printed once."
        )


class command_runtime:
    """The runtime of a command, built by the composition root (every model mapped, every job)."""

    async def __aenter__(self) -> "Runtime":
        from vantio.composition import create_runtime

        self.runtime = create_runtime(get_settings())
        return self.runtime

    async def __aexit__(self, *_: object) -> None:
        await self.runtime.close()
