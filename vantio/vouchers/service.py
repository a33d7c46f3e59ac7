"""Vouchers: define, read, change and delete codes; expire them when their time is up.

Validation (pricing a code against an order) is `validation`; redeeming it (apply, roll back,
remove) is `redemption`. Everything a call changes, its events included, is written in the
caller's transaction.
"""

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from vantio.auth.context import AuthContext, owner_of
from vantio.db import repository
from vantio.db.types import is_unique_violation
from vantio.errors import FieldError
from vantio.events import service as event_service
from vantio.kit import metadata as metadata_rules
from vantio.kit.ids import new_id
from vantio.kit.pagination import Page
from vantio.kit.time import isoformat, utc_now
from vantio.programs import service as program_service
from vantio.vouchers import definitions
from vantio.vouchers.definitions import Definition
from vantio.vouchers.errors import DuplicateVoucherCode, InvalidVoucherCode, VoucherNotFound
from vantio.vouchers.models import Voucher, VoucherApplication
from vantio.vouchers.schemas import VoucherCreate, VoucherOut, VoucherUpdate
from vantio.webhooks.schemas import EventType

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
    await _emit_voucher(session, auth, EventType.VOUCHER_CREATED, voucher)
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


# Built once: validate and apply look codes up on every request.
_BY_CODES = select(Voucher).where(
    repository.owned_by_parameters(Voucher),
    Voucher.code_normalized.in_(bindparam("codes", expanding=True)),
)


async def get_voucher_by_code(
    session: AsyncSession, auth: AuthContext, *, code: str
) -> Voucher | None:
    return (await vouchers_by_code(session, auth, codes=[code])).get(normalize_code(code))


async def vouchers_by_code(
    session: AsyncSession, auth: AuthContext, *, codes: Sequence[str]
) -> dict[str, Voucher]:
    """Vouchers keyed by normalized code."""
    parameters = repository.owner_parameters(auth, codes=sorted({normalize_code(c) for c in codes}))
    return {v.code_normalized: v for v in (await session.scalars(_BY_CODES, parameters)).all()}


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
    session: AsyncSession,
    auth: AuthContext,
    *,
    voucher_id: str,
    limit: int = 100,
    before_id: str | None = None,
) -> Sequence[VoucherApplication]:
    """The voucher's latest applications, newest first (`before_id`: those older than it, for
    a long read in chunks)."""
    query = (
        repository.scoped(VoucherApplication, auth)
        .where(VoucherApplication.voucher_id == voucher_id)
        .order_by(VoucherApplication.id.desc())
        .limit(limit)
    )
    if before_id is not None:
        query = query.where(VoucherApplication.id < before_id)
    return (await session.scalars(query)).all()


async def update_voucher(
    session: AsyncSession, auth: AuthContext, *, voucher_id: str, data: VoucherUpdate
) -> Voucher:
    for immutable in ("code", "type", "created_at"):
        if getattr(data, immutable) is not None:
            raise FieldError(immutable, "cannot be changed after the voucher is created")
    voucher = await live_voucher(session, auth, voucher_id=voucher_id)
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
    await _emit_voucher(session, auth, EventType.VOUCHER_UPDATED, voucher)
    return voucher


async def delete_voucher(session: AsyncSession, auth: AuthContext, *, voucher_id: str) -> Voucher:
    """Soft delete: the voucher turns inactive and keeps its history; its code stays taken."""
    voucher = await live_voucher(session, auth, voucher_id=voucher_id)
    now = utc_now()
    voucher.status = "inactive"
    voucher.deleted_at = now
    voucher.updated_at = now
    await session.flush()
    await event_service.record(
        session,
        auth,
        type=EventType.VOUCHER_DELETED,
        data={
            "id": voucher.id,
            "voucher_id": voucher.id,
            "code": voucher.code,
            "deleted_at": isoformat(now),
        },
    )
    return voucher


async def live_voucher(session: AsyncSession, auth: AuthContext, *, voucher_id: str) -> Voucher:
    """The voucher, locked for an update; VOUCHER_NOT_FOUND when it is missing or deleted."""
    voucher = await get_voucher_or_raise(session, auth, voucher_id=voucher_id, for_update=True)
    if voucher.deleted_at is not None:
        raise VoucherNotFound(
            "Voucher was deleted",
            details={"voucher_id": voucher_id, "deleted_at": isoformat(voucher.deleted_at)},
        )
    return voucher


async def _emit_voucher(
    session: AsyncSession, auth: AuthContext, type: EventType, voucher: Voucher
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
            type=EventType.VOUCHER_EXPIRED,
            data={
                "id": voucher.id,
                "voucher_id": voucher.id,
                "code": voucher.code,
                "expired_at": isoformat(voucher.valid_until),
            },
        )
    return expired
