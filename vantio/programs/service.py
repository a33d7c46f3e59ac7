"""Programs and their commission rules."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vantio.auth.context import AuthContext
from vantio.db import repository
from vantio.errors import FieldError, NotFound
from vantio.kit import metadata as metadata_rules
from vantio.kit.ids import new_id
from vantio.kit.money import percent_of
from vantio.kit.pagination import Page
from vantio.programs.models import Program
from vantio.programs.schemas import ProgramCreate, ProgramUpdate
from vantio.vouchers.models import Voucher


async def create_program(
    session: AsyncSession, auth: AuthContext, *, data: ProgramCreate
) -> Program:
    if data.referee_voucher_id is not None:
        await _check_referee_voucher(session, auth, voucher_id=data.referee_voucher_id)
    program = Program(
        id=new_id("prog"),
        account_id=auth.account_id,
        livemode=auth.livemode,
        name=data.name,
        description=data.description,
        landing_url=data.landing_url,
        currency=data.currency,
        commission=data.commission.model_dump(),
        payout_schedule=data.payout_schedule,
        minimum_payout=data.minimum_payout,
        attribution_window_days=data.attribution_window_days,
        referee_voucher_id=data.referee_voucher_id,
        metadata_=data.metadata or {},
    )
    session.add(program)
    await session.flush()
    return program


async def get_program(
    session: AsyncSession, auth: AuthContext, *, program_id: str
) -> Program | None:
    return await repository.get(session, Program, auth, program_id)


async def get_program_or_raise(
    session: AsyncSession, auth: AuthContext, *, program_id: str, field: str | None = None
) -> Program:
    program = await get_program(session, auth, program_id=program_id)
    if program is None:
        raise NotFound(
            f"No program with id {program_id}", details={"field": field} if field else None
        )
    return program


async def list_programs(
    session: AsyncSession, auth: AuthContext, *, page: Page
) -> tuple[Sequence[Program], bool]:
    return await repository.page(session, repository.scoped(Program, auth), Program, page)


async def update_program(
    session: AsyncSession, auth: AuthContext, *, program_id: str, data: ProgramUpdate
) -> Program:
    program = await get_program_or_raise(session, auth, program_id=program_id)
    if data.referee_voucher_id is not None:
        await _check_referee_voucher(session, auth, voucher_id=data.referee_voucher_id)
    changes = data.model_dump(exclude_unset=True, exclude={"metadata", "commission"})
    for name, value in changes.items():
        if value is None and name not in ("description", "referee_voucher_id"):
            continue
        setattr(program, name, value)
    if data.commission is not None:
        program.commission = data.commission.model_dump()
    if data.metadata is not None:
        program.metadata_ = metadata_rules.merge(program.metadata_, data.metadata)
    await session.flush()
    return program


async def _check_referee_voucher(
    session: AsyncSession, auth: AuthContext, *, voucher_id: str
) -> None:
    """The referee voucher must be a live voucher of the same account and mode."""
    voucher = await repository.get(session, Voucher, auth, voucher_id)
    if voucher is None:
        raise NotFound(
            f"referee_voucher_id: no voucher with id {voucher_id}",
            details={"field": "referee_voucher_id"},
        )
    if voucher.deleted_at is not None:
        raise FieldError("referee_voucher_id", f"voucher {voucher_id} was deleted")


async def get_program_by_referee_voucher(
    session: AsyncSession, auth: AuthContext, *, voucher_id: str
) -> Program | None:
    """The program that hands this voucher to the customers its scans refer (oldest first)."""
    query = (
        repository.scoped(Program, auth)
        .where(Program.referee_voucher_id == voucher_id)
        .order_by(Program.id)
        .limit(1)
    )
    return (await session.scalars(query)).first()


def commission_on(program: Program, *, sale_amount: int, conversions: int) -> tuple[int, str]:
    """The ambassador's commission on a sale, and the rule used (recorded in the earning)."""
    rule: dict[str, Any] = program.commission
    if rule["type"] == "flat":
        return int(rule["amount"]), "flat"
    rate = rule["rate"] if rule["type"] == "percentage" else _tier_rate(rule["tiers"], conversions)
    return percent_of(sale_amount, rate), f"{rate:g}%"


def _tier_rate(tiers: list[dict[str, Any]], conversions: int) -> float:
    reached = [tier for tier in tiers if tier["min_referrals"] <= conversions]
    return float(max(reached, key=lambda tier: tier["min_referrals"])["rate"])
