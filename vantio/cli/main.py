"""The `vantio` command: serve, db, keys, demo, openapi."""

import asyncio
import json
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from vantio.cli.secrets import secrets_app
from vantio.config import Settings, get_settings
from vantio.dashboard.cli import admin_app
from vantio.db import migrate
from vantio.runtime import Runtime

app = typer.Typer(help="Vantio: referral programs and vouchers, self-hosted.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(keys_app, name="keys")
app.add_typer(admin_app, name="admin")
app.add_typer(secrets_app, name="secrets")


_DEFAULTS = Settings.model_fields


@app.command()
def serve(
    host: Annotated[
        str | None,
        typer.Option(
            help="Interface to listen on",
            show_default=f"VANTIO_HOST or {_DEFAULTS['host'].default}",
        ),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(
            help="Port to listen on", show_default=f"VANTIO_PORT or {_DEFAULTS['port'].default}"
        ),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            show_default=True,
            help="API processes (uvicorn workers), each with its own worker unless --no-worker; "
            "more than one needs PostgreSQL",
        ),
    ] = 1,
    no_worker: Annotated[
        bool,
        typer.Option(
            "--no-worker",
            help="Do not run a worker in the server's processes (run `vantio worker`)",
            show_default="a worker in each process",
        ),
    ] = False,
) -> None:
    """Migrate the database, create an account on first start, and serve the API (and a worker).

    Logs go to stderr: an access line per request (VANTIO_ACCESS_LOG=false turns it off), as text
    or, with VANTIO_LOG_FORMAT=json, one JSON object per line."""
    from vantio.cli import serving
    from vantio.observability.logs import logging_config

    settings = get_settings()
    if host:
        settings.host = host
    if port:
        settings.port = port
    if reason := serving.refusal(settings, workers):
        typer.secho(reason, fg="red", err=True)
        raise typer.Exit(2)
    for warning in serving.warnings(settings, workers):
        typer.secho(warning, fg="yellow", err=True)
    migrate.upgrade(settings)
    secret = asyncio.run(_bootstrap())
    if secret:
        typer.secho(
            "Created your account. Its test-mode secret key, shown only this once:", fg="green"
        )
        typer.secho(f"  {secret}", bold=True)
        typer.echo("Keep it somewhere safe; `vantio keys create --name NAME` makes more.")
    if link := asyncio.run(_dashboard_link(settings.public_base_url())):
        typer.secho(
            "No one can sign in to the dashboard yet. Create your sign-in here:", fg="green"
        )
        typer.secho(f"  {link}", bold=True)
        typer.echo("The link works once (or run `vantio admin create --email EMAIL`).")
    serving.prepare_processes(settings, workers=workers, in_process_worker=not no_worker)
    uvicorn.run(
        "vantio.cli.serving:server_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=workers,
        **serving.uvicorn_options(),
        log_config=logging_config(settings.log_format),
        access_log=False,  # vantio.access logs each request (request id, route, duration)
        # X-Forwarded-For / -Proto believed only from VANTIO_TRUSTED_PROXIES (none by default:
        # uvicorn's own default believes any loopback peer); the app applies the same list.
        proxy_headers=True,
        forwarded_allow_ips=settings.trusted_proxies,
    )


@app.command()
def worker(
    concurrency: Annotated[
        int | None, typer.Option(help="Jobs run at once (default VANTIO_WORKER_CONCURRENCY)")
    ] = None,
) -> None:
    """Run the background worker (webhook deliveries, periodic jobs) until SIGTERM or SIGINT."""
    import logging.config

    from vantio.observability.logs import logging_config
    from vantio.worker.process import run_worker_process

    logging.config.dictConfig(logging_config(get_settings().log_format))

    async def run() -> None:
        async with _runtime() as runtime:
            await run_worker_process(runtime, concurrency=concurrency)

    asyncio.run(run())


async def _bootstrap() -> str | None:
    from vantio.cli.bootstrap import ensure_account

    async with _runtime() as runtime:
        return await ensure_account(runtime.sessionmaker)


async def _dashboard_link(base_url: str) -> str | None:
    from vantio.cli.bootstrap import dashboard_setup_link

    async with _runtime() as runtime:
        return await dashboard_setup_link(runtime.sessionmaker, base_url=base_url)


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision")] = "heads") -> None:
    """Apply the schema migrations."""
    migrate.upgrade(get_settings(), revision)
    typer.echo("Database is up to date.")


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Option(help="A name that says where the key is used")],
    live: Annotated[
        bool, typer.Option("--live", help="A live-mode key (default: test mode)")
    ] = False,
) -> None:
    """Create an API key; its secret is printed once."""
    from vantio.accounts import service as account_service
    from vantio.api_keys import service as api_key_service
    from vantio.db.session import transaction

    async def run() -> str:
        async with _runtime() as runtime, transaction(runtime.sessionmaker) as session:
            account = await account_service.get_first_account(
                session
            ) or await account_service.create_account(session, name="Default account")
            created = await api_key_service.create_key(
                session, account_id=account.id, name=name, livemode=live
            )
            return f"{created.key.id}  {created.secret}"

    migrate.upgrade(get_settings())
    typer.echo(asyncio.run(run()))


@keys_app.command("list")
def keys_list() -> None:
    """List API keys (never their secrets)."""
    from vantio.api_keys import service as api_key_service
    from vantio.db.session import transaction
    from vantio.kit.time import isoformat

    async def run() -> list[str]:
        async with _runtime() as runtime, transaction(runtime.sessionmaker) as session:
            return [
                f"{k.id}  {'live' if k.livemode else 'test'}  {k.hint}…  {k.name!r}  "
                f"created {isoformat(k.created_at)}  last used {isoformat(k.last_used_at) or 'never'}"
                + (f"  REVOKED {isoformat(k.revoked_at)}" if k.revoked_at else "")
                for k in await api_key_service.list_keys(session)
            ]

    migrate.upgrade(get_settings())
    for line in asyncio.run(run()):
        typer.echo(line)


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="The key's id (key_...)")]) -> None:
    """Revoke an API key: requests with it get 401 from now on."""
    from vantio.api_keys import service as api_key_service
    from vantio.db.session import transaction
    from vantio.errors import NotFound

    async def run() -> None:
        async with _runtime() as runtime, transaction(runtime.sessionmaker) as session:
            await api_key_service.revoke_key(session, key_id=key_id)

    try:
        asyncio.run(run())
    except NotFound as exc:
        typer.secho(exc.message, fg="red", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"Revoked {key_id}.")


@app.command()
def demo(weeks: Annotated[int, typer.Option(help="Weeks of activity to generate")] = 6) -> None:
    """Fill the database with a realistic program (test mode) to explore."""
    from vantio.cli.demo import fill

    async def run() -> dict[str, int]:
        async with _runtime() as runtime:
            return await fill(runtime.sessionmaker, weeks=weeks)

    migrate.upgrade(get_settings())
    counts = asyncio.run(run())
    typer.echo(
        "Demo program created (test mode): " + ", ".join(f"{v} {k}" for k, v in counts.items())
    )


@app.command()
def backup(
    path: Annotated[Path, typer.Argument(help="The new file to write the copy to")],
) -> None:
    """Copy the SQLite database to PATH while the server runs (PostgreSQL: use pg_dump)."""
    from vantio.cli.backup import BackupRefused
    from vantio.cli.backup import backup as copy_database

    try:
        source = copy_database(get_settings(), path)
    except BackupRefused as refused:
        typer.secho(str(refused), fg="red", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"Backed up {source} to {path} ({path.stat().st_size} bytes).")


@app.command()
def openapi() -> None:
    """Print the OpenAPI document."""
    from vantio.app import create_app

    typer.echo(json.dumps(create_app(get_settings()).openapi(), indent=2))


class _runtime:
    """The runtime of a command, built by the composition root (every model mapped, every job)."""

    async def __aenter__(self) -> "Runtime":
        from vantio.composition import create_runtime

        self.runtime = create_runtime(get_settings())
        return self.runtime

    async def __aexit__(self, *_: object) -> None:
        await self.runtime.close()


if __name__ == "__main__":
    app()
