"""Programs and their commission rules."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.concurrency import run_in_threadpool

from vantio.auth.context import AuthContext
from vantio.db import repository
from vantio.errors import NotFound, ReferenceNotFound
from vantio.kit import metadata as metadata_rules
from vantio.kit.ids import new_id
from vantio.kit.money import percent_of
from vantio.kit.pagination import Page
from vantio.programs import logos
from vantio.programs.models import Program
from vantio.programs.schemas import ProgramCreate, ProgramUpdate


async def create_program(
    session: AsyncSession, auth: AuthContext, *, data: ProgramCreate
) -> Program:
    """Create a program. Its `referee_voucher_id` is checked by `vantio.flows.programs`, which
    callers go through (programs know no voucher)."""
    program = Program(
        id=new_id("prog"),
        account_id=auth.account_id,
        livemode=auth.livemode,
        name=data.name,
        description=data.description,
        landing_url=data.landing_url,
        currency=data.currency,
        commission=data.commission.model_dump(exclude_defaults=True),
        payout_schedule=data.payout_schedule,
        minimum_payout=data.minimum_payout,
        attribution_window_days=data.attribution_window_days,
        referee_voucher_id=data.referee_voucher_id,
        headline=data.headline,
        incentive=data.incentive,
        brand_color=data.brand_color,
        hold_days=data.hold_days,
        commission_months=data.commission_months,
        commission_cap=data.commission_cap.model_dump() if data.commission_cap else None,
        payout_sender=data.payout_sender.model_dump() if data.payout_sender else None,
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
        if field:  # named in a request's body
            raise ReferenceNotFound(field, "program", program_id)
        raise NotFound(f"No program with id {program_id}")
    return program


async def list_programs(
    session: AsyncSession, auth: AuthContext, *, page: Page
) -> tuple[Sequence[Program], bool]:
    return await repository.page(session, repository.scoped(Program, auth), Program, page)


async def update_program(
    session: AsyncSession, auth: AuthContext, *, program_id: str, data: ProgramUpdate
) -> Program:
    """Update a program; its new `referee_voucher_id` is checked by `vantio.flows.programs`."""
    program = await get_program_or_raise(session, auth, program_id=program_id)
    changes = data.model_dump(exclude_unset=True, exclude={"metadata", "commission"})
    for name, value in changes.items():
        if value is None and name not in data.clearable:
            continue
        setattr(program, name, value)
    if data.commission is not None:
        program.commission = data.commission.model_dump(exclude_defaults=True)
    if data.metadata is not None:
        program.metadata_ = metadata_rules.merge(program.metadata_, data.metadata)
    await session.flush()
    return program


@dataclass(frozen=True)
class Logo:
    content: bytes
    media_type: str


async def set_logo(
    session: AsyncSession, auth: AuthContext, *, program_id: str, content: bytes
) -> Program:
    """Replace the program's logo with a checked PNG or JPEG (see `logos.prepare_logo`)."""
    program = await get_program_or_raise(session, auth, program_id=program_id)
    # Decoding a large image takes a moment of CPU: not on the event loop.
    logo = await run_in_threadpool(logos.prepare_logo, content)
    program.logo, program.logo_media_type = logo.content, logo.media_type
    await session.flush()
    return program


async def remove_logo(session: AsyncSession, auth: AuthContext, *, program_id: str) -> Program:
    """Remove the program's logo; removing none is not an error (the outcome is the same)."""
    program = await get_program_or_raise(session, auth, program_id=program_id)
    program.logo_media_type = None
    program.logo = None
    await session.flush()
    return program


async def get_logo(session: AsyncSession, auth: AuthContext, *, program: Program) -> Logo | None:
    """The program's logo, read on its own: program rows never carry it (see the model)."""
    if program.logo_media_type is None:
        return None
    query = repository.scoped(Program, auth).where(Program.id == program.id)
    content = (await session.scalars(query.with_only_columns(Program.logo))).first()
    return Logo(content, program.logo_media_type) if content else None


async def get_program_by_referee_voucher(
    session: AsyncSession, auth: AuthContext, *, voucher_id: str
) -> Program | None:
    """The program that hands this voucher to the customers its scans refer (oldest first)."""
    parameters = repository.owner_parameters(auth, voucher_id=voucher_id)
    return (await session.scalars(_BY_REFEREE_VOUCHER, parameters)).first()


# Built once: every voucher apply asks it (see `repository.owned_by_parameters`).
_BY_REFEREE_VOUCHER = (
    select(Program)
    .where(
        repository.owned_by_parameters(Program),
        Program.referee_voucher_id == bindparam("voucher_id"),
    )
    .order_by(Program.id)
    .limit(1)
)


def commission_on(program: Program, *, sale_amount: int, conversions: int) -> tuple[int, str]:
    """The ambassador's commission on a sale, and the rule used (recorded in the earning)."""
    rule: dict[str, Any] = program.commission
    if rule["type"] == "flat":
        return int(rule["amount"]), "flat"
    rate = rule["rate"] if rule["type"] == "percentage" else _tier_rate(rule["tiers"], conversions)
    return percent_of(sale_amount, rate), f"{rate:g}%"


def tiers_per_month(program: Program) -> bool:
    """Whether the program's tiers count the ambassador's conversions of this month only."""
    rule: dict[str, Any] = program.commission
    return rule["type"] == "tiered" and rule.get("period") == "month"


def _tier_rate(tiers: list[dict[str, Any]], conversions: int) -> float:
    reached = [tier for tier in tiers if tier["min_referrals"] <= conversions]
    return float(max(reached, key=lambda tier: tier["min_referrals"])["rate"])
