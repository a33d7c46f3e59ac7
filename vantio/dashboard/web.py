"""How every dashboard request runs: the session cookie, CSRF on every POST, one transaction.

A page runs like an API request (vantio/http/runner.py): one database session, committed before the
response is sent. A POST without the form's CSRF token is refused before the page's code runs.
"""

import base64
import json
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, ClassVar
from urllib.parse import quote

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from vantio.auth.context import AuthContext
from vantio.dashboard import service
from vantio.dashboard.models import DashboardSession, Operator
from vantio.db.session import commit
from vantio.errors import NotFound, VantioError
from vantio.http.dependencies import runtime_of
from vantio.http.errors import database_outage, error_of
from vantio.http.routes import DocumentedRoute
from vantio.kit.crypto import constant_time_equal, random_token
from vantio.kit.money import to_major
from vantio.runtime import Runtime

SESSION_COOKIE = "vantio_session"
# The outcome of the last action ("ok" or "error", and the words), shown once on the next page.
FLASH_COOKIE = "vantio_flash"
# Before sign-in there is no session to hold the CSRF token: the form carries a copy of a cookie.
PRE_SESSION_CSRF_COOKIE = "vantio_csrf"
PREFIX = "/dashboard"

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
templates.env.filters["major"] = to_major
templates.env.globals["nav"] = (
    ("/dashboard/", "Overview"),
    ("/dashboard/programs", "Programs"),
    ("/dashboard/ambassadors", "Ambassadors"),
    ("/dashboard/referrals", "Referrals"),
    ("/dashboard/earnings", "Earnings"),
    ("/dashboard/payouts", "Payouts"),
    ("/dashboard/vouchers", "Vouchers"),
    ("/dashboard/webhooks", "Webhooks"),
    ("/dashboard/keys", "API keys"),
)
templates.env.filters["zip"] = lambda left, right: zip(left, right, strict=True)


@dataclass
class Context:
    """What a page works with: the request, its transaction, and who is signed in."""

    request: Request
    session: AsyncSession
    runtime: Runtime
    form: FormData | None
    dsession: DashboardSession | None = None
    operator: Operator | None = None
    pre_session_csrf: str | None = None

    @property
    def signed_in(self) -> DashboardSession:
        if self.dsession is None:
            raise RuntimeError("only pages for signed-in operators reach this")
        return self.dsession

    @property
    def auth(self) -> AuthContext:
        return service.auth_of(self.signed_in)

    @property
    def csrf_token(self) -> str:
        if self.dsession is not None:
            return self.dsession.csrf_token
        return self.pre_session_csrf or ""

    def field(self, name: str) -> str:
        return self.raw(name).strip()

    def raw(self, name: str) -> str:
        """A form value as typed (passwords keep their spaces)."""
        value = self.form.get(name) if self.form is not None else None
        return value if isinstance(value, str) else ""


def is_https(request: Request) -> bool:
    """HTTPS here or at the proxy in front (the first X-Forwarded-Proto value)."""
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or forwarded == "https"


def set_cookie(response: Response, request: Request, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=PREFIX,
        httponly=True,
        samesite="lax",
        secure=is_https(request),
    )


def delete_cookie(response: Response, request: Request, name: str) -> None:
    response.delete_cookie(
        name, path=PREFIX, httponly=True, samesite="lax", secure=is_https(request)
    )


def redirect(path: str, flash: tuple[str, str] | None = None) -> RedirectResponse:
    """After a POST the browser fetches the next page with GET (303); `flash` (kind, words) is
    shown once on that page."""
    response = RedirectResponse(path, status_code=303)
    if flash is not None:
        kind, words = flash
        value = base64.urlsafe_b64encode(json.dumps([kind, words[:1000]]).encode()).decode()
        response.set_cookie(FLASH_COOKIE, value, max_age=300, path=PREFIX, httponly=True,
                            samesite="lax")  # fmt: skip
    return response


def flash_of(request: Request) -> tuple[str, str] | None:
    """The flash message the last action left, if any (its words are escaped when shown)."""
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return None
    try:
        kind, words = json.loads(base64.urlsafe_b64decode(raw.encode()))
    except (ValueError, TypeError):
        return None
    if kind not in ("ok", "error") or not isinstance(words, str):
        return None
    return kind, words


def back_to(ctx: "Context", default: str) -> str:
    """The page an action returns to: the posted `next` (a dashboard path with its filters),
    else `default`."""
    target = ctx.field("next")
    if target.startswith(f"{PREFIX}/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


def here(ctx: "Context") -> str:
    """This page's path with its query string: where its actions send the operator back."""
    query = ctx.request.url.query
    return ctx.request.url.path + (f"?{query}" if query else "")


def render(ctx: Context, template: str, status: int = 200, **values: Any) -> Response:
    flash = flash_of(ctx.request) if ctx.request.method == "GET" else None
    response = templates.TemplateResponse(
        ctx.request,
        template,
        {"ctx": ctx, "errors": {}, "flash": flash, **values},
        status_code=status,
    )
    _page_headers(response)
    if flash is not None:
        delete_cookie(response, ctx.request, FLASH_COOKIE)
    return response


def _page_headers(response: Response) -> None:
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )


def failure_page(request: Request, error: VantioError) -> Response:
    """The page for a request that failed before or outside a page's own errors: the database
    is unreachable (503), or a bug (500, with the request id to quote)."""
    if error.status >= 500:
        title = "Please try again" if error.status == 503 else "Something went wrong"
    else:
        title = "Not possible"
    response = templates.TemplateResponse(
        request,
        "error.html",
        {"ctx": None, "title": title, "message": error.message, "back": None},
        status_code=error.status,
    )
    _page_headers(response)
    response.headers.update(error.headers)
    return response


class DashboardRoute(DocumentedRoute):
    """A page for signed-in operators; others are sent to the sign-in page."""

    public: ClassVar[bool] = False

    def __init__(self, path: str, endpoint: Callable[..., object], **kwargs: Any) -> None:
        kwargs["include_in_schema"] = False
        super().__init__(path, endpoint, **kwargs)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        endpoint = super().get_route_handler()
        public = self.public

        async def handler(request: Request) -> Response:
            return await run_page(request, endpoint, public=public)

        return handler


class PublicRoute(DashboardRoute):
    """A page for people not signed in yet (sign-in, first-start setup)."""

    public = True


async def run_page(
    request: Request,
    endpoint: Callable[[Request], Coroutine[Any, Any, Response]],
    *,
    public: bool,
) -> Response:
    try:
        return await _run_page(request, endpoint, public=public)
    except Exception as exc:
        return failure_page(request, error_of(exc, request))


async def _run_page(
    request: Request,
    endpoint: Callable[[Request], Coroutine[Any, Any, Response]],
    *,
    public: bool,
) -> Response:
    runtime = runtime_of(request)
    form = await request.form() if request.method == "POST" else None
    async with runtime.sessionmaker() as session:
        ctx = Context(request=request, session=session, runtime=runtime, form=form)
        token = request.cookies.get(SESSION_COOKIE)
        found = await service.find_session(session, token=token) if token else None
        if found is not None:
            ctx.dsession, ctx.operator = found
        elif not public:
            await session.rollback()
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return redirect(f"{PREFIX}/signin?next={quote(target, safe='')}")
        new_pre_session_csrf = None
        if ctx.dsession is None:
            ctx.pre_session_csrf = request.cookies.get(PRE_SESSION_CSRF_COOKIE)
            if ctx.pre_session_csrf is None and request.method == "GET":
                ctx.pre_session_csrf = new_pre_session_csrf = random_token(32)
        if form is not None:
            sent = form.get("csrf_token")
            if not (
                isinstance(sent, str)
                and ctx.csrf_token
                and constant_time_equal(sent, ctx.csrf_token)
            ):
                # Rendered before the rollback, which would expire the session row it shows.
                response = render(
                    ctx,
                    "error.html",
                    status=403,
                    title="Form expired",
                    message="This form has expired or did not come from this "
                    "dashboard. Go back, reload the page and try again.",
                )
                await session.rollback()
                return response
        # Who is calling is read in its own short transaction, as the API runner does: the page
        # then starts its own, so a page may do network I/O (a webhook URL's DNS) before writing.
        await session.commit()
        request.state.dashboard = ctx
        try:
            response = await endpoint(request)
        except NotFound as exc:
            response = render(ctx, "error.html", status=404, title="Not found", message=exc.message)
            await session.rollback()
        except VantioError as exc:
            response = render(
                ctx, "error.html", status=exc.status, title="Not possible", message=exc.message
            )
            await session.rollback()
        await commit(session)
        database_outage.recovered()
    if new_pre_session_csrf is not None:
        set_cookie(response, request, PRE_SESSION_CSRF_COOKIE, new_pre_session_csrf, 3600 * 12)
    return response


async def _context(request: Request) -> Context:  # async: no thread pool hop
    ctx: Context = request.state.dashboard
    return ctx


Ctx = Annotated[Context, Depends(_context)]
