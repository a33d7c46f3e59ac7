"""Vouchers: list, create every type, see a voucher's applications and roll one back."""

import json
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter
from pydantic import ValidationError
from starlette.responses import Response

from vantio.dashboard import actions, forms, voucher_words
from vantio.dashboard.common import all_programs, page_of, parse_day, query
from vantio.dashboard.web import PREFIX, Context, Ctx, DashboardRoute, redirect, render
from vantio.errors import VantioError
from vantio.flows import referral_loop
from vantio.kit.money import is_currency, to_major
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
    *voucher_words.GUIDED_FIELDS,
)  # fmt: skip
EDIT_FIELDS = (
    "value", "min_order_value", "max_discount_amount", "max_uses", "customer_limit",
    "valid_from", "valid_until", "status", *voucher_words.GUIDED_FIELDS,
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


def conditions_of(values: dict[str, str], money: str, *, removals: bool) -> dict[str, Any]:
    """The conditions typed in the form (amounts in major units, converted exactly); with
    `removals`, an emptied field is sent as null, which removes it (PUT)."""
    conditions: dict[str, Any] = {}
    if removals:
        conditions = dict.fromkeys(
            ("min_order_value", "max_discount_amount", "max_uses", "customer_limit",
             "valid_from", "valid_until"),
        )  # fmt: skip
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
    return conditions


def value_of(kind: str, raw: str, money: str) -> Any:
    if not raw:
        return None
    if kind == "fixed":
        return forms.to_minor(raw, money, "value")
    try:
        return float(Decimal(raw.replace(",", "").strip()))
    except InvalidOperation:
        raise forms.FormInvalid({"value": "Enter a number."}) from None


def voucher_body(values: dict[str, str]) -> dict[str, Any]:
    """The form as the Voucher API's create body; amounts typed in major units."""
    currency = values["currency"].upper() or None
    money = currency if currency and is_currency(currency) else "USD"
    kind = values["type"]
    conditions = conditions_of(values, money, removals=False)
    value = value_of(kind, values["value"], money)
    config = None if values["config"] else voucher_words.config_of(kind, values, money)
    if values["config"]:  # the advanced view: the config as JSON
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
    return await _voucher_page(ctx, found)


def edit_values(voucher: Any) -> dict[str, str]:
    """The edit form's fields from the voucher (amounts in major units)."""
    money = voucher.currency if voucher.currency and is_currency(voucher.currency) else "USD"
    conditions: dict[str, Any] = voucher.conditions or {}

    def amount(name: str) -> str:
        return to_major(conditions[name], money) if conditions.get(name) is not None else ""

    def day(at: Any) -> str:
        return at.strftime("%Y-%m-%d") if at else ""

    value = ""
    if voucher.value is not None:
        value = (
            to_major(int(voucher.value), money) if voucher.type == "fixed" else f"{voucher.value:g}"
        )
    return {
        "value": value,
        "min_order_value": amount("min_order_value"),
        "max_discount_amount": amount("max_discount_amount"),
        "max_uses": str(voucher.max_uses or ""),
        "customer_limit": str(voucher.customer_limit or ""),
        "valid_from": day(voucher.valid_from),
        "valid_until": day(voucher.valid_until),
        "status": voucher.status if voucher.status in ("active", "inactive") else "",
        **voucher_words.guided_values(voucher),
    }


async def _voucher_page(ctx: Context, found: Any, *, status: int = 200, **values: Any) -> Response:
    applications = await voucher_service.usage_history(ctx.session, ctx.auth, voucher_id=found.id)
    defaults: dict[str, Any] = {"values": edit_values(found), "errors": {}}
    defaults.update(values)
    return render(
        ctx,
        "voucher.html",
        status=status,
        voucher=found,
        words=voucher_words.sentence(found),
        statuses=[("active", "Active"), ("inactive", "Inactive")],
        **defaults,
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


@router.post("/vouchers/{voucher_id}/edit")
async def edit_voucher(ctx: Ctx, voucher_id: str) -> Response:
    """Change a voucher's value, conditions, limits, validity, settings and status through the
    voucher service (the JSON stays the advanced view)."""
    found = await voucher_service.get_voucher_or_raise(ctx.session, ctx.auth, voucher_id=voucher_id)
    values = {name: ctx.field(name) for name in EDIT_FIELDS}
    money = found.currency if found.currency and is_currency(found.currency) else "USD"
    try:
        body: dict[str, Any] = {
            "conditions": conditions_of(values, money, removals=True),
        }
        if found.type in ("percentage", "fixed"):
            body["value"] = value_of(found.type, values["value"], money)
        config = voucher_words.config_of(found.type, values, money)
        if config:
            body["config"] = config
        if values["status"] in ("active", "inactive"):
            body["status"] = values["status"]
        data = VoucherUpdate.model_validate(body)
        async with ctx.session.begin_nested():
            await voucher_service.update_voucher(
                ctx.session, ctx.auth, voucher_id=found.id, data=data
            )
    except forms.FormInvalid as exc:
        errors = exc.errors
    except ValidationError as exc:
        errors = forms.from_validation(exc, FIELDS)
    except VantioError as exc:
        if exc.status == 404:
            raise
        errors = forms.from_service(exc, FIELDS)
    else:
        return redirect(f"{PREFIX}/vouchers/{found.id}", flash=("ok", "Voucher saved."))
    await ctx.session.refresh(found)
    return await _voucher_page(ctx, found, status=400, values=values, errors=errors)


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
    """Undo one application: its usage is given back, once, and its commission reversed."""
    await referral_loop.rollback(
        ctx.session,
        ctx.auth,
        application_id=application_id,
        reason=ctx.field("reason") or "Rolled back in the dashboard",
    )
    return redirect(f"{PREFIX}/vouchers/{voucher_id}?done=rollback")
