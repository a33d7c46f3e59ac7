"""Voucher campaigns: many codes from a pattern, generated in the background, with progress."""

from typing import Any

from fastapi import APIRouter
from pydantic import ValidationError
from starlette.responses import Response

from vantio.campaigns import service as campaign_service
from vantio.campaigns.schemas import CampaignCreate
from vantio.dashboard import forms
from vantio.dashboard.common import all_programs, page_of, query
from vantio.dashboard.pages_vouchers import FIELDS as VOUCHER_FIELDS
from vantio.dashboard.pages_vouchers import FORM_FIELDS as VOUCHER_FORM_FIELDS
from vantio.dashboard.pages_vouchers import TYPES, voucher_body
from vantio.dashboard.web import PREFIX, Context, Ctx, DashboardRoute, redirect, render
from vantio.errors import VantioError
from vantio.kit.pagination import Page
from vantio.vouchers import service as voucher_service

router = APIRouter(prefix=PREFIX, route_class=DashboardRoute)

PATTERN_FIELDS = ("prefix", "suffix", "length", "count")
FORM_FIELDS = ("name", *(f for f in VOUCHER_FORM_FIELDS if f != "code"), *PATTERN_FIELDS)
FIELDS = {
    **VOUCHER_FIELDS,
    **{f"code_pattern.{name}": name for name in PATTERN_FIELDS},
    "code_pattern": "count",
}


def _number(values: dict[str, str], name: str) -> int | None:
    if not values[name]:
        return None
    try:
        return int(values[name].replace(",", ""))
    except ValueError:
        raise forms.FormInvalid({name: "Enter a whole number."}) from None


def _body(values: dict[str, str]) -> dict[str, Any]:
    body = voucher_body({**values, "code": ""})
    body.pop("code")
    pattern: dict[str, Any] = {"prefix": values["prefix"], "suffix": values["suffix"]}
    for name in ("length", "count"):
        number = _number(values, name)
        if number is not None:
            pattern[name] = number
    return {**body, "name": values["name"], "code_pattern": pattern}


@router.get("/campaigns")
async def campaigns(ctx: Ctx) -> Response:
    """Campaigns with their generation progress."""
    page = page_of(ctx)
    rows, total = await campaign_service.list_campaigns(
        ctx.session, ctx.auth, status=None, page=page
    )
    return render(ctx, "campaigns.html", campaigns=rows, total=total)


async def _form(ctx: Context, *, status: int = 200, **values: Any) -> Response:
    defaults: dict[str, Any] = {
        "values": {**dict.fromkeys(FORM_FIELDS, ""), "type": "percentage", "length": "8"},
        "errors": {},
    }
    defaults.update(values)
    return render(ctx, "campaign_form.html", status=status, types=TYPES,
                  programs=await all_programs(ctx), **defaults)  # fmt: skip


@router.get("/campaigns/new")
async def new_campaign(ctx: Ctx) -> Response:
    """The form for a new campaign."""
    return await _form(ctx)


@router.post("/campaigns/new")
async def create_campaign(ctx: Ctx) -> Response:
    """Start a campaign through the campaigns service (large ones continue on the worker)."""
    values = {name: ctx.field(name) for name in FORM_FIELDS}
    try:
        data = CampaignCreate.model_validate(_body(values))
        async with ctx.session.begin_nested():
            campaign = await campaign_service.create_campaign(ctx.session, ctx.auth, data=data)
    except forms.FormInvalid as exc:
        errors = exc.errors
    except ValidationError as exc:
        errors = forms.from_validation(exc, FIELDS)
    except VantioError as exc:
        errors = forms.from_service(exc, FIELDS)
    else:
        return redirect(f"{PREFIX}/campaigns/{campaign.id}")
    return await _form(ctx, status=400, values=values, errors=errors)


@router.get("/campaigns/{campaign_id}")
async def campaign(ctx: Ctx, campaign_id: str) -> Response:
    """A campaign's progress (the page reloads itself while codes are generated) and codes."""
    found = await campaign_service.get_campaign_or_raise(
        ctx.session, ctx.auth, campaign_id=campaign_id
    )
    page = page_of(ctx)
    codes, _ = await voucher_service.list_vouchers(
        ctx.session, ctx.auth, campaign_id=found.id, page=Page(page.limit, page.offset)
    )
    return render(ctx, "campaign.html", campaign=found, codes=codes,
                  refresh=found.status == "generating" and not query(ctx, "still"))  # fmt: skip
