"""`vantio admin`: operators who sign in to the dashboard."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from vantio.config import get_settings
from vantio.db import migrate

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")

admin_app = typer.Typer(help="Dashboard operators.", no_args_is_help=True)


@admin_app.command("create")
def admin_create(
    email: Annotated[str, typer.Option(help="The operator's email, used to sign in")],
    password: Annotated[
        str | None,
        typer.Option(help="The password (asked for, hidden, when not given)", show_default=False),
    ] = None,
) -> None:
    """Create a dashboard operator of the first account (created when there is none)."""
    from vantio.dashboard import service
    from vantio.db.session import transaction
    from vantio.errors import VantioError
    from vantio.runtime import Runtime

    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)

    async def run() -> str:
        runtime = Runtime.create(get_settings())
        try:
            async with transaction(runtime.sessionmaker) as session:
                operator = await service.create_operator(session, email=email, password=password)
                return operator.id
        finally:
            await runtime.close()

    migrate.upgrade(get_settings())
    try:
        operator_id = asyncio.run(run())
    except VantioError as exc:
        typer.secho(exc.message, fg="red", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"Created operator {operator_id} ({email}); sign in at /dashboard.")


def _run(work: "Callable[[AsyncSession], Awaitable[T]]") -> T:
    """Migrate, then run `work` in one transaction; a typed error is one red line and exit 1."""
    from vantio.db.session import transaction
    from vantio.errors import VantioError
    from vantio.runtime import Runtime

    async def run() -> T:
        runtime = Runtime.create(get_settings())
        try:
            async with transaction(runtime.sessionmaker) as session:
                return await work(session)
        finally:
            await runtime.close()

    migrate.upgrade(get_settings())
    try:
        return asyncio.run(run())
    except VantioError as exc:
        typer.secho(exc.message, fg="red", err=True)
        raise typer.Exit(1) from None


@admin_app.command("list")
def admin_list() -> None:
    """List the dashboard operators of every account."""
    from vantio.dashboard import service
    from vantio.kit.time import isoformat

    async def work(session: "AsyncSession") -> list[str]:
        return [
            f"{o.id}  {o.email}  account {o.account_id}  created {isoformat(o.created_at)}  "
            f"last sign-in {isoformat(o.last_sign_in_at) or 'never'}"
            for o in await service.list_operators(session)
        ]

    lines = _run(work)
    for line in lines:
        typer.echo(line)
    if not lines:
        typer.echo("No operators yet. Create one with `vantio admin create --email EMAIL`.")


@admin_app.command("remove")
def admin_remove(email: Annotated[str, typer.Argument(help="The operator's email")]) -> None:
    """Remove a dashboard operator; their open sessions end at once."""
    from vantio.dashboard import service

    async def work(session: "AsyncSession") -> str:
        return (await service.remove_operator(session, email=email)).id

    operator_id = _run(work)
    typer.echo(f"Removed operator {operator_id} ({email}); their sessions are closed.")


@admin_app.command("reset-password")
def admin_reset_password(
    email: Annotated[str, typer.Argument(help="The operator's email")],
    password: Annotated[
        str | None,
        typer.Option(
            help="The new password (asked for, hidden, when not given)", show_default=False
        ),
    ] = None,
) -> None:
    """Set a new password for an operator who forgot theirs; their open sessions end."""
    from vantio.dashboard import service

    if password is None:
        password = typer.prompt("New password", hide_input=True, confirmation_prompt=True)

    async def work(session: "AsyncSession") -> None:
        operator = await service.get_operator_or_raise(session, email=email)
        await service.set_password(session, operator=operator, password=password)

    _run(work)
    typer.echo(f"New password set for {email}; their sessions are closed. Sign in at /dashboard.")
