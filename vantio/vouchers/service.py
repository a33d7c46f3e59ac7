"""Vouchers: create and manage codes; validate, apply and roll back against orders.

Counters are the database's job: an application bumps `usage_count` with one conditional UPDATE
(`usage_count < max_uses`) and the customer's counter row the same way, checked by row count, so
limits hold under any concurrency. Everything a call changes, its events included, is written in
the caller's transaction.
"""

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from vantio.auth.context import AuthContext, owner_of
from vantio.db import repository
from vantio.db.types import is_unique_violation
from vantio.errors import FieldError, VantioError
from vantio.events import service as event_service
from vantio.kit import metadata as metadata_rules
from vantio.kit.ids import new_id
from vantio.kit.pagination import Page
from vantio.kit.time import isoformat, utc_now
from vantio.programs import service as program_service
from vantio.vouchers import definitions, engine
from vantio.vouchers.definitions import Definition
from vantio.vouchers.errors import (
    VALIDATION_ERRORS,
    AlreadyRolledBack,
    ApplicationNotFound,
    DuplicateVoucherCode,
    InvalidVoucherCode,
    VoucherAlreadyApplied,
    VoucherNotFound,
)
from vantio.vouchers.models import (
    Voucher,
    VoucherApplication,
    VoucherCustomerUsage,
    VoucherOrder,
    VoucherRollback,
    VoucherValidation,
)
from vantio.vouchers.schemas import (
    ApplicationOut,
    ApplyRequest,
    Customer,
    Order,
    RollbackOut,
    ValidateRequest,
    VoucherCreate,
    VoucherOut,
    VoucherUpdate,
    number,
)

CODE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{2,99}")
DEFAULT_CURRENCY = "USD"


def normalize_code(code: str) -> str:
    """Codes compare case-insensitively: the normal form is upper case."""
    return code.strip().upper()


def check_code(code: str) -> str:
    if not CODE_PATTERN.fullmatch(code):
        raise InvalidVoucherCode(
            "code: use 3 to 100 letters, digits, '-' or '_', starting with a letter or digit",
            details=[{"field": "code", "message": "invalid voucher code format"}],
        )
    return code


# ---------------------------------------------------------------------------------------------
# Vouchers


def voucher_row(
    auth: AuthContext,
    *,
    code: str,
    definition: Definition,
    metadata: dict[str, Any] | None = None,
    campaign_id: str | None = None,
    program_id: str | None = None,
) -> Voucher:
    """A new voucher for one code of a checked definition (not yet added to the session)."""
    now = utc_now()
    return Voucher(
        id=new_id("v"),
        account_id=auth.account_id,
        livemode=auth.livemode,
        created_at=now,
        updated_at=now,
        code=code,
        code_normalized=normalize_code(code),
        type=definition.type,
        value=definition.value,
        conditions=definition.conditions,
        config=definition.config,
        currency=definition.currency,
        metadata_=metadata or {},
        status="active",
        campaign_id=campaign_id,
        program_id=program_id,
        usage_count=0,
        max_uses=definition.max_uses,
        customer_limit=definition.customer_limit,
        valid_from=definition.valid_from,
        valid_until=definition.valid_until,
    )


def definition_of(data: VoucherCreate) -> Definition:
    """The definition a create request describes, Gen-1 spellings folded in."""
    value = data.value
    conditions = data.conditions.model_dump(exclude_unset=True) if data.conditions else {}
    if data.discount_config is not None:
        if value is None and data.discount_config.percentage is not None:
            value = data.discount_config.percentage
        if data.discount_config.max_discount_amount is not None:
            conditions.setdefault("max_discount_amount", data.discount_config.max_discount_amount)
    if data.max_discount_amount is not None:
        conditions.setdefault("max_discount_amount", data.max_discount_amount)
    return definitions.build(
        type=data.type,
        value=value,
        conditions=conditions,
        config=data.config,
        currency=data.currency,
    )


async def create_voucher(
    session: AsyncSession, auth: AuthContext, *, data: VoucherCreate
) -> Voucher:
    check_code(data.code)
    definition = definition_of(data)
    if data.program_id is not None:
        await program_service.get_program_or_raise(
            session, auth, program_id=data.program_id, field="program_id"
        )
    metadata = dict(data.metadata or {})
    if data.name is not None:
        metadata.setdefault("name", data.name)
    voucher = voucher_row(
        auth,
        code=data.code,
        definition=definition,
        metadata=metadata_rules.check(metadata),
        program_id=data.program_id,
    )
    if await get_voucher_by_code(session, auth, code=data.code) is not None:
        raise _duplicate(data.code)
    session.add(voucher)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        if not is_unique_violation(exc):
            raise
        raise _duplicate(data.code) from None
    await _emit_voucher(session, auth, "voucher.created", voucher)
    return voucher


def _duplicate(code: str) -> DuplicateVoucherCode:
    return DuplicateVoucherCode(
        f"A voucher with the code {code} already exists",
        details={"field": "code", "code": code},
    )


async def get_voucher(
    session: AsyncSession, auth: AuthContext, *, voucher_id: str, for_update: bool = False
) -> Voucher | None:
    return await repository.get(session, Voucher, auth, voucher_id, for_update=for_update)


async def get_voucher_or_raise(
    session: AsyncSession, auth: AuthContext, *, voucher_id: str, for_update: bool = False
) -> Voucher:
    voucher = await get_voucher(session, auth, voucher_id=voucher_id, for_update=for_update)
    if voucher is None:
        raise VoucherNotFound(details={"voucher_id": voucher_id})
    return voucher


async def get_voucher_by_code(
    session: AsyncSession, auth: AuthContext, *, code: str
) -> Voucher | None:
    query = repository.scoped(Voucher, auth).where(Voucher.code_normalized == normalize_code(code))
    return (await session.scalars(query)).first()


async def vouchers_by_code(
    session: AsyncSession, auth: AuthContext, *, codes: Sequence[str]
) -> dict[str, Voucher]:
    """Vouchers keyed by normalized code."""
    query = repository.scoped(Voucher, auth).where(
        Voucher.code_normalized.in_({normalize_code(c) for c in codes})
    )
    return {v.code_normalized: v for v in (await session.scalars(query)).all()}


async def list_vouchers(
    session: AsyncSession,
    auth: AuthContext,
    *,
    status: str | None = None,
    type: str | None = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
    campaign_id: str | None = None,
    page: Page,
) -> tuple[Sequence[Voucher], int]:
    """One page of the account's vouchers (deleted ones left out), newest first, and the total."""
    query = repository.filter_by(
        repository.scoped(Voucher, auth).where(Voucher.deleted_at.is_(None)),
        Voucher,
        status=status,
        type=type,
        campaign_id=campaign_id,
    )
    if created_after is not None:
        query = query.where(Voucher.created_at > created_after)
    if created_before is not None:
        query = query.where(Voucher.created_at < created_before)
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows, _ = await repository.page(session, query, Voucher, page)
    return rows, total


async def usage_history(
    session: AsyncSession, auth: AuthContext, *, voucher_id: str, limit: int = 100
) -> Sequence[VoucherApplication]:
    """The voucher's latest applications, newest first."""
    query = (
        repository.scoped(VoucherApplication, auth)
        .where(VoucherApplication.voucher_id == voucher_id)
        .order_by(VoucherApplication.id.desc())
        .limit(limit)
    )
    return (await session.scalars(query)).all()


async def update_voucher(
    session: AsyncSession, auth: AuthContext, *, voucher_id: str, data: VoucherUpdate
) -> Voucher:
    for immutable in ("code", "type", "created_at"):
        if getattr(data, immutable) is not None:
            raise FieldError(immutable, "cannot be changed after the voucher is created")
    voucher = await _live_voucher(session, auth, voucher_id=voucher_id)
    fields = data.model_fields_set
    value = data.value if "value" in fields else voucher.value
    conditions = voucher.conditions
    if "conditions" in fields and data.conditions is not None:
        conditions = definitions.merge_conditions(voucher.conditions, data.conditions)
    config = voucher.config
    if "config" in fields and data.config is not None:
        config = {**(voucher.config or {}), **data.config}
    definition = definitions.build(
        type=voucher.type,
        value=value,
        conditions=conditions,
        config=config,
        currency=voucher.currency,
    )
    voucher.value = definition.value
    voucher.conditions = definition.conditions
    voucher.config = definition.config
    voucher.max_uses = definition.max_uses
    voucher.customer_limit = definition.customer_limit
    voucher.valid_from = definition.valid_from
    voucher.valid_until = definition.valid_until
    if data.metadata is not None:
        voucher.metadata_ = metadata_rules.merge(voucher.metadata_, data.metadata)
    if data.status is not None:
        voucher.status = data.status
    elif voucher.status == "expired" and (
        voucher.valid_until is None or voucher.valid_until > utc_now()
    ):
        voucher.status = "active"  # its validity was extended
    voucher.updated_at = utc_now()
    await session.flush()
    await _emit_voucher(session, auth, "voucher.updated", voucher)
    return voucher


async def delete_voucher(session: AsyncSession, auth: AuthContext, *, voucher_id: str) -> Voucher:
    """Soft delete: the voucher turns inactive and keeps its history; its code stays taken."""
    voucher = await _live_voucher(session, auth, voucher_id=voucher_id)
    now = utc_now()
    voucher.status = "inactive"
    voucher.deleted_at = now
    voucher.updated_at = now
    await session.flush()
    await event_service.record(
        session,
        auth,
        type="voucher.deleted",
        data={
            "id": voucher.id,
            "voucher_id": voucher.id,
            "code": voucher.code,
            "deleted_at": isoformat(now),
        },
    )
    return voucher


async def _live_voucher(session: AsyncSession, auth: AuthContext, *, voucher_id: str) -> Voucher:
    voucher = await get_voucher_or_raise(session, auth, voucher_id=voucher_id, for_update=True)
    if voucher.deleted_at is not None:
        raise VoucherNotFound(
            "Voucher was deleted",
            details={"voucher_id": voucher_id, "deleted_at": isoformat(voucher.deleted_at)},
        )
    return voucher


async def _emit_voucher(
    session: AsyncSession, auth: AuthContext, type: str, voucher: Voucher
) -> None:
    await event_service.record(session, auth, type=type, data=VoucherOut.of(voucher).wire())


async def expire_due(
    session: AsyncSession, *, now: datetime | None = None, limit: int = 1000
) -> int:
    """Mark active vouchers past `valid_until` expired, each with a `voucher.expired` event.

    Runs across all accounts (the worker's periodic job); returns how many it expired.
    """
    now = now or utc_now()
    due = (
        await session.scalars(
            select(Voucher)
            .where(
                Voucher.status == "active",
                Voucher.deleted_at.is_(None),
                Voucher.valid_until.is_not(None),
                Voucher.valid_until <= now,
            )
            .order_by(Voucher.valid_until)
            .limit(limit)
        )
    ).all()
    expired = 0
    for voucher in due:
        result = await session.execute(
            update(Voucher)
            .where(Voucher.id == voucher.id, Voucher.status == "active")
            .values(status="expired", updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            continue
        expired += 1
        await event_service.record(
            session,
            owner_of(voucher),
            type="voucher.expired",
            data={
                "id": voucher.id,
                "voucher_id": voucher.id,
                "code": voucher.code,
                "expired_at": isoformat(voucher.valid_until),
            },
        )
    return expired


# ---------------------------------------------------------------------------------------------
# Validate


@dataclass
class Validation:
    """The outcome of a validate: a priced stack, or the error that stopped it."""

    codes: list[str]
    multiple: bool
    currency: str
    result: engine.StackResult | None = None
    error: VantioError | None = None

    def body(self) -> dict[str, Any]:
        if self.result is None:
            raise RuntimeError("body() of a failed validation")
        result = self.result
        per_voucher = [_outcome_body(o) for o in result.outcomes]
        if not self.multiple:
            single = per_voucher[0]
            details = dict(single["validation_details"])
            if result.details["stack_count"] > 1:
                details["stacking"] = result.details
            return {
                "is_valid": True,
                "voucher": single["voucher"],
                "discount_amount": single["discount_amount"],
                "final_amount": result.final_amount,
                "currency": self.currency,
                "validation_details": details,
                "applied_to": single["applied_to"],
                "conditions_met": single["conditions_met"],
            }
        merged: dict[str, dict[str, Any]] = {}
        for outcome in result.outcomes:
            for entry in outcome.applied_to:
                item = merged.setdefault(
                    entry["item_id"],
                    {
                        "item_id": entry["item_id"],
                        "original_price": entry["original_price"],
                        "discount_amount": 0,
                        "final_price": entry["original_price"],
                    },
                )
                item["discount_amount"] += entry["discount_amount"]
                item["final_price"] = item["original_price"] - item["discount_amount"]
        conditions: list[str] = []
        for one in per_voucher:
            conditions.extend(c for c in one["conditions_met"] if c not in conditions)
        return {
            "is_valid": True,
            "vouchers": per_voucher,
            "discount_amount": result.discount_amount,
            "final_amount": result.final_amount,
            "currency": self.currency,
            "validation_details": {"stacking": result.details},
            "applied_to": list(merged.values()),
            "conditions_met": conditions,
        }


def _outcome_body(outcome: engine.Outcome) -> dict[str, Any]:
    c = outcome.candidate
    return {
        "voucher": {
            "id": c.voucher_id,
            "code": c.code,
            "type": c.type,
            "value": number(c.definition.value),
        },
        "discount_amount": outcome.discount_amount,
        "validation_details": outcome.validation_details,
        "applied_to": outcome.applied_to,
        "conditions_met": outcome.conditions_met,
    }


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
        candidates = await _candidates(session, auth, vouchers=vouchers, customer=key)
        standing = await _standing(session, auth, order_id=data.order.id, exclude=vouchers)
        validation.result = engine.evaluate(standing + candidates, cart, utc_now())
    except VALIDATION_ERRORS as exc:
        validation.error = exc
    if not data.preview:
        await _record_validation(
            session, auth, data=data, found=found, validation=validation, key=key
        )
    return validation


async def _candidates(
    session: AsyncSession, auth: AuthContext, *, vouchers: list[Voucher], customer: str | None
) -> list[engine.Candidate]:
    usage: dict[str, int] = {}
    if customer is not None:
        rows = await session.execute(
            select(VoucherCustomerUsage.voucher_id, VoucherCustomerUsage.usage_count).where(
                VoucherCustomerUsage.voucher_id.in_([v.id for v in vouchers]),
                VoucherCustomerUsage.customer_key == customer,
            )
        )
        usage = {str(voucher_id): int(count) for voucher_id, count in rows.all()}
    return [
        engine.Candidate(
            voucher_id=v.id,
            code=v.code,
            status=v.status,
            deleted=v.deleted_at is not None,
            definition=_definition(v),
            usage_count=v.usage_count,
            customer_usage=usage.get(v.id, 0) if customer is not None else None,
        )
        for v in vouchers
    ]


def _definition(v: Voucher) -> Definition:
    return Definition(v.type, v.value, v.conditions, v.config, v.currency)


async def _standing(
    session: AsyncSession, auth: AuthContext, *, order_id: str | None, exclude: list[Voucher]
) -> list[engine.Candidate]:
    """The applications already standing on an order, as fixed members of a stack."""
    if order_id is None:
        return []
    rows = (
        await session.execute(
            select(VoucherApplication, Voucher)
            .join(Voucher, Voucher.id == VoucherApplication.voucher_id)
            .where(
                VoucherApplication.account_id == auth.account_id,
                VoucherApplication.livemode == auth.livemode,
                VoucherApplication.order_id == order_id,
                VoucherApplication.status == "applied",
                VoucherApplication.voucher_id.not_in([v.id for v in exclude]),
            )
            .order_by(VoucherApplication.id)
        )
    ).all()
    return [
        engine.Candidate(
            voucher_id=voucher.id,
            code=voucher.code,
            status=voucher.status,
            deleted=False,
            definition=_definition(voucher),
            usage_count=voucher.usage_count,
            applied={
                "discount_amount": application.discount_amount,
                "breakdown": application.breakdown,
            },
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
    now = utc_now()
    discounts: dict[str, int] = {}
    if validation.result is not None:
        discounts = {o.candidate.voucher_id: o.discount_amount for o in validation.result.outcomes}
    context = None
    if data.order.id is not None:
        context = {
            "order": data.order.model_dump(mode="json", exclude_none=True),
            "customer": data.customer.model_dump(mode="json", exclude_none=True)
            if data.customer
            else None,
        }
    is_valid = validation.error is None
    for code in validation.codes:
        voucher = found.get(normalize_code(code))
        session.add(
            VoucherValidation(
                id=new_id("vval"),
                account_id=auth.account_id,
                livemode=auth.livemode,
                created_at=now,
                voucher_id=voucher.id if voucher else None,
                code=code,
                campaign_id=voucher.campaign_id if voucher else None,
                is_valid=is_valid,
                error_code=validation.error.code.upper() if validation.error else None,
                order_id=data.order.id,
                order_value=data.order.value
                if data.order.value is not None
                else sum(i.price * i.quantity for i in data.order.items),
                discount_amount=discounts.get(voucher.id, 0) if voucher else 0,
                currency=validation.currency,
                customer_key=key,
                customer_segment=data.customer.segment if data.customer else None,
                context=context,
            )
        )
        if voucher is not None:
            await event_service.record(
                session,
                auth,
                type="voucher.validated",
                data={
                    "voucher_id": voucher.id,
                    "code": voucher.code,
                    "is_valid": is_valid,
                    "discount_amount": discounts.get(voucher.id, 0),
                    "currency": validation.currency,
                    "order_id": data.order.id,
                    "error_code": validation.error.code.upper() if validation.error else None,
                    "validated_at": isoformat(now),
                },
            )


# ---------------------------------------------------------------------------------------------
# Apply and roll back


def request_hash(order: Order | None, customer: Customer | None) -> str:
    canonical = json.dumps(
        {
            "order": order.model_dump(mode="json", exclude_none=True) if order else None,
            "customer": customer.model_dump(mode="json", exclude_none=True) if customer else None,
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass
class Applied:
    application: VoucherApplication
    created: bool  # False: the stored application of an identical earlier apply


async def apply(session: AsyncSession, auth: AuthContext, *, data: ApplyRequest) -> Applied:
    """Re-validate and redeem: one application per (code, order), usage consumed atomically."""
    voucher = await get_voucher_by_code(session, auth, code=data.code)
    if voucher is None:
        raise VoucherNotFound(f"No voucher with the code {data.code}", details={"code": data.code})
    await _lock_order(session, auth, order_id=data.order_id)
    digest = request_hash(data.order, data.customer)
    standing = await _standing_application(session, voucher_id=voucher.id, order_id=data.order_id)
    if standing is not None:
        return _replay(standing, data, digest)
    order, customer = data.order, data.customer
    if order is None:
        order, remembered = await _remembered_order(
            session, auth, voucher=voucher, order_id=data.order_id
        )
        customer = customer or remembered
    key = customer_key(customer)
    if voucher.customer_limit is not None and key is None:
        raise FieldError(
            "customer", "this voucher has a customer_limit: send customer.id or customer.email"
        )
    cart = cart_of(order, customer, voucher.currency)
    candidates = await _candidates(session, auth, vouchers=[voucher], customer=key)
    others = await _standing(session, auth, order_id=data.order_id, exclude=[voucher])
    result = engine.evaluate(others + candidates, cart, utc_now())
    outcome = result.outcomes[0]
    now = utc_now()
    application = VoucherApplication(
        id=new_id("va"),
        account_id=auth.account_id,
        livemode=auth.livemode,
        created_at=now,
        voucher_id=voucher.id,
        code=voucher.code,
        voucher_type=voucher.type,
        campaign_id=voucher.campaign_id,
        order_id=data.order_id,
        active_order_id=data.order_id,
        customer_id=customer.id if customer else None,
        customer_email=customer.email if customer else None,
        customer_key=key,
        customer_segment=customer.segment if customer else None,
        request_hash=digest,
        order_data=order.model_dump(mode="json", exclude_none=True),
        order_value=cart.value,
        discount_amount=outcome.discount_amount,
        final_amount=result.final_amount,
        currency=cart.currency,
        breakdown=outcome.breakdown(),
        status="applied",
        metadata_=metadata_rules.check(data.metadata),
    )
    try:
        async with session.begin_nested():
            session.add(application)
            # The event first: the counter UPDATE below locks the voucher's row (PostgreSQL)
            # until commit, so everything else is done before it.
            await event_service.record(
                session, auth, type="voucher.applied", data=_application_event(application)
            )
            await session.flush()
            await _consume(session, voucher=voucher, customer=key)
    except IntegrityError as exc:
        if not is_unique_violation(exc):
            raise
        # A concurrent apply of the same code to the same order won the race.
        standing = await _standing_application(
            session, voucher_id=voucher.id, order_id=data.order_id
        )
        if standing is None:
            raise
        return _replay(standing, data, digest)
    return Applied(application, created=True)


async def _lock_order(session: AsyncSession, auth: AuthContext, *, order_id: str) -> None:
    """Hold the order's row until commit: concurrent applies to one order take turns, so each
    sees the applications the previous ones left (stacking rules hold under concurrency)."""
    where = (
        VoucherOrder.account_id == auth.account_id,
        VoucherOrder.livemode == auth.livemode,
        VoucherOrder.order_id == order_id,
    )
    if await session.scalar(select(VoucherOrder.id).where(*where)) is None:
        try:
            async with session.begin_nested():
                session.add(
                    VoucherOrder(
                        id=new_id("vord"),
                        account_id=auth.account_id,
                        livemode=auth.livemode,
                        order_id=order_id,
                        applies=0,
                    )
                )
                await session.flush()
        except IntegrityError as exc:
            if not is_unique_violation(exc):
                raise  # else a concurrent first apply created it: lock that one
    await session.execute(
        update(VoucherOrder)
        .where(*where)
        .values(applies=VoucherOrder.applies + 1)
        .execution_options(synchronize_session=False)
    )


def _replay(standing: VoucherApplication, data: ApplyRequest, digest: str) -> Applied:
    if (data.order is None and data.customer is None) or standing.request_hash == digest:
        return Applied(standing, created=False)
    raise VoucherAlreadyApplied(
        details={
            "order_id": data.order_id,
            "voucher_id": standing.voucher_id,
            "application_id": standing.id,
        }
    )


async def _standing_application(
    session: AsyncSession, *, voucher_id: str, order_id: str
) -> VoucherApplication | None:
    query = select(VoucherApplication).where(
        VoucherApplication.voucher_id == voucher_id,
        VoucherApplication.active_order_id == order_id,
    )
    return (await session.scalars(query.execution_options(populate_existing=True))).first()


async def _remembered_order(
    session: AsyncSession, auth: AuthContext, *, voucher: Voucher, order_id: str
) -> tuple[Order, Customer | None]:
    """The order (and customer) of the latest recorded validate of this code with this order id."""
    query = (
        repository.scoped(VoucherValidation, auth)
        .where(
            VoucherValidation.voucher_id == voucher.id,
            VoucherValidation.order_id == order_id,
            VoucherValidation.context.is_not(None),
        )
        .order_by(VoucherValidation.id.desc())
        .limit(1)
    )
    validation = (await session.scalars(query)).first()
    if validation is None or not validation.context:
        raise FieldError(
            "order",
            "send the order, or validate this code first with order.id set to this order_id",
        )
    customer = validation.context.get("customer")
    return (
        Order.model_validate(validation.context["order"]),
        Customer.model_validate(customer) if customer else None,
    )


async def _consume(session: AsyncSession, *, voucher: Voucher, customer: str | None) -> None:
    """Count one use, or raise USAGE_LIMIT_EXCEEDED: the WHERE clause is the limit."""
    bumped = await session.execute(
        update(Voucher)
        .where(
            Voucher.id == voucher.id,
            (Voucher.max_uses.is_(None)) | (Voucher.usage_count < Voucher.max_uses),
        )
        .values(usage_count=Voucher.usage_count + 1)
        .execution_options(synchronize_session=False)
    )
    if bumped.rowcount != 1:  # type: ignore[attr-defined]
        used = await session.scalar(select(Voucher.usage_count).where(Voucher.id == voucher.id))
        raise engine.usage_exceeded(voucher.max_uses or 0, used or 0, "total_uses")
    if customer is None:
        return
    await _ensure_customer_counter(session, voucher_id=voucher.id, customer=customer)
    condition: ColumnElement[bool] = (
        VoucherCustomerUsage.usage_count < voucher.customer_limit
        if voucher.customer_limit is not None
        else true()
    )
    bumped = await session.execute(
        update(VoucherCustomerUsage)
        .where(
            VoucherCustomerUsage.voucher_id == voucher.id,
            VoucherCustomerUsage.customer_key == customer,
            condition,
        )
        .values(usage_count=VoucherCustomerUsage.usage_count + 1, updated_at=utc_now())
        .execution_options(synchronize_session=False)
    )
    if bumped.rowcount != 1:  # type: ignore[attr-defined]
        raise engine.usage_exceeded(
            voucher.customer_limit or 0, voucher.customer_limit or 0, "per_customer"
        )


async def _ensure_customer_counter(
    session: AsyncSession, *, voucher_id: str, customer: str
) -> None:
    exists = await session.scalar(
        select(VoucherCustomerUsage.id).where(
            VoucherCustomerUsage.voucher_id == voucher_id,
            VoucherCustomerUsage.customer_key == customer,
        )
    )
    if exists is not None:
        return
    try:
        async with session.begin_nested():
            session.add(
                VoucherCustomerUsage(
                    id=new_id("vcu"), voucher_id=voucher_id, customer_key=customer, usage_count=0
                )
            )
            await session.flush()
    except IntegrityError as exc:
        if not is_unique_violation(exc):
            raise  # a concurrent first use created it: fine


def _application_event(application: VoucherApplication) -> dict[str, Any]:
    data = ApplicationOut.of(application).model_dump(mode="json")
    data["voucher_id"] = application.voucher_id
    data["customer_email"] = application.customer_email
    return data


async def get_application_or_raise(
    session: AsyncSession, auth: AuthContext, *, application_id: str
) -> VoucherApplication:
    application = await repository.get(session, VoucherApplication, auth, application_id)
    if application is None:
        raise ApplicationNotFound(details={"application_id": application_id})
    return application


async def rollback(
    session: AsyncSession, auth: AuthContext, *, application_id: str, reason: str | None = None
) -> VoucherRollback:
    """Undo an application: its usage is given back exactly, once."""
    application = await get_application_or_raise(session, auth, application_id=application_id)
    now = utc_now()
    voided = await session.execute(
        update(VoucherApplication)
        .where(VoucherApplication.id == application.id, VoucherApplication.status == "applied")
        .values(status="rolled_back", active_order_id=None, rolled_back_at=now)
        .execution_options(synchronize_session=False)
    )
    if voided.rowcount != 1:  # type: ignore[attr-defined]
        await session.refresh(application)
        raise AlreadyRolledBack(
            details={
                "application_id": application.id,
                "rolled_back_at": isoformat(application.rolled_back_at),
            }
        )
    await session.execute(
        update(Voucher)
        .where(Voucher.id == application.voucher_id, Voucher.usage_count > 0)
        .values(usage_count=Voucher.usage_count - 1)
        .execution_options(synchronize_session=False)
    )
    if application.customer_key is not None:
        await session.execute(
            update(VoucherCustomerUsage)
            .where(
                VoucherCustomerUsage.voucher_id == application.voucher_id,
                VoucherCustomerUsage.customer_key == application.customer_key,
                VoucherCustomerUsage.usage_count > 0,
            )
            .values(usage_count=VoucherCustomerUsage.usage_count - 1, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    record = VoucherRollback(
        id=new_id("vr"),
        account_id=auth.account_id,
        livemode=auth.livemode,
        created_at=now,
        application_id=application.id,
        voucher_id=application.voucher_id,
        order_id=application.order_id,
        discount_amount=application.discount_amount,
        currency=application.currency,
        reason=reason,
    )
    session.add(record)
    await session.flush()
    await session.refresh(application)
    data = RollbackOut.of(record, application.code).model_dump(mode="json")
    data["voucher_id"] = application.voucher_id
    await event_service.record(session, auth, type="voucher.rollback", data=data)
    return record


async def remove(
    session: AsyncSession, auth: AuthContext, *, code: str, order_id: str, reason: str | None = None
) -> VoucherRollback:
    """The SDK's `remove({code, order_id})`: roll back that code's application on that order."""
    voucher = await get_voucher_by_code(session, auth, code=code)
    if voucher is None:
        raise VoucherNotFound(f"No voucher with the code {code}", details={"code": code})
    latest = (
        await session.scalars(
            repository.scoped(VoucherApplication, auth)
            .where(
                VoucherApplication.voucher_id == voucher.id, VoucherApplication.order_id == order_id
            )
            .order_by(VoucherApplication.id.desc())
            .limit(1)
        )
    ).first()
    if latest is None:
        raise ApplicationNotFound(
            f"The code {code} is not applied to order {order_id}",
            details={"code": code, "order_id": order_id},
        )
    return await rollback(session, auth, application_id=latest.id, reason=reason)


async def rollback_out(
    session: AsyncSession, auth: AuthContext, record: VoucherRollback
) -> RollbackOut:
    application = await get_application_or_raise(
        session, auth, application_id=record.application_id
    )
    return RollbackOut.of(record, application.code)
