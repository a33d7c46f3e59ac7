"""Sign-in, first-start setup, sign-out and the test/live switch."""

from urllib.parse import urlsplit

from fastapi import APIRouter
from starlette.responses import Response

from vantio.dashboard import forms, service
from vantio.dashboard.errors import SignInRefused
from vantio.dashboard.service import SESSION_LIFETIME, SignedIn
from vantio.dashboard.web import (
    PRE_SESSION_CSRF_COOKIE,
    PREFIX,
    SESSION_COOKIE,
    Ctx,
    DashboardRoute,
    PublicRoute,
    delete_cookie,
    redirect,
    render,
    set_cookie,
)
from vantio.db.session import commit
from vantio.errors import RateLimited, VantioError

public = APIRouter(prefix=PREFIX, route_class=PublicRoute)
router = APIRouter(prefix=PREFIX, route_class=DashboardRoute)
not_found = APIRouter(prefix=PREFIX, route_class=PublicRoute)


def _safe_next(raw: str) -> str:
    """Only a path of this dashboard: never an open redirect to another site."""
    parts = urlsplit(raw)
    if parts.scheme or parts.netloc or not raw.startswith(PREFIX) or raw.startswith("//"):
        return f"{PREFIX}/"
    return raw


def _signed_in(ctx: Ctx, signed: SignedIn, target: str) -> Response:
    response = redirect(target)
    set_cookie(
        response,
        ctx.request,
        SESSION_COOKIE,
        signed.token,
        int(SESSION_LIFETIME.total_seconds()),
    )
    delete_cookie(response, ctx.request, PRE_SESSION_CSRF_COOKIE)
    return response


@public.get("/signin")
async def signin_page(ctx: Ctx) -> Response:
    """The sign-in form."""
    if ctx.dsession is not None:
        return redirect(f"{PREFIX}/")
    return render(
        ctx,
        "signin.html",
        next=_safe_next(ctx.request.query_params.get("next", "")),
        email="",
        no_operator=not await service.any_operator(ctx.session),
    )


@public.post("/signin")
async def signin(ctx: Ctx) -> Response:
    """Check the email and password, then open a session."""
    email, target = ctx.field("email"), _safe_next(ctx.field("next"))
    host = ctx.request.client.host if ctx.request.client else "unknown"
    try:
        # The attempt is counted (as a failure) and committed before its password is checked,
        # so that parallel attempts cannot all pass the limit; a right password forgives it.
        attempt = await service.begin_sign_in(ctx.session, email=email, ip_address=host)
        await commit(ctx.session)
        signed = await service.finish_sign_in(ctx.session, attempt, password=ctx.raw("password"))
    except RateLimited as exc:
        minutes = max(1, round(exc.retry_after / 60))
        errors = {
            forms.FORM: f"Too many failed sign-ins. Wait {minutes} minute"
            f"{'s' if minutes > 1 else ''} and try again."
        }
        response = render(ctx, "signin.html", status=429, errors=errors, email=email, next=target)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except SignInRefused as exc:
        return render(
            ctx,
            "signin.html",
            status=400,
            errors=forms.from_service(exc),
            email=email,
            next=target,
        )
    return _signed_in(ctx, signed, target)


@public.get("/setup")
async def setup_page(ctx: Ctx) -> Response:
    """The first-start page: whoever holds the printed link creates the first operator."""
    token = ctx.request.query_params.get("token", "")
    setup = await service.find_setup_token(ctx.session, token=token) if token else None
    if setup is None:
        return render(
            ctx,
            "error.html",
            status=404,
            title="Link not valid",
            message="This set-up link was already used or has expired. "
            "Run `vantio admin create --email you@example.com` on the server.",
        )
    return render(ctx, "setup.html", token=token, email="")


@public.post("/setup")
async def setup(ctx: Ctx) -> Response:
    """Create the first operator from a one-time link and sign them in."""
    token, email = ctx.field("token"), ctx.field("email")
    setup = await service.find_setup_token(ctx.session, token=token) if token else None
    if setup is None:
        return render(
            ctx,
            "error.html",
            status=404,
            title="Link not valid",
            message="This set-up link was already used or has expired.",
        )
    errors: forms.Errors = {}
    if ctx.raw("password") != ctx.raw("password_again"):
        errors["password_again"] = "The two passwords are not the same."  # noqa: S105
    else:
        try:
            async with ctx.session.begin_nested():
                signed = await service.use_setup_token(
                    ctx.session, setup=setup, email=email, password=ctx.raw("password")
                )
        except VantioError as exc:
            errors = forms.from_service(exc)
    if errors:
        return render(ctx, "setup.html", status=400, token=token, email=email, errors=errors)
    return _signed_in(ctx, signed, f"{PREFIX}/")


@router.get("/account")
async def account_page(ctx: Ctx) -> Response:
    """The signed-in operator's settings: change the password."""
    saved = ctx.request.query_params.get("saved") == "1"
    return render(ctx, "account.html", saved=saved)


@router.post("/account/password")
async def change_password(ctx: Ctx) -> Response:
    """Change the password: the current one, then the new one twice. Other sessions close."""
    operator = ctx.operator
    if operator is None:  # pragma: no cover - DashboardRoute lets only operators in
        return redirect(f"{PREFIX}/signin")
    errors: forms.Errors = {}
    if ctx.raw("password") != ctx.raw("password_again"):
        errors["password_again"] = "The two passwords are not the same."  # noqa: S105
    else:
        try:
            async with ctx.session.begin_nested():
                await service.change_password(
                    ctx.session,
                    operator=operator,
                    current=ctx.raw("current_password"),
                    new=ctx.raw("password"),
                    keep_session_id=ctx.signed_in.id,
                )
        except VantioError as exc:
            errors = forms.from_service(exc)
    if errors:
        return render(ctx, "account.html", status=400, errors=errors, saved=False)
    return redirect(f"{PREFIX}/account?saved=1")


@router.post("/signout")
async def signout(ctx: Ctx) -> Response:
    """Close this browser's session."""
    await service.close_session(ctx.session, session_id=ctx.signed_in.id)
    response = redirect(f"{PREFIX}/signin")
    delete_cookie(response, ctx.request, SESSION_COOKIE)
    return response


@router.post("/mode")
async def switch_mode(ctx: Ctx) -> Response:
    """Show live or test data."""
    ctx.signed_in.livemode = ctx.field("mode") == "live"
    return redirect(_safe_next(ctx.field("next")))


@not_found.get("/{path:path}")
async def page_not_found(ctx: Ctx, path: str) -> Response:
    """A dashboard page that does not exist, as a page (not the API's JSON)."""
    return render(ctx, "error.html", status=404, title="Page not found",
                  message=f"There is no dashboard page at /dashboard/{path}.")  # fmt: skip
