"""Campaigns: check one definition and a code pattern, then insert the codes in chunks.

Codes are generated at random from the pattern and written in batches with `bulk.copy_many`
(COPY on PostgreSQL, a tuple executemany elsewhere: the ORM's INSERT cost twice as much); the
unique constraint on the vouchers' normalized code decides collisions. A batch that hits an
existing code (one made earlier, or by a concurrent writer) fails inside its savepoint and is
drawn again, this time leaving out the codes that exist (one query). A campaign of up to
`SYNC_LIMIT` codes is generated within the create request; a larger one by the worker
(`campaigns.generate`), `CHUNK` codes per job, each in its own transaction, so that the request
returns at once and `codes_generated` shows the progress.
"""

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import class_mapper

from vantio.auth.context import AuthContext, owner_of
from vantio.campaigns import codes
from vantio.campaigns.codes import HEADROOM, Pattern
from vantio.campaigns.models import Campaign
from vantio.campaigns.schemas import CampaignCreate
from vantio.db import bulk, repository
from vantio.db.types import is_unique_violation
from vantio.errors import FieldError, NotFound
from vantio.kit import metadata as metadata_rules
from vantio.kit.ids import new_id, new_ids
from vantio.kit.pagination import Page
from vantio.kit.time import utc_now
from vantio.programs import service as program_service
from vantio.vouchers import definitions
from vantio.vouchers import service as voucher_service
from vantio.vouchers.definitions import Definition
from vantio.vouchers.models import Voucher
from vantio.worker import jobs

SYNC_LIMIT = 2_000  # codes generated inside the create request
CHUNK = 10_000  # codes per worker job (one transaction)
INSERT_BATCH = 5_000  # rows per COPY / executemany (one savepoint: a collision redraws it)
GENERATE_JOB = "campaigns.generate"

# Attribute -> column name (`metadata_` is the column `metadata`).
_VOUCHER_COLUMNS = {attr.key: attr.columns[0].name for attr in class_mapper(Voucher).column_attrs}
_VOUCHERS = cast(Table, Voucher.__table__)


class CampaignNotFound(NotFound):
    code = "campaign_not_found"
    message = "Campaign not found"


def pattern_of(data: CampaignCreate) -> Pattern:
    """The checked pattern: every code it makes is a valid voucher code, and there are enough."""
    raw = data.code_pattern
    charset = codes.normalize_charset(raw.charset)
    if len(charset) < 2:
        raise FieldError("code_pattern.charset", "needs at least 2 distinct characters")
    pattern = Pattern(prefix=raw.prefix, suffix=raw.suffix, length=raw.length, charset=charset)
    total = len(pattern.prefix) + pattern.length + len(pattern.suffix)
    if total > 100:
        raise FieldError("code_pattern.length", "prefix + length + suffix may not exceed 100")
    if pattern.prefix and not pattern.prefix[0].isalnum():
        raise FieldError("code_pattern.prefix", "must start with a letter or a digit")
    if pattern.space < HEADROOM * raw.count:
        raise FieldError(
            "code_pattern.length",
            f"{len(charset)} characters ^ length {pattern.length} make {pattern.space} codes, "
            f"too few for count {raw.count} (at least {HEADROOM} times the count is required): "
            "raise length or widen charset",
        )
    return pattern


def _definition(data: CampaignCreate) -> Definition:
    conditions = data.conditions.model_dump(exclude_unset=True) if data.conditions else {}
    if data.max_discount_amount is not None:
        conditions.setdefault("max_discount_amount", data.max_discount_amount)
    return definitions.build(
        type=data.type,
        value=data.value,
        conditions=conditions,
        config=data.config,
        currency=data.currency,
    )


async def create_campaign(
    session: AsyncSession, auth: AuthContext, *, data: CampaignCreate
) -> Campaign:
    pattern = pattern_of(data)
    definition = _definition(data)
    if data.program_id is not None:
        await program_service.get_program_or_raise(
            session, auth, program_id=data.program_id, field="program_id"
        )
    now = utc_now()
    campaign = Campaign(
        id=new_id("camp"),
        account_id=auth.account_id,
        livemode=auth.livemode,
        created_at=now,
        updated_at=now,
        name=data.name,
        description=data.description,
        type=definition.type,
        value=definition.value,
        conditions=definition.conditions,
        config=definition.config,
        currency=definition.currency,
        program_id=data.program_id,
        code_pattern=pattern.wire(),
        codes_requested=data.code_pattern.count,
        codes_generated=0,
        status="generating",
        metadata_=metadata_rules.check(dict(data.metadata or {})),
    )
    session.add(campaign)
    await session.flush()
    if campaign.codes_requested <= SYNC_LIMIT:
        await generate_chunk(session, campaign=campaign, limit=SYNC_LIMIT)
    else:
        await jobs.enqueue(session, name=GENERATE_JOB, payload=job_payload(campaign))
    return campaign


def job_payload(campaign: Campaign) -> dict[str, Any]:
    return {
        "campaign_id": campaign.id,
        "account_id": campaign.account_id,
        "livemode": campaign.livemode,
    }


async def generate_next(session: AsyncSession, *, payload: dict[str, Any]) -> Campaign | None:
    """The worker's step: one chunk of a campaign's codes; re-enqueues itself until done."""
    auth = AuthContext(
        account_id=payload["account_id"], livemode=payload["livemode"], api_key_id=""
    )
    campaign = await repository.get(
        session, Campaign, auth, payload["campaign_id"], for_update=True
    )
    if campaign is None or campaign.status != "generating":
        return campaign
    await generate_chunk(session, campaign=campaign, limit=CHUNK)
    if campaign.status == "generating":
        await jobs.enqueue(session, name=GENERATE_JOB, payload=payload)
    return campaign


async def generate_chunk(session: AsyncSession, *, campaign: Campaign, limit: int) -> int:
    """Insert up to `limit` more of the campaign's codes; marks it completed when all exist."""
    auth = owner_of(campaign)
    pattern = Pattern(**campaign.code_pattern)
    definition = Definition(
        campaign.type, campaign.value, campaign.conditions, campaign.config, campaign.currency
    )
    # One voucher row made the documented way, shared by every code (only the id and the code
    # differ): building an ORM object per code would cost more than inserting it.
    shared = _row(
        voucher_service.voucher_row(
            auth,
            code="TEMPLATE",
            definition=definition,
            campaign_id=campaign.id,
            program_id=campaign.program_id,
        )
    )
    for own in ("id", "code", "code_normalized"):
        del shared[own]
    want = min(limit, campaign.codes_requested - campaign.codes_generated)
    made = 0
    collided = False
    while made < want:
        batch = min(INSERT_BATCH, want - made)
        fresh = await _fresh_codes(
            session, auth, pattern=pattern, count=batch, check_existing=collided
        )
        rows = [
            {"id": voucher_id, "code": code, "code_normalized": normalized}
            for voucher_id, (normalized, code) in zip(
                new_ids("v", len(fresh)), fresh.items(), strict=True
            )
        ]
        try:
            async with session.begin_nested():
                await bulk.copy_many(await session.connection(), _VOUCHERS, rows, shared=shared)
        except IntegrityError as exc:
            if not is_unique_violation(exc):
                raise
            collided = True  # draw this batch again, leaving out the codes that exist
            continue
        collided = False
        made += len(rows)
    campaign.codes_generated += made
    now = utc_now()
    campaign.updated_at = now
    if campaign.codes_generated >= campaign.codes_requested:
        campaign.status = "completed"
        campaign.completed_at = now
    await session.flush()
    return made


def _row(voucher: Voucher) -> dict[str, Any]:
    return {column: getattr(voucher, key) for key, column in _VOUCHER_COLUMNS.items()}


async def _fresh_codes(
    session: AsyncSession,
    auth: AuthContext,
    *,
    pattern: Pattern,
    count: int,
    check_existing: bool,
) -> dict[str, str]:
    """`count` distinct codes of the pattern, by normalized code; with `check_existing`, none that a voucher of the
    account and mode has already (checked only after a collision: with the pattern's headroom
    one is rare, and the unique constraint catches it anyway)."""
    fresh: dict[str, str] = {}
    while len(fresh) < count:
        drawn = {
            normalized: code
            for code in codes.generate(pattern, count - len(fresh))
            if (normalized := voucher_service.normalize_code(code)) not in fresh
        }
        if check_existing:
            taken = await voucher_service.vouchers_by_code(
                session, auth, codes=list(drawn.values())
            )
            drawn = {key: code for key, code in drawn.items() if key not in taken}
        fresh.update(drawn)
    return fresh


async def get_campaign_or_raise(
    session: AsyncSession, auth: AuthContext, *, campaign_id: str
) -> Campaign:
    campaign = await repository.get(session, Campaign, auth, campaign_id)
    if campaign is None:
        raise CampaignNotFound(details={"campaign_id": campaign_id})
    return campaign


async def list_campaigns(
    session: AsyncSession, auth: AuthContext, *, status: str | None, page: Page
) -> tuple[Sequence[Campaign], int]:
    query = repository.filter_by(repository.scoped(Campaign, auth), Campaign, status=status)
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows, _ = await repository.page(session, query, Campaign, page)
    return rows, total
