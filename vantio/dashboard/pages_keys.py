"""API keys of this mode: create (the secret shown once), list with last use, revoke."""

from fastapi import APIRouter
from starlette.responses import Response

from vantio.api_keys import service as api_key_service
from vantio.dashboard import actions, forms
from vantio.dashboard.web import PREFIX, Context, Ctx, DashboardRoute, redirect, render
from vantio.db import repository
from vantio.errors import NotFound

router = APIRouter(prefix=PREFIX, route_class=DashboardRoute)


async def _page(ctx: Context, *, status: int = 200, **values: object) -> Response:
    keys = await api_key_service.list_keys(ctx.session, owner=ctx.auth)
    keys.reverse()  # newest first
    return render(ctx, "keys.html", status=status, keys=keys, **{"name": "", **values})


@router.get("/keys")
async def keys(ctx: Ctx) -> Response:
    """This mode's API keys."""
    return await _page(ctx, revoked=bool(ctx.request.query_params.get("revoked")))


@router.post("/keys")
async def create_key(ctx: Ctx) -> Response:
    """Create an API key; its secret is on this page only, once."""
    name = ctx.field("name")
    errors: forms.Errors = {}
    if not name:
        errors["name"] = "Please give the key a name that says where it is used."
    elif len(name) > 200:
        errors["name"] = "Use at most 200 characters."
    if errors:
        return await _page(ctx, status=400, errors=errors, name=name)
    created = await api_key_service.create_key(
        ctx.session, account_id=ctx.auth.account_id, name=name, livemode=ctx.auth.livemode
    )
    return await _page(ctx, created=created.key, secret=created.secret)


@router.post("/keys/{key_id}/revoke")
async def revoke_key(ctx: Ctx, key_id: str) -> Response:
    """Revoke a key (after asking): requests with it get 401 from now on."""
    back = f"{PREFIX}/keys"
    if not actions.confirmed(ctx):
        keys = [
            key
            for livemode in (ctx.auth.livemode, not ctx.auth.livemode)
            for key in await api_key_service.list_keys(
                ctx.session, owner=repository.Tenant(ctx.auth.account_id, livemode=livemode)
            )
        ]
        key = next((k for k in keys if k.id == key_id), None)
        if key is None:
            raise NotFound("API key not found")
        return actions.confirm_page(
            ctx,
            title=f"Revoke the key “{key.name}”?",
            message=f"Every request made with {key.hint}… is refused from now on. This cannot "
            "be undone: make a new key for whatever still uses it.",
            button="Yes, revoke",
            back=back,
        )
    await api_key_service.revoke_key(ctx.session, key_id=key_id, account_id=ctx.auth.account_id)
    return redirect(back, flash=("ok", "Key revoked."))
