"""The `vantio` command: serve, db, keys, demo, openapi."""

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
import uvicorn

from vantio.cli.secrets import secrets_app
from vantio.cli.starting import command_runtime, start, tell_keys, tell_public_url
from vantio.config import Settings, get_settings
from vantio.dashboard.cli import admin_app
from vantio.db import migrate


class _Vantio(typer.Typer):
    """The command, with failures told in a few lines (`errors.explain`): the traceback only
    with `--debug` (anywhere on the command line) or `VANTIO_DEBUG=1`."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        debug = "--debug" in sys.argv[1:] or os.environ.get("VANTIO_DEBUG", "") not in ("", "0")
        sys.argv[1:] = [a for a in sys.argv[1:] if a != "--debug"]
        try:
            return super().__call__(*args, **kwargs)
        except Exception as error:
            if debug:
                raise
            from vantio.cli.errors import explain

            try:
                url = get_settings().database_url
            except Exception:
                url = os.environ.get("VANTIO_DATABASE_URL", "")
            command = " ".join(a for a in sys.argv[1:3] if not a.startswith("-"))
            typer.secho(f"vantio {command}: cannot go on.".replace("  ", " "), fg="red", err=True)
            for line in explain(error, database_url=url):
                typer.echo(f"  {line}", err=True)
            typer.echo("  (run again with --debug for the traceback)", err=True)
            raise SystemExit(1) from None


app = _Vantio(
    help="Vantio: referral programs and vouchers, self-hosted. "
    "Add --debug to any command to see a failure's traceback.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys.", no_args_is_help=True)
accounts_app = typer.Typer(help="Accounts (tenants).", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(accounts_app, name="accounts")
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
    started = asyncio.run(start(settings, account=True, link_base=settings.public_base_url()))
    tell_keys(started)
    tell_public_url(settings)
    if started.link:
        typer.secho(
            "No one can sign in to the dashboard yet. Create your sign-in here:", fg="green"
        )
        typer.secho(f"  {started.link}", bold=True)
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
        await start(get_settings(), account=False)
        async with command_runtime() as runtime:
            await run_worker_process(runtime, concurrency=concurrency)

    asyncio.run(run())


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
    account_id: Annotated[
        str | None,
        typer.Option("--account", help="The account's id (acct_...; default: the first account)"),
    ] = None,
) -> None:
    """Create an API key; its secret is printed once."""
    from vantio.accounts import service as account_service
    from vantio.api_keys import service as api_key_service
    from vantio.db.session import transaction

    async def run() -> str:
        async with command_runtime() as runtime, transaction(runtime.sessionmaker) as session:
            if account_id is not None:
                account = await account_service.get_account(session, account_id=account_id)
                if account is None:
                    typer.secho(f"No account with id {account_id}", fg="red", err=True)
                    raise typer.Exit(1)
            else:
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
        async with command_runtime() as runtime, transaction(runtime.sessionmaker) as session:
            return [
                f"{k.id}  {'live' if k.livemode else 'test'}  {k.hint}…  {k.name!r}  "
                f"created {isoformat(k.created_at)}  last used {isoformat(k.last_used_at) or 'never'}"
                + (f"  REVOKED {isoformat(k.revoked_at)}" if k.revoked_at else "")
                + f"  account {k.account_id}"
                for k in await api_key_service.list_keys(session)
            ]

    migrate.upgrade(get_settings())
    lines = asyncio.run(run())
    for line in lines:
        typer.echo(line)
    if not lines:
        typer.echo(
            "No API keys yet. Make one with `vantio keys create --name NAME` (printed once)."
        )


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="The key's id (key_...)")]) -> None:
    """Revoke an API key: requests with it get 401 from now on."""
    from vantio.api_keys import service as api_key_service
    from vantio.db.session import transaction
    from vantio.errors import NotFound

    async def run() -> None:
        async with command_runtime() as runtime, transaction(runtime.sessionmaker) as session:
            await api_key_service.revoke_key(session, key_id=key_id)

    try:
        asyncio.run(run())
    except NotFound as exc:
        typer.secho(exc.message, fg="red", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"Revoked {key_id}.")


@accounts_app.command("create")
def accounts_create(
    name: Annotated[str, typer.Option(help="The account's name (an organisation)")],
) -> None:
    """Create an account; prints its test-mode key (once) and a link to its dashboard sign-in."""
    from vantio.accounts import service as account_service
    from vantio.api_keys import service as api_key_service
    from vantio.dashboard import service as dashboard_service
    from vantio.db.session import transaction

    settings = get_settings()

    async def run() -> tuple[str, str, str]:
        async with command_runtime() as runtime, transaction(runtime.sessionmaker) as session:
            account = await account_service.create_account(session, name=name)
            created = await api_key_service.create_key(
                session, account_id=account.id, name="First test key", livemode=False
            )
            token = await dashboard_service.create_setup_link(session, account_id=account.id)
            return account.id, created.secret, token

    migrate.upgrade(settings)
    account_id, secret, token = asyncio.run(run())
    typer.secho(f"Created account {account_id} ({name}).", fg="green")
    typer.echo("Its test-mode secret key, shown only this once:")
    typer.secho(f"  {secret}", bold=True)
    typer.echo("Its first dashboard sign-in is created here (the link works once, for a day):")
    typer.secho(f"  {settings.public_base_url()}/dashboard/setup?token={token}", bold=True)


@accounts_app.command("list")
def accounts_list() -> None:
    """List the accounts."""
    from vantio.accounts import service as account_service
    from vantio.db.session import transaction
    from vantio.kit.time import isoformat

    async def run() -> list[str]:
        async with command_runtime() as runtime, transaction(runtime.sessionmaker) as session:
            return [
                f"{a.id}  {a.name!r}  created {isoformat(a.created_at)}"
                for a in await account_service.list_accounts(session)
            ]

    migrate.upgrade(get_settings())
    lines = asyncio.run(run())
    for line in lines:
        typer.echo(line)
    if not lines:
        typer.echo(
            "No accounts yet: `vantio serve` makes the first, `vantio accounts create` more."
        )


@app.command()
def demo(weeks: Annotated[int, typer.Option(help="Weeks of activity to generate")] = 6) -> None:
    """Fill the database with a realistic program (test mode) to explore."""
    from vantio.cli.demo import fill

    async def run() -> dict[str, int]:
        async with command_runtime() as runtime:
            return await fill(runtime.sessionmaker, weeks=weeks)

    started = asyncio.run(start(get_settings(), account=True))
    counts = asyncio.run(run())
    typer.echo(
        "Demo program created (test mode): " + ", ".join(f"{v} {k}" for k, v in counts.items())
    )
    tell_keys(started)


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
    key_copy = path.with_name(path.name + ".key")
    if key_copy.exists():
        typer.echo(f"The key that opens its secrets is in {key_copy}: keep the two together.")
    else:
        typer.echo("Its secrets are sealed with VANTIO_SECRET_KEY: keep that key with the backup.")


@app.command()
def openapi() -> None:
    """Print the OpenAPI document."""
    import tempfile

    from pydantic import SecretStr

    from vantio.app import create_app
    from vantio.kit.sealing import Keyring

    # The document needs no data: a scratch database and a throwaway key, so that printing it
    # leaves no database file and no key file where it runs.
    with tempfile.TemporaryDirectory() as scratch:
        settings = get_settings().model_copy(
            update={
                "database_url": f"sqlite+aiosqlite:///{Path(scratch) / 'openapi.db'}",
                "secret_key": SecretStr(Keyring.generate().dump()),
            }
        )
        typer.echo(json.dumps(create_app(settings).openapi(), indent=2))


if __name__ == "__main__":
    app()
