"""Validating codes: check and price one code, or a stack of codes, against an order.

Every validate (unless `preview`) is recorded, with its `voucher.validated` event, in the
caller's transaction: the denominator of the conversion rates.
"""

from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from vantio.auth.context import AuthContext
from vantio.db import bulk, repository
from vantio.errors import VantioError
from vantio.events import service as event_service
from vantio.kit.ids import new_ids
from vantio.kit.time import isoformat, utc_now
from vantio.vouchers import engine
from vantio.vouchers.definitions import Definition
from vantio.vouchers.errors import VALIDATION_ERRORS, VoucherNotFound
from vantio.vouchers.models import (
    Voucher,
    VoucherApplication,
    VoucherCustomerUsage,
    VoucherValidation,
)
from vantio.vouchers.schemas import Customer, Order, ValidateRequest
from vantio.vouchers.service import DEFAULT_CURRENCY, normalize_code, vouchers_by_code
from vantio.webhooks.schemas import EventType

_VALIDATIONS = cast(Table, VoucherValidation.__table__)

# The statements of every validate and apply, built once (see `repository.owned_by_parameters`).
_CUSTOMER_USAGE = select(VoucherCustomerUsage.voucher_id, VoucherCustomerUsage.usage_count).where(
    VoucherCustomerUsage.voucher_id.in_(bindparam("voucher_ids", expanding=True)),
    VoucherCustomerUsage.customer_key == bindparam("customer"),
)
_STANDING_ON = (
    select(VoucherApplication, Voucher)
    .join(Voucher, Voucher.id == VoucherApplication.voucher_id)
    .where(
        repository.owned_by_parameters(VoucherApplication),
        VoucherApplication.order_id == bindparam("order_id"),
        VoucherApplication.status == "applied",
        VoucherApplication.voucher_id.not_in(bindparam("exclude", expanding=True)),
    )
    .order_by(VoucherApplication.id)
)


@dataclass
class Validation:
    """The outcome of a validate: a priced stack, or the error that stopped it."""

    codes: list[str]
    multiple: bool
    currency: str
    result: engine.StackResult | None = None
    error: VantioError | None = None

    def priced(self) -> engine.StackResult:
        """The priced stack of a validation that passed."""
        if self.result is None:
            raise RuntimeError("priced() of a failed validation")
        return self.result


def customer_key(customer: Customer | None) -> str | None:
    if customer is None:
        return None
    if customer.id:
        return f"id:{customer.id}"
    if customer.email:
        return f"email:{customer.email.strip().lower()}"
    return None


def cart_of(order: Order, customer: Customer | None, currency: str | None) -> engine.Cart:
    return engine.Cart.of(
        value=order.value,
        currency=order.currency or currency or DEFAULT_CURRENCY,
        items=[item.model_dump() for item in order.items],
        shipping=order.shipping_amount,
        customer=customer.model_dump(mode="json") if customer else None,
    )


async def validate(
    session: AsyncSession, auth: AuthContext, *, data: ValidateRequest
) -> Validation:
    """Check and price one code or a stack of codes; records the attempt unless `preview`.

    A failure the docs define is returned in `Validation.error` (not raised), so that the attempt
    and its `voucher.validated` event are kept; other errors (bad input) are raised.
    """
    codes = data.code_list
    found = await vouchers_by_code(session, auth, codes=codes)
    currency = data.order.currency or next(
        (v.currency for v in found.values() if v.currency), DEFAULT_CURRENCY
    )
    validation = Validation(codes=codes, multiple=data.codes is not None, currency=currency)
    key = customer_key(data.customer)
    try:
        missing = [c for c in codes if normalize_code(c) not in found]
        if missing:
            raise VoucherNotFound(
                f"No voucher with the code {missing[0]}", details={"code": missing[0]}
            )
        vouchers = [found[normalize_code(c)] for c in codes]
        cart = cart_of(data.order, data.customer, currency)
        candidates = await candidates_of(session, auth, vouchers=vouchers, customer=key)
        standing = await standing_on(session, auth, order_id=data.order.id, exclude=vouchers)
        validation.result = engine.evaluate(standing + candidates, cart, utc_now())
    except VALIDATION_ERRORS as exc:
        validation.error = exc
    if not data.preview:
        await _record_validation(
            session, auth, data=data, found=found, validation=validation, key=key
        )
    return validation


async def candidates_of(
    session: AsyncSession, auth: AuthContext, *, vouchers: list[Voucher], customer: str | None
) -> list[engine.Candidate]:
    usage: dict[str, int] = {}
    if customer is not None:
        parameters = {"voucher_ids": [v.id for v in vouchers], "customer": customer}
        rows = await session.execute(_CUSTOMER_USAGE, parameters)
        usage = {str(voucher_id): int(count) for voucher_id, count in rows.all()}
    return [
        engine.Candidate(
            voucher_id=v.id,
            code=v.code,
            status=v.status,
            deleted=v.deleted_at is not None,
            definition=definition_of(v),
            usage_count=v.usage_count,
            customer_usage=usage.get(v.id, 0) if customer is not None else None,
        )
        for v in vouchers
    ]


def definition_of(v: Voucher) -> Definition:
    return Definition(v.type, v.value, v.conditions, v.config, v.currency)


async def standing_on(
    session: AsyncSession, auth: AuthContext, *, order_id: str | None, exclude: list[Voucher]
) -> list[engine.Candidate]:
    """The applications already standing on an order, as fixed members of a stack."""
    if order_id is None:
        return []
    parameters = repository.owner_parameters(
        auth, order_id=order_id, exclude=[v.id for v in exclude]
    )
    rows = (await session.execute(_STANDING_ON, parameters)).all()
    return [
        engine.Candidate(
            voucher_id=voucher.id,
            code=voucher.code,
            status=voucher.status,
            deleted=False,
            definition=definition_of(voucher),
            usage_count=voucher.usage_count,
            applied=engine.StandingApplication(
                discount_amount=application.discount_amount, breakdown=application.breakdown
            ),
        )
        for application, voucher in rows
    ]


async def _record_validation(
    session: AsyncSession,
    auth: AuthContext,
    *,
    data: ValidateRequest,
    found: dict[str, Voucher],
    validation: Validation,
    key: str | None,
) -> None:
    """One attempt row per code and a `voucher.validated` event per known code: two INSERTs
    through Core (the ORM's unit of work for these write-only rows was a fifth of a validate)."""
    now = utc_now()
    discounts: dict[str, int] = {}
    if validation.result is not None:
        discounts = {o.candidate.voucher_id: o.discount_amount for o in validation.result.outcomes}
    context = None
    if data.order.id is not None or validation.error is None:
        # Kept for an apply that sends only `{code, order_id}` (redemption.validated_order).
        context = {
            "order": data.order.model_dump(mode="json", exclude_none=True),
            "customer": data.customer.model_dump(mode="json", exclude_none=True)
            if data.customer
            else None,
        }
    is_valid = validation.error is None
    error_code = validation.error.code.upper() if validation.error else None
    order_value = (
        data.order.value
        if data.order.value is not None
        else sum(i.price * i.quantity for i in data.order.items)
    )
    segment = data.customer.segment if data.customer else None
    attempts: list[dict[str, Any]] = []
    events: list[event_service.NewEvent] = []
    for code, attempt_id in zip(
        validation.codes, new_ids("vval", len(validation.codes)), strict=True
    ):
        voucher = found.get(normalize_code(code))
        attempts.append(
            {
                "id": attempt_id,
                "account_id": auth.account_id,
                "livemode": auth.livemode,
                "created_at": now,
                "voucher_id": voucher.id if voucher else None,
                "code": code,
                "campaign_id": voucher.campaign_id if voucher else None,
                "is_valid": is_valid,
                "error_code": error_code,
                "order_id": data.order.id,
                "order_value": order_value,
                "discount_amount": discounts.get(voucher.id, 0) if voucher else 0,
                "currency": validation.currency,
                "customer_key": key,
                "customer_segment": segment,
                "context": context,
            }
        )
        if voucher is not None:
            event = {
                "voucher_id": voucher.id,
                "code": voucher.code,
                "is_valid": is_valid,
                "discount_amount": discounts.get(voucher.id, 0),
                "currency": validation.currency,
                "order_id": data.order.id,
                "error_code": error_code,
                "validated_at": isoformat(now),
            }
            events.append(
                event_service.NewEvent(
                    auth.account_id, auth.livemode, EventType.VOUCHER_VALIDATED, event, now
                )
            )
    await session.run_sync(_write_attempts, attempts, events)


def _write_attempts(
    session: Session, attempts: list[dict[str, Any]], events: list[event_service.NewEvent]
) -> None:
    bulk.insert_many(session.connection(), _VALIDATIONS, attempts)
    event_service.write_in_session(session, events)
