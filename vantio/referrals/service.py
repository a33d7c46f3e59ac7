"""Referrals: attribution, one per email per program, and the status workflow."""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from vantio.auth.context import AuthContext
from vantio.db import repository
from vantio.db.types import is_unique_violation
from vantio.errors import FieldError, NotFound, ReferenceNotFound
from vantio.events import service as event_service
from vantio.impressions import service as impression_service
from vantio.kit import metadata as metadata_rules
from vantio.kit.ids import new_id
from vantio.kit.pagination import Page
from vantio.kit.time import utc_now
from vantio.kit.workflow import Workflow
from vantio.programs import service as program_service
from vantio.referrals import rollups
from vantio.referrals.errors import (
    AttributionWindowExpired,
    DuplicateReferral,
    SelfReferral,
)
from vantio.referrals.models import Referral
from vantio.referrals.schemas import ReferralCreate, ReferralOut, ReferralStatus, ReferralUpdate
from vantio.users import service as user_service
from vantio.webhooks.schemas import EventType

WORKFLOW = Workflow(
    "referral",
    {
        ReferralStatus.PENDING: {ReferralStatus.CONVERTED, ReferralStatus.REJECTED},
        ReferralStatus.CONVERTED: {ReferralStatus.VERIFIED, ReferralStatus.REJECTED},
        ReferralStatus.VERIFIED: {ReferralStatus.REJECTED},
        ReferralStatus.REJECTED: set(),
    },
)
CONVERTED_STATUSES = (ReferralStatus.CONVERTED, ReferralStatus.VERIFIED)


async def create_referral(
    session: AsyncSession, auth: AuthContext, *, data: ReferralCreate
) -> Referral:
    impression = await impression_service.get_impression(
        session, auth, impression_id=data.impression_id
    )
    if impression is None:
        raise ReferenceNotFound("impression_id", "impression", data.impression_id)
    program = await program_service.get_program_or_raise(
        session, auth, program_id=impression.program_id
    )
    window = timedelta(days=program.attribution_window_days)
    if utc_now() - impression.scanned_at > window:
        raise AttributionWindowExpired(
            f"impression_id: the impression is older than the program's {program.attribution_window_days}-day attribution window",
            details={
                "field": "impression_id",
                "scanned_at": impression.scanned_at.isoformat(),
                "attribution_window_days": program.attribution_window_days,
            },
        )
    await _ensure_not_self(session, auth, student_id=impression.student_id, email=data.email)
    await _ensure_email_free(session, auth, program_id=program.id, email=data.email)
    referral = Referral(
        id=new_id("ref"),
        account_id=auth.account_id,
        livemode=auth.livemode,
        impression_id=impression.id,
        program_id=impression.program_id,
        student_id=impression.student_id,
        first_name=data.first_name,
        last_name=data.last_name,
        email=data.email,
        email_normalized=data.email.lower(),
        profile_picture=data.profile_picture,
        status=ReferralStatus.PENDING,
        metadata_=data.metadata or {},
    )
    session.add(referral)
    await _flush_unique_email(session, auth, program_id=program.id, email=data.email)
    await rollups.count(session, referral, poster_id=impression.poster_id, previous=None)
    await _emit(session, auth, EventType.REFERRAL_CREATED, referral)
    return referral


async def get_referral(
    session: AsyncSession, auth: AuthContext, *, referral_id: str, for_update: bool = False
) -> Referral | None:
    return await repository.get(session, Referral, auth, referral_id, for_update=for_update)


async def get_referral_or_raise(
    session: AsyncSession, auth: AuthContext, *, referral_id: str, for_update: bool = False
) -> Referral:
    referral = await get_referral(session, auth, referral_id=referral_id, for_update=for_update)
    if referral is None:
        raise NotFound(f"No referral with id {referral_id}")
    return referral


async def list_referrals(
    session: AsyncSession,
    auth: AuthContext,
    *,
    program_id: str | None,
    student_id: str | None,
    status: str | None,
    page: Page,
    created_since: datetime | None = None,
    created_before: datetime | None = None,
) -> tuple[Sequence[Referral], bool]:
    query = repository.filter_by(
        repository.scoped(Referral, auth),
        Referral,
        program_id=program_id,
        student_id=student_id,
        status=status,
    )
    query = repository.created_between(query, Referral, created_since, created_before)
    return await repository.page(session, query, Referral, page)


async def update_referral(
    session: AsyncSession, auth: AuthContext, *, referral_id: str, data: ReferralUpdate
) -> Referral:
    referral = await get_referral_or_raise(session, auth, referral_id=referral_id, for_update=True)
    if data.email is not None and data.email.lower() != referral.email_normalized:
        await _ensure_not_self(session, auth, student_id=referral.student_id, email=data.email)
        await _ensure_email_free(session, auth, program_id=referral.program_id, email=data.email)
        referral.email, referral.email_normalized = data.email, data.email.lower()
    for name in ("first_name", "last_name", "profile_picture"):
        value = getattr(data, name)
        if value is not None or data.cleared(name):
            setattr(referral, name, value)
    if data.metadata is not None:
        referral.metadata_ = metadata_rules.merge(referral.metadata_, data.metadata)
    if data.verified_at is not None and data.status != ReferralStatus.VERIFIED:
        raise FieldError("verified_at", "may only be sent with status 'verified'")
    if data.status is not None and data.status != referral.status:
        await change_status(
            session, auth, referral=referral, status=data.status, verified_at=data.verified_at
        )
    await _flush_unique_email(session, auth, program_id=referral.program_id, email=referral.email)
    return referral


async def change_status(
    session: AsyncSession,
    auth: AuthContext,
    *,
    referral: Referral,
    status: str,
    verified_at: datetime | None = None,
) -> None:
    """Move a referral along the workflow, or raise `invalid_status_transition`."""
    WORKFLOW.check(referral.status, status)
    now = utc_now()
    if status == ReferralStatus.VERIFIED:
        if verified_at is not None:
            verified_at = verified_at if verified_at.tzinfo else verified_at.replace(tzinfo=UTC)
            if verified_at > now + timedelta(minutes=5):
                raise FieldError("verified_at", "must not be in the future")
        referral.verified_at = verified_at or now
    previous, referral.status = referral.status, status
    referral.updated_at = now
    await session.flush()
    impression = await impression_service.get_impression_or_raise(
        session, auth, impression_id=referral.impression_id
    )
    await rollups.count(session, referral, poster_id=impression.poster_id, previous=previous)
    await _emit(
        session, auth, EventType.REFERRAL_STATUS_CHANGED, referral, previous_status=previous
    )


async def find_for_order(
    session: AsyncSession,
    auth: AuthContext,
    *,
    program_id: str,
    impression_id: str | None,
    email: str | None,
) -> Referral | None:
    """The program's referral an order belongs to: by the scan it came from, else by email."""
    if impression_id:
        query = repository.scoped(Referral, auth).where(
            Referral.program_id == program_id, Referral.impression_id == impression_id
        )
        referral = (await session.scalars(query.order_by(Referral.id).limit(1))).first()
        if referral is not None:
            return referral
    if email:
        query = repository.scoped(Referral, auth).where(
            Referral.program_id == program_id,
            Referral.email_normalized == email.strip().lower(),
        )
        return (await session.scalars(query.limit(1))).first()
    return None


async def count_conversions(
    session: AsyncSession, auth: AuthContext, *, program_id: str, student_id: str
) -> int:
    """How many of the ambassador's referrals in the program have converted (for tiered commission)."""
    query = (
        select(func.count())
        .select_from(Referral)
        .where(
            repository.owned_by(Referral, auth),
            Referral.program_id == program_id,
            Referral.student_id == student_id,
            Referral.status.in_(CONVERTED_STATUSES),
        )
    )
    return int((await session.execute(query)).scalar_one())


async def _ensure_not_self(
    session: AsyncSession, auth: AuthContext, *, student_id: str, email: str
) -> None:
    ambassador = await user_service.get_user(session, auth, user_id=student_id)
    if ambassador is not None and ambassador.email_normalized == email.lower():
        raise SelfReferral(
            "email: an ambassador cannot refer themselves", details={"field": "email"}
        )


async def _flush_unique_email(
    session: AsyncSession, auth: AuthContext, *, program_id: str, email: str
) -> None:
    """Flush; if a concurrent request took the email first, answer 409 as the check would."""
    try:
        await session.flush()
    except IntegrityError as exc:
        if not is_unique_violation(exc):
            raise
        # The failed INSERT ends the transaction, and this request fails anyway: roll it back
        # and look up the winner in a new one, to name it in the 409.
        await session.rollback()
        await _ensure_email_free(session, auth, program_id=program_id, email=email)
        raise


async def _ensure_email_free(
    session: AsyncSession, auth: AuthContext, *, program_id: str, email: str
) -> None:
    existing = (
        await session.scalars(
            repository.scoped(Referral, auth).where(
                Referral.program_id == program_id, Referral.email_normalized == email.lower()
            )
        )
    ).first()
    if existing is not None:
        raise DuplicateReferral(
            f"email: {email} was already referred in this program",
            details={"field": "email", "existing_id": existing.id},
        )


async def _emit(
    session: AsyncSession,
    auth: AuthContext,
    type: EventType,
    referral: Referral,
    previous_status: str | None = None,
) -> None:
    data = ReferralOut.of(referral).model_dump(mode="json")
    if previous_status is not None:
        data["previous_status"] = previous_status
    await event_service.record(session, auth, type=type, data=data)
