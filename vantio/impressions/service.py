"""Impressions: recorded by the public scan or by integrators who run their own redirect."""

import ipaddress
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vantio.auth.context import AuthContext, owner_of
from vantio.db import repository
from vantio.errors import FieldError, NotFound
from vantio.events import service as event_service
from vantio.impressions.models import Impression
from vantio.impressions.schemas import ImpressionCreate, ImpressionOut
from vantio.kit.ids import new_id
from vantio.kit.pagination import Page
from vantio.kit.time import utc_now
from vantio.posters import service as poster_service
from vantio.posters.models import Poster


def build(
    poster: Poster,
    *,
    scanned_at: datetime,
    user_agent: str | None,
    ip_address: str | None,
    fingerprint: str | None,
    metadata: dict[str, Any],
) -> Impression:
    return Impression(
        id=new_id("imp"),
        account_id=poster.account_id,
        livemode=poster.livemode,
        poster_id=poster.id,
        program_id=poster.program_id,
        student_id=poster.student_id,
        scanned_at=scanned_at,
        created_at=scanned_at,
        user_agent=user_agent,
        ip_address=ip_address,
        fingerprint=fingerprint,
        metadata_=metadata,
    )


async def add(session: AsyncSession, impression: Impression) -> None:
    """Store an impression and its `impression.created` event."""
    session.add(impression)
    await event_service.record(
        session,
        owner_of(impression),
        type="impression.created",
        data=ImpressionOut.of(impression).model_dump(mode="json"),
    )


async def create_impression(
    session: AsyncSession, auth: AuthContext, *, data: ImpressionCreate
) -> Impression:
    poster = await poster_service.get_poster(session, auth, poster_id=data.poster_id)
    if poster is None:
        raise NotFound(f"No poster with id {data.poster_id}", details={"field": "poster_id"})
    now = utc_now()
    scanned_at = data.scanned_at or now
    if scanned_at.tzinfo is None:
        scanned_at = scanned_at.replace(tzinfo=UTC)
    if scanned_at > now + timedelta(minutes=5):
        raise FieldError("scanned_at", "must not be in the future")
    if data.ip_address is not None:
        try:
            ipaddress.ip_address(data.ip_address)
        except ValueError:
            raise FieldError("ip_address", "must be an IPv4 or IPv6 address") from None
    impression = build(
        poster,
        scanned_at=scanned_at,
        user_agent=data.user_agent,
        ip_address=data.ip_address,
        fingerprint=None,
        metadata=data.metadata or {},
    )
    await add(session, impression)
    await session.flush()
    return impression


async def find_recent(
    session: AsyncSession, *, poster_id: str, fingerprint: str, since: datetime
) -> str | None:
    """The id of this device's latest impression of the poster since `since`, if any."""
    query = (
        select(Impression.id)
        .where(
            Impression.poster_id == poster_id,
            Impression.fingerprint == fingerprint,
            Impression.scanned_at >= since,
        )
        .order_by(Impression.scanned_at.desc())
        .limit(1)
    )
    return (await session.scalars(query)).first()


async def get_impression(
    session: AsyncSession, auth: AuthContext, *, impression_id: str
) -> Impression | None:
    return await repository.get(session, Impression, auth, impression_id)


async def get_impression_or_raise(
    session: AsyncSession, auth: AuthContext, *, impression_id: str
) -> Impression:
    impression = await get_impression(session, auth, impression_id=impression_id)
    if impression is None:
        raise NotFound(f"No impression with id {impression_id}")
    return impression


async def list_impressions(
    session: AsyncSession,
    auth: AuthContext,
    *,
    program_id: str | None,
    poster_id: str | None,
    student_id: str | None,
    page: Page,
) -> tuple[Sequence[Impression], bool]:
    query = repository.filter_by(
        repository.scoped(Impression, auth),
        Impression,
        program_id=program_id,
        poster_id=poster_id,
        student_id=student_id,
    )
    return await repository.page(session, query, Impression, page)
