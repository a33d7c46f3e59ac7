"""`vantio admin`: operators who sign in to the dashboard."""

import asyncio
from typing import Annotated

import typer

from vantio.config import get_settings
from vantio.db import migrate

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
