"""Vouchers: list, create every type, see a voucher's applications and roll one back."""

import json
from typing import Any

from fastapi import APIRouter
from pydantic import ValidationError
from starlette.responses import Response

from vantio.dashboard import actions, forms
from vantio.dashboard.common import all_programs, page_of, parse_day, query
from vantio.dashboard.web import PREFIX, Context, Ctx, DashboardRoute, redirect, render
from vantio.errors import VantioError
from vantio.kit.money import is_currency, to_major
from vantio.vouchers import redemption
from vantio.vouchers import service as voucher_service
from vantio.vouchers.schemas import VoucherCreate, VoucherUpdate

router = APIRouter(prefix=PREFIX, route_class=DashboardRoute)

TYPES = (
    ("percentage", "Percentage off"),
    ("fixed", "Fixed amount off"),
    ("free_shipping", "Free shipping"),
    ("bogo", "Buy X, get Y"),
    ("tiered", "Tiered by order value"),
    ("conditional", "Conditional (rules)"),
    ("stackable", "Stackable"),
)
STATUSES = ("active", "inactive", "expired")
FORM_FIELDS = (
    "code", "type", "value", "currency", "program_id", "min_order_value", "max_uses",
    "customer_limit", "valid_from", "valid_until", "max_discount_amount", "config",
)  # fmt: skip
FIELDS = {
    "conditions.min_order_value": "min_order_value",
    "conditions.max_uses": "max_uses",
    "conditions.customer_limit": "customer_limit",
    "conditions.valid_from": "valid_from",
    "conditions.valid_until": "valid_until",
    "conditions.max_discount_amount": "max_discount_amount",
    "config*": "config",
    "conditions*": "config",
}


def voucher_body(values: dict[str, str]) -> dict[str, Any]:
    """The form as the Voucher API's create body; amounts typed in major units."""
    currency = values["currency"].upper() or None
    money = currency if currency and is_currency(currency) else "USD"
    kind = values["type"]
    conditions: dict[str, Any] = {}
    for name in ("min_order_value", "max_discount_amount"):
        if values[name]:
            conditions[name] = forms.to_minor(values[name], money, name)
    for name in ("max_uses", "customer_limit"):
        if values[name]:
            try:
                conditions[name] = int(values[name])
            except ValueError:
                raise forms.FormInvalid({name: "Enter a whole number."}) from None
    for name, end in (("valid_from", False), ("valid_until", True)):
        day = parse_day(values[name] or None, name)
        if day is not None:
            conditions[name] = f"{day.isoformat()}T{'23:59:59' if end else '00:00:00'}Z"
    value: Any = None
    if values["value"]:
        if kind == "fixed":
            value = forms.to_minor(values["value"], money, "value")
        else:
            try:
                value = float(values["value"])
            except ValueError:
                raise forms.FormInvalid({"value": "Enter a number."}) from None
    config = None
    if values["config"]:
        try:
            config = json.loads(values["config"])
        except ValueError:
            raise forms.FormInvalid(
                {"config": 'Write the settings as JSON, e.g. {"buy_quantity": 2}.'}
            ) from None
    return {
        "code": values["code"],
        "type": kind,
        "value": value,
        "currency": currency,
        "program_id": values["program_id"] or None,
        "conditions": conditions or None,
        "config": config,
    }


@router.get("/vouchers")
async def vouchers(ctx: Ctx) -> Response:
    """Vouchers, filtered by status and type, with their usage."""
    page = page_of(ctx)
    status = query(ctx, "status")
    kind = query(ctx, "type")
    filters = {
        "status": status if status in STATUSES else "",
        "type": kind if kind in dict(TYPES) else "",
    }
    rows, total = await voucher_service.list_vouchers(
        ctx.session,
        ctx.auth,
        status=filters["status"] or None,
        type=filters["type"] or None,
        page=page,
    )
    base = {k: v for k, v in filters.items() if v}

    def link(offset: int) -> str:
        from urllib.parse import urlencode

        return f"{PREFIX}/vouchers?{urlencode({**base, 'offset': offset})}"

    pager = {
        "prev": link(max(0, page.offset - page.limit)) if page.offset else None,
        "next": link(page.offset + page.limit) if page.offset + len(rows) < total else None,
    }
    return render(ctx, "vouchers.html", vouchers=rows, total=total, filters=filters,
                  types=TYPES, statuses=STATUSES, pager=pager)  # fmt: skip


async def _form(ctx: Context, *, status: int = 200, **values: Any) -> Response:
    defaults: dict[str, Any] = {
        "values": {**dict.fromkeys(FORM_FIELDS, ""), "type": "percentage"},
        "errors": {},
    }
    defaults.update(values)
    programs = await all_programs(ctx)
    return render(ctx, "voucher_form.html", status=status, types=TYPES, programs=programs,
                  **defaults)  # fmt: skip


@router.get("/vouchers/new")
async def new_voucher(ctx: Ctx) -> Response:
    """The form for a new voucher of any type."""
    return await _form(ctx)


@router.post("/vouchers/new")
async def create_voucher(ctx: Ctx) -> Response:
    """Create a voucher through the voucher service."""
    values = {name: ctx.field(name) for name in FORM_FIELDS}
    try:
        data = VoucherCreate.model_validate(voucher_body(values))
        async with ctx.session.begin_nested():
            voucher = await voucher_service.create_voucher(ctx.session, ctx.auth, data=data)
    except forms.FormInvalid as exc:
        errors = exc.errors
    except ValidationError as exc:
        errors = forms.from_validation(exc, FIELDS)
    except VantioError as exc:
        errors = forms.from_service(exc, FIELDS)
    else:
        return redirect(f"{PREFIX}/vouchers/{voucher.id}")
    return await _form(ctx, status=400, values=values, errors=errors)


@router.get("/vouchers/{voucher_id}")
async def voucher(ctx: Ctx, voucher_id: str) -> Response:
    """A voucher: its definition, usage and latest applications."""
    found = await voucher_service.get_voucher_or_raise(ctx.session, ctx.auth, voucher_id=voucher_id)
    applications = await voucher_service.usage_history(ctx.session, ctx.auth, voucher_id=found.id)
    return render(
        ctx,
        "voucher.html",
        voucher=found,
        applications=applications,
        money={
            a.id: {
                k: f"{to_major(getattr(a, k), a.currency)} {a.currency}"
                for k in ("order_value", "discount_amount", "final_amount")
            }
            for a in applications
        },
        definition=json.dumps(
            {"value": found.value, "conditions": found.conditions, "config": found.config},
            indent=2,
            default=str,
        ),
        done=query(ctx, "done"),
    )


@router.post("/vouchers/{voucher_id}/status")
async def voucher_status(ctx: Ctx, voucher_id: str) -> Response:
    """Turn a voucher on or off through the voucher service; turning it off asks first."""
    found = await voucher_service.get_voucher_or_raise(ctx.session, ctx.auth, voucher_id=voucher_id)
    status = ctx.field("status")
    back = f"{PREFIX}/vouchers/{found.id}"
    if status == "inactive" and not actions.confirmed(ctx):
        return actions.confirm_page(
            ctx,
            title=f"Deactivate {found.code}?",
            message=f"Customers can no longer use {found.code} from now on. You can activate it "
            "again later.",
            button="Yes, deactivate",
            back=back,
        )

    async def change() -> None:
        data = VoucherUpdate.model_validate({"status": status or None})
        await voucher_service.update_voucher(ctx.session, ctx.auth, voucher_id=found.id, data=data)

    error = await actions.attempt(ctx, change)
    words = "Voucher deactivated." if status == "inactive" else "Voucher activated."
    return actions.done(ctx, back, words, error)


@router.post("/vouchers/{voucher_id}/applications/{application_id}/rollback")
async def rollback_application(ctx: Ctx, voucher_id: str, application_id: str) -> Response:
    """Undo one application: its usage is given back, once."""
    await redemption.rollback(
        ctx.session,
        ctx.auth,
        application_id=application_id,
        reason=ctx.field("reason") or "Rolled back in the dashboard",
    )
    return redirect(f"{PREFIX}/vouchers/{voucher_id}?done=rollback")
