"""Ambassadors and their posters: figures, create, edit, QR codes and the printable poster."""

import io
from typing import Any

import segno
from fastapi import APIRouter
from markupsafe import Markup
from pydantic import ValidationError
from starlette.responses import Response

from vantio.analytics import service as analytics
from vantio.dashboard import forms, insight
from vantio.dashboard.common import all_programs, page_of, pager, query
from vantio.dashboard.web import PREFIX, Context, Ctx, DashboardRoute, redirect, render
from vantio.errors import VantioError
from vantio.kit.pagination import Page
from vantio.kit.urls import is_public_url
from vantio.payouts import details as payout_details
from vantio.payouts.schemas import PayoutDetailsIn
from vantio.posters import endpoints as poster_endpoints
from vantio.posters import printing
from vantio.posters import service as poster_service
from vantio.posters.models import Poster
from vantio.posters.schemas import PosterCreate, PosterUpdate
from vantio.programs import service as program_service
from vantio.users import service as user_service
from vantio.users.models import User
from vantio.users.schemas import UserCreate, UserUpdate

router = APIRouter(prefix=PREFIX, route_class=DashboardRoute)

USER_FIELDS = ("program_id", "first_name", "last_name", "email")
POSTER_FIELDS = ("location", "destination_url")
PAYOUT_FIELDS = ("method", "paypal_email", "iban", "bic", "account_holder")


def scan_url(ctx: Context, poster: Poster) -> str:
    return f"{ctx.runtime.settings.public_base_url()}/s/{poster.code}"


def _posted(ctx: Context, names: tuple[str, ...]) -> dict[str, str]:
    return {name: ctx.field(name) for name in names}


@router.get("/ambassadors")
async def ambassadors(ctx: Ctx) -> Response:
    """Ambassadors with their posters, scans, referrals and earnings."""
    page = page_of(ctx)
    programs = await all_programs(ctx)
    program_id, search = query(ctx, "program"), query(ctx, "q")
    rows, has_more = await user_service.list_users(
        ctx.session, ctx.auth, program_id=program_id, search=search, page=page
    )
    figures, poster_counts = await _lifetime_figures(ctx, [u.id for u in rows])
    return render(
        ctx,
        "ambassadors.html",
        users=rows,
        figures=figures,
        poster_counts=poster_counts,
        programs=programs,
        program_names={p.id: p.name for p in programs},
        filters={"program": program_id or "", "q": search or ""},
        pager=pager(ctx, page, has_more),
    )


@router.get("/ambassadors/new")
async def new_ambassador(ctx: Ctx) -> Response:
    """The form for a new ambassador."""
    values = dict.fromkeys(USER_FIELDS, "")
    values["program_id"] = query(ctx, "program") or ""
    return render(
        ctx, "ambassador_form.html", user=None, values=values, programs=await all_programs(ctx)
    )


@router.post("/ambassadors/new")
async def create_ambassador(ctx: Ctx) -> Response:
    """Create an ambassador through the users service."""
    values = _posted(ctx, USER_FIELDS)
    try:
        data = UserCreate.model_validate(values)
        async with ctx.session.begin_nested():
            user = await user_service.create_user(ctx.session, ctx.auth, data=data)
    except ValidationError as exc:
        errors = forms.from_validation(exc)
    except VantioError as exc:
        errors = forms.from_service(exc)
    else:
        return redirect(f"{PREFIX}/ambassadors/{user.id}")
    return render(
        ctx,
        "ambassador_form.html",
        status=400,
        user=None,
        values=values,
        errors=errors,
        programs=await all_programs(ctx),
    )


async def _lifetime_figures(
    ctx: Context, user_ids: list[str]
) -> tuple[dict[str, analytics.AmbassadorFigures], dict[str, int]]:
    """Each ambassador's figures over all time, as GET /api/v1/analytics/leaderboard counts
    them, and their number of posters."""
    rows = await analytics.leaderboard(
        ctx.session,
        ctx.auth,
        program_id=None,
        currency=None,
        period=None,  # all time
        user_ids=user_ids,
    )
    counts = await poster_service.count_by_ambassador(ctx.session, ctx.auth, user_ids=user_ids)
    return {row.user.id: row for row in rows}, counts


async def _ambassador_page(
    ctx: Context, user: User, *, status: int = 200, **values: Any
) -> Response:
    posters, _ = await poster_service.list_posters(
        ctx.session, ctx.auth, program_id=None, student_id=user.id, page=Page(100, 0)
    )
    program = await program_service.get_program_or_raise(
        ctx.session, ctx.auth, program_id=user.program_id
    )
    figures, poster_counts = await _lifetime_figures(ctx, [user.id])
    found = await insight.activity(
        ctx, program_id=program.id, currency=program.currency, student_id=user.id
    )
    payout = payout_details.to_out(
        await payout_details.get_details(ctx.session, ctx.auth, student_id=user.id),
        student_id=user.id,
    )
    defaults: dict[str, Any] = {
        "values": {"first_name": user.first_name, "last_name": user.last_name,
                   "email": user.email},
        "poster_values": dict.fromkeys(POSTER_FIELDS, ""),
        # The IBAN is never shown again: the form asks for it whole to change it.
        "payout_values": {**dict.fromkeys(PAYOUT_FIELDS, ""), "method": payout.method or "paypal",
                          "paypal_email": payout.paypal_email or "", "bic": payout.bic or "",
                          "account_holder": payout.account_holder or ""},
        "errors": {},
        "poster_errors": {},
        "payout_errors": {},
    }  # fmt: skip
    defaults.update(values)
    return render(
        ctx,
        "ambassador.html",
        status=status,
        user=user,
        program=program,
        posters=posters,
        figures=figures[user.id],
        payout=payout,
        poster_count=poster_counts.get(user.id, 0),
        activity_title="Funnel and earnings over time",
        **found.values(),
        **defaults,
    )


@router.get("/ambassadors/{user_id}")
async def ambassador(ctx: Ctx, user_id: str) -> Response:
    """An ambassador's page: their figures, their posters, the edit form."""
    user = await user_service.get_user_or_raise(ctx.session, ctx.auth, user_id=user_id)
    return await _ambassador_page(ctx, user, saved=bool(query(ctx, "saved")))


@router.post("/ambassadors/{user_id}")
async def update_ambassador(ctx: Ctx, user_id: str) -> Response:
    """Save an ambassador's name and email through the users service."""
    user = await user_service.get_user_or_raise(ctx.session, ctx.auth, user_id=user_id)
    values = _posted(ctx, ("first_name", "last_name", "email"))
    try:
        data = UserUpdate.model_validate(values)
        async with ctx.session.begin_nested():
            await user_service.update_user(ctx.session, ctx.auth, user_id=user.id, data=data)
    except ValidationError as exc:
        errors = forms.from_validation(exc)
    except VantioError as exc:
        errors = forms.from_service(exc)
    else:
        return redirect(f"{PREFIX}/ambassadors/{user.id}?saved=1")
    await ctx.session.refresh(user)
    return await _ambassador_page(ctx, user, status=400, values=values, errors=errors)


@router.post("/ambassadors/{user_id}/payout_details")
async def set_payout_details(ctx: Ctx, user_id: str) -> Response:
    """Set how an ambassador is paid (PayPal, or IBAN + BIC + holder) through the payouts service."""
    user = await user_service.get_user_or_raise(ctx.session, ctx.auth, user_id=user_id)
    values = _posted(ctx, PAYOUT_FIELDS)
    method = values["method"]
    chosen = ("paypal_email",) if method == "paypal" else ("iban", "bic", "account_holder")
    try:
        data = PayoutDetailsIn.model_validate(
            {"method": method or None, **{name: values[name] or None for name in chosen}}
        )
        async with ctx.session.begin_nested():
            await payout_details.set_details(ctx.session, ctx.auth, student_id=user.id, data=data)
    except ValidationError as exc:
        errors = forms.from_validation(exc)
    except VantioError as exc:
        errors = forms.from_service(exc)
    else:
        return redirect(f"{PREFIX}/ambassadors/{user.id}?saved=1")
    return await _ambassador_page(ctx, user, status=400, payout_values=values, payout_errors=errors)


@router.post("/ambassadors/{user_id}/posters")
async def create_poster(ctx: Ctx, user_id: str) -> Response:
    """Create a poster for this ambassador through the posters service."""
    user = await user_service.get_user_or_raise(ctx.session, ctx.auth, user_id=user_id)
    values = _posted(ctx, POSTER_FIELDS)
    body = {
        "program_id": user.program_id,
        "student_id": user.id,
        **{k: v or None for k, v in values.items()},
    }
    try:
        data = PosterCreate.model_validate(body)
        async with ctx.session.begin_nested():
            poster = await poster_service.create_poster(ctx.session, ctx.auth, data=data)
    except ValidationError as exc:
        errors = forms.from_validation(exc)
    except VantioError as exc:
        errors = forms.from_service(exc)
    else:
        return redirect(f"{PREFIX}/posters/{poster.id}")
    return await _ambassador_page(ctx, user, status=400, poster_values=values, poster_errors=errors)


def _qr(ctx: Context, poster: Poster) -> Any:
    return segno.make(scan_url(ctx, poster), error="m")


def _svg(ctx: Context, poster: Poster, scale: int = 8) -> Markup:
    buffer = io.BytesIO()
    _qr(ctx, poster).save(
        buffer,
        kind="svg",
        scale=scale,
        border=4,
        xmldecl=False,
        svgns=True,
        title=f"QR code for {scan_url(ctx, poster)}",
    )
    # segno writes the SVG itself; the only text in it, the title, is escaped by segno.
    return Markup(buffer.getvalue().decode())  # noqa: S704


async def _poster_page(
    ctx: Context, poster: Poster, *, status: int = 200, **values: Any
) -> Response:
    user = await user_service.get_user_or_raise(ctx.session, ctx.auth, user_id=poster.student_id)
    program = await program_service.get_program_or_raise(
        ctx.session, ctx.auth, program_id=poster.program_id
    )
    defaults: dict[str, Any] = {
        "values": {"location": poster.location or "",
                   "destination_url": poster.destination_url or ""},
        "errors": {},
    }  # fmt: skip
    defaults.update(values)
    found = await insight.activity(
        ctx, program_id=program.id, currency=program.currency, poster_id=poster.id
    )
    rank = await insight.poster_rank(
        ctx, program_id=program.id, poster_id=poster.id, period=found.period
    )
    return render(
        ctx,
        "poster.html",
        rank=rank,
        **found.values(),
        status=status,
        poster=poster,
        user=user,
        program=program,
        scan_url=scan_url(ctx, poster),
        scan_url_is_public=is_public_url(scan_url(ctx, poster)),
        qr=_svg(ctx, poster, 6),
        **defaults,
    )


@router.get("/posters/{poster_id}")
async def poster(ctx: Ctx, poster_id: str) -> Response:
    """A poster: its QR code, downloads, the printable page and its settings."""
    found = await poster_service.get_poster_or_raise(ctx.session, ctx.auth, poster_id=poster_id)
    return await _poster_page(ctx, found, saved=bool(query(ctx, "saved")))


@router.post("/posters/{poster_id}")
async def update_poster(ctx: Ctx, poster_id: str) -> Response:
    """Save a poster's location and destination through the posters service."""
    found = await poster_service.get_poster_or_raise(ctx.session, ctx.auth, poster_id=poster_id)
    values = _posted(ctx, POSTER_FIELDS)
    try:
        data = PosterUpdate.model_validate({k: v or None for k, v in values.items()})
        async with ctx.session.begin_nested():
            await poster_service.update_poster(ctx.session, ctx.auth, poster_id=found.id, data=data)
    except ValidationError as exc:
        errors = forms.from_validation(exc)
    except VantioError as exc:
        errors = forms.from_service(exc)
    else:
        return redirect(f"{PREFIX}/posters/{found.id}?saved=1")
    await ctx.session.refresh(found)
    return await _poster_page(ctx, found, status=400, values=values, errors=errors)


@router.get("/posters/{poster_id}/qr.{kind}")
async def poster_qr(ctx: Ctx, poster_id: str, kind: str) -> Response:
    """The poster's QR code as a PNG or SVG download."""
    found = await poster_service.get_poster_or_raise(ctx.session, ctx.auth, poster_id=poster_id)
    if kind not in ("png", "svg"):
        return render(
            ctx, "error.html", status=404, title="Not found", message="QR codes come as PNG or SVG."
        )
    buffer = io.BytesIO()
    if kind == "png":
        _qr(ctx, found).save(buffer, kind="png", scale=16, border=4)
    else:
        _qr(ctx, found).save(buffer, kind="svg", scale=16, border=4)
    filename = f"poster-{found.code}-qr.{kind}"
    return Response(
        buffer.getvalue(),
        media_type="image/png" if kind == "png" else "image/svg+xml",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/posters/{poster_id}/print")
async def poster_print(ctx: Ctx, poster_id: str) -> Response:
    """A print-ready A4 page with the QR code, the program's name and the location."""
    found = await poster_service.get_poster_or_raise(ctx.session, ctx.auth, poster_id=poster_id)
    program = await program_service.get_program_or_raise(
        ctx.session, ctx.auth, program_id=found.program_id
    )
    return render(
        ctx,
        "poster_print.html",
        poster=found,
        program=program,
        scan_url=scan_url(ctx, found),
        scan_url_is_public=is_public_url(scan_url(ctx, found)),
        qr=_svg(ctx, found, 12),
    )


@router.get("/posters/{poster_id}/poster.pdf")
async def poster_pdf(ctx: Ctx, poster_id: str) -> Response:
    """The poster as a print-ready PDF (`?paper=a4|letter`), as the API serves it."""
    job = await printing.poster_job(
        ctx.session,
        ctx.auth,
        poster_id=poster_id,
        public_url=ctx.runtime.settings.public_base_url(),
        with_ambassador=query(ctx, "ambassador") != "false",
    )
    return poster_endpoints.pdf_download(job, paper=printing.paper_or_a4(query(ctx, "paper")))
