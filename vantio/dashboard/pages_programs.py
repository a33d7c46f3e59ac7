"""Programs: list, create and edit every setting."""

from typing import Any

from fastapi import APIRouter
from pydantic import ValidationError
from starlette.responses import Response

from vantio.dashboard import forms, insight
from vantio.dashboard.common import page_of, pager, query
from vantio.dashboard.web import PREFIX, Context, Ctx, DashboardRoute, redirect, render
from vantio.errors import VantioError
from vantio.flows import programs as program_flow
from vantio.kit.money import is_currency, to_major
from vantio.kit.pagination import Page
from vantio.posters import endpoints as poster_endpoints
from vantio.posters import printing
from vantio.programs import service as program_service
from vantio.programs.models import Program
from vantio.programs.schemas import ProgramCreate, ProgramUpdate
from vantio.vouchers import service as voucher_service

router = APIRouter(prefix=PREFIX, route_class=DashboardRoute)

FIELDS = {
    "commission.rate": "commission_rate",
    "commission.amount": "commission_amount",
    "commission.tiers*": "commission_tiers",
    "commission": "commission_tiers",
    "commission_cap.amount": "commission_cap_amount",
    "commission_cap.period": "commission_cap_period",
    "commission_cap": "commission_cap_amount",
}


def values_of(program: Program | None) -> dict[str, str]:
    """The form's fields as text, from a program or the defaults."""
    if program is None:
        return {
            "name": "", "description": "", "landing_url": "", "currency": "USD",
            "commission_type": "percentage", "commission_rate": "10", "commission_amount": "",
            "commission_tiers": "0: 10", "payout_schedule": "manual", "minimum_payout": "0",
            "attribution_window_days": "30", "referee_voucher_id": "",
            "hold_days": "0", "commission_months": "", "commission_cap_amount": "",
            "commission_cap_period": "month",
        }  # fmt: skip
    rule: dict[str, Any] = program.commission
    cap: dict[str, Any] | None = program.commission_cap
    return {
        "name": program.name,
        "description": program.description or "",
        "landing_url": program.landing_url,
        "currency": program.currency,
        "commission_type": rule["type"],
        "commission_rate": f"{rule['rate']:g}" if rule["type"] == "percentage" else "",
        "commission_amount": to_major(rule["amount"], program.currency)
        if rule["type"] == "flat"
        else "",
        "commission_tiers": forms.tiers_text(rule["tiers"]) if rule["type"] == "tiered" else "",
        "payout_schedule": program.payout_schedule,
        "minimum_payout": to_major(program.minimum_payout, program.currency),
        "attribution_window_days": str(program.attribution_window_days),
        "referee_voucher_id": program.referee_voucher_id or "",
        "hold_days": str(program.hold_days),
        "commission_months": ""
        if program.commission_months is None
        else str(program.commission_months),
        "commission_cap_amount": to_major(cap["amount"], program.currency) if cap else "",
        "commission_cap_period": cap["period"] if cap else "month",
    }


def body_of(ctx: Context) -> tuple[dict[str, str], dict[str, Any]]:
    """The posted form as text (to show again) and as the services' JSON body."""
    names = values_of(None).keys()
    values = {name: ctx.field(name) for name in names}
    currency = values["currency"].upper() or "USD"
    values["currency"] = currency
    money_currency = currency if is_currency(currency) else "USD"
    kind = values["commission_type"]
    commission: dict[str, Any] = {"type": kind}
    if kind == "percentage":
        commission["rate"] = values["commission_rate"] or None
    elif kind == "flat":
        raw = values["commission_amount"]
        commission["amount"] = (
            forms.to_minor(raw, money_currency, "commission_amount") if raw else None
        )
    else:
        commission["tiers"] = forms.parse_tiers(values["commission_tiers"])
    body: dict[str, Any] = {
        "name": values["name"],
        "description": values["description"] or None,
        "landing_url": values["landing_url"],
        "currency": currency,
        "commission": commission,
        "payout_schedule": values["payout_schedule"],
        "minimum_payout": forms.to_minor(
            values["minimum_payout"] or "0", money_currency, "minimum_payout"
        ),
        "attribution_window_days": values["attribution_window_days"] or None,
        "referee_voucher_id": values["referee_voucher_id"] or None,
        "hold_days": values["hold_days"] or "0",
        "commission_months": values["commission_months"] or None,  # empty: for the lifetime
        "commission_cap": {
            "amount": forms.to_minor(cap, money_currency, "commission_cap_amount"),
            "period": values["commission_cap_period"],
        }
        if (cap := values["commission_cap_amount"])
        else None,
    }
    return values, body


async def voucher_options(ctx: Context) -> list[tuple[str, str]]:
    """The referee voucher picker: this mode's live vouchers (the newest 100)."""
    rows, _ = await voucher_service.list_vouchers(ctx.session, ctx.auth, page=Page(100, 0))
    return [("", "No voucher"), *((v.id, f"{v.code} ({v.type})") for v in rows)]


@router.get("/programs")
async def programs(ctx: Ctx) -> Response:
    """Every program of this mode."""
    page = page_of(ctx)
    rows, has_more = await program_service.list_programs(ctx.session, ctx.auth, page=page)
    return render(ctx, "programs.html", programs=rows, pager=pager(ctx, page, has_more))


@router.get("/programs/new")
async def new_program(ctx: Ctx) -> Response:
    """The form for a new program."""
    return render(
        ctx,
        "program_form.html",
        program=None,
        values=values_of(None),
        vouchers=await voucher_options(ctx),
    )


@router.post("/programs/new")
async def create_program(ctx: Ctx) -> Response:
    """Create a program through the programs service."""
    values: dict[str, str] = {}
    try:
        values, body = body_of(ctx)
        data = ProgramCreate.model_validate(body)
        async with ctx.session.begin_nested():
            program = await program_flow.create_program(ctx.session, ctx.auth, data=data)
    except forms.FormInvalid as exc:
        errors = exc.errors
    except ValidationError as exc:
        errors = forms.from_validation(exc, FIELDS)
    except VantioError as exc:
        errors = forms.from_service(exc, FIELDS)
    else:
        return redirect(f"{PREFIX}/programs/{program.id}?saved=1")
    values = values or {name: ctx.field(name) for name in values_of(None)}
    return render(
        ctx,
        "program_form.html",
        status=400,
        program=None,
        values=values,
        errors=errors,
        vouchers=await voucher_options(ctx),
    )


@router.get("/programs/{program_id}")
async def edit_program(ctx: Ctx, program_id: str) -> Response:
    """A program's settings, ready to edit."""
    program = await program_service.get_program_or_raise(
        ctx.session, ctx.auth, program_id=program_id
    )
    return await _program_page(
        ctx, program, values=values_of(program), saved=bool(query(ctx, "saved"))
    )


async def _program_page(
    ctx: Context, program: Program, *, status: int = 200, **values: Any
) -> Response:
    """A program's results over the chosen range, its top posters and ambassadors, and its
    settings as a form beside them."""
    found = await insight.activity(ctx, program_id=program.id, currency=program.currency)
    top_ambassadors, top_posters = await insight.top_lists(
        ctx, program_id=program.id, currency=program.currency, period=found.period
    )
    return render(
        ctx,
        "program_form.html",
        status=status,
        program=program,
        vouchers=await voucher_options(ctx),
        top_ambassadors=top_ambassadors,
        top_posters=top_posters,
        activity_title="Results",
        **found.values(),
        **values,
    )


@router.post("/programs/{program_id}")
async def update_program(ctx: Ctx, program_id: str) -> Response:
    """Save a program's settings through the programs service."""
    program = await program_service.get_program_or_raise(
        ctx.session, ctx.auth, program_id=program_id
    )
    values: dict[str, str] = {}
    try:
        values, body = body_of(ctx)
        data = ProgramUpdate.model_validate(body)
        async with ctx.session.begin_nested():
            await program_flow.update_program(
                ctx.session, ctx.auth, program_id=program.id, data=data
            )
    except forms.FormInvalid as exc:
        errors = exc.errors
    except ValidationError as exc:
        errors = forms.from_validation(exc, FIELDS)
    except VantioError as exc:
        errors = forms.from_service(exc, FIELDS)
    else:
        return redirect(f"{PREFIX}/programs/{program.id}?saved=1")
    await ctx.session.refresh(program)  # a rolled-back savepoint expires what it touched
    values = values or {name: ctx.field(name) for name in values_of(None)}
    return await _program_page(ctx, program, status=400, values=values, errors=errors)


@router.get("/programs/{program_id}/posters.pdf")
async def program_posters_pdf(ctx: Ctx, program_id: str) -> Response:
    """All the program's posters in one print-ready PDF, a page each."""
    job = await printing.program_job(
        ctx.session,
        ctx.auth,
        program_id=program_id,
        public_url=ctx.runtime.settings.public_base_url(),
        with_ambassador=query(ctx, "ambassador") != "false",
    )
    return poster_endpoints.pdf_download(job, paper=printing.paper_or_a4(query(ctx, "paper")))
