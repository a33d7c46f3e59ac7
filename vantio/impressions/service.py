"""Impressions: recorded by the public scan or by integrators who run their own redirect."""

import ipaddress
from collections.abc import Collection, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    BindParameter,
    Connection,
    Executable,
    String,
    Table,
    bindparam,
    select,
    text,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from vantio.auth.context import AuthContext
from vantio.db import bulk, repository
from vantio.db.types import UTCDateTime
from vantio.errors import FieldError, NotFound, ReferenceNotFound
from vantio.events import service as event_service
from vantio.impressions.models import Impression
from vantio.impressions.schemas import ImpressionCreate, ImpressionOut
from vantio.kit.ids import new_id
from vantio.kit.pagination import Page
from vantio.kit.time import isoformat, utc_now
from vantio.posters import service as poster_service
from vantio.posters.models import Poster
from vantio.webhooks.schemas import EventType

CREATED = EventType.IMPRESSION_CREATED


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
        session, impression, type=CREATED, data=ImpressionOut.of(impression).model_dump(mode="json")
    )


async def create_impression(
    session: AsyncSession, auth: AuthContext, *, data: ImpressionCreate
) -> Impression:
    poster = await poster_service.get_poster(session, auth, poster_id=data.poster_id)
    if poster is None:
        raise ReferenceNotFound("poster_id", "poster", data.poster_id)
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


# The statements of the scan's batches, built once (building one costs more than running it).
_IMPRESSIONS = cast(Table, Impression.__table__)
_SINCE = bindparam("since", type_=UTCDateTime)
_POSTERS: BindParameter[list[str]] = bindparam("posters", expanding=True)
# A device's latest impressions: by its IP and user agent (a scan without the device cookie) or by
# its cookie. Two index range scans (one per index) in one statement, one round trip.
_RECENT = union_all(
    select(
        Impression.fingerprint, Impression.device_fingerprint, Impression.id, Impression.scanned_at
    ).where(
        Impression.poster_id.in_(_POSTERS),
        Impression.fingerprint.in_(bindparam("fingerprints", expanding=True)),
        Impression.scanned_at >= _SINCE,
    ),
    select(
        Impression.fingerprint, Impression.device_fingerprint, Impression.id, Impression.scanned_at
    ).where(
        Impression.poster_id.in_(_POSTERS),
        Impression.device_fingerprint.in_(bindparam("devices", expanding=True)),
        Impression.scanned_at >= _SINCE,
    ),
)
# PostgreSQL: the same, one index probe per device. With `poster_id IN (...) AND fingerprint IN
# (...) AND scanned_at >= ...` its planner may take the other index of (poster_id, ...,
# scanned_at), matching poster_id and scanned_at only: it then reads every impression of the
# poster in the window (all of a popular poster's last 30 minutes) for each batch. It does so
# whenever it believes the table small: before the first ANALYZE of a new database (12.8 ms a
# batch here instead of 0.4), and its estimates of "the last 30 minutes" go stale between
# ANALYZEs. Each probe below is an equality on (poster_id, fingerprint), newest first, LIMIT 1:
# only the index that starts with both columns answers it without a sort, whatever the
# statistics say; and the statement's text does not depend on the batch's size, so it is
# prepared once per connection.
_LATEST = """SELECT r.fingerprint, r.device_fingerprint, r.id, r.scanned_at
FROM unnest(CAST(:{prefix}posters AS VARCHAR[]), CAST(:{prefix}keys AS VARCHAR[]))
    AS k(poster_id, value)
CROSS JOIN LATERAL (
    SELECT i.fingerprint, i.device_fingerprint, i.id, i.scanned_at FROM impressions AS i
    WHERE i.poster_id = k.poster_id AND i.{column} = k.value AND i.scanned_at >= :since
    ORDER BY i.scanned_at DESC LIMIT 1
) AS r"""
_RECENT_POSTGRESQL = (
    text(
        _LATEST.format(prefix="fp_", column="fingerprint")
        + "\nUNION ALL\n"
        + _LATEST.format(prefix="dev_", column="device_fingerprint")
    )
    .bindparams(
        bindparam("fp_posters", type_=ARRAY(String)),
        bindparam("fp_keys", type_=ARRAY(String)),
        bindparam("dev_posters", type_=ARRAY(String)),
        bindparam("dev_keys", type_=ARRAY(String)),
        _SINCE,
    )
    .columns(
        Impression.fingerprint, Impression.device_fingerprint, Impression.id, Impression.scanned_at
    )
)


def scanned_row(
    *,
    impression_id: str,
    account_id: str,
    livemode: bool,
    poster_id: str,
    program_id: str,
    student_id: str,
    scanned_at: datetime,
    user_agent: str | None,
    ip_address: str | None,
    fingerprint: str,
    device_fingerprint: str | None,
    metadata: dict[str, Any],
) -> dict[str, Any]:
    """The column values of an impression recorded by the public scan, for `add_many`."""
    return {
        "id": impression_id,
        "account_id": account_id,
        "livemode": livemode,
        "poster_id": poster_id,
        "program_id": program_id,
        "student_id": student_id,
        "scanned_at": scanned_at,
        "created_at": scanned_at,
        "user_agent": user_agent,
        "ip_address": ip_address,
        "fingerprint": fingerprint,
        "device_fingerprint": device_fingerprint,
        "metadata": metadata,
    }


def add_many(connection: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Store impressions (rows of `scanned_row`) and their `impression.created` events.

    The hot path of the scan: one executemany per table however many rows, where `add` costs an
    ORM object and a flush per impression; the events go through the one event writer.
    """
    bulk.insert_many(connection, _IMPRESSIONS, rows)
    event_service.write(
        connection,
        [
            event_service.NewEvent(
                row["account_id"],
                row["livemode"],
                CREATED,
                # ImpressionOut's JSON, built directly: pydantic per row costs more than the insert.
                {
                    "id": row["id"],
                    "poster_id": row["poster_id"],
                    "program_id": row["program_id"],
                    "student_id": row["student_id"],
                    "scanned_at": isoformat(row["scanned_at"]),
                    "user_agent": row["user_agent"],
                    "ip_address": row["ip_address"],
                    "metadata": row["metadata"],
                },
                row["created_at"],
            )
            for row in rows
        ],
    )


Recent = dict[str, tuple[str, datetime]]


def find_recent_many(
    connection: Connection,
    *,
    fingerprints: Collection[tuple[str, str]],
    devices: Collection[tuple[str, str]],
    since: datetime,
) -> tuple[Recent, Recent]:
    """The latest impression since `since` of each device, (id, scanned_at), by fingerprint (IP
    and user agent) and by device fingerprint (cookie); both given as (poster id, value)."""
    by_fingerprint: Recent = {}
    by_device: Recent = {}
    if connection.dialect.name == "postgresql":
        statement: Executable = _RECENT_POSTGRESQL
        parameters: dict[str, Any] = {
            "fp_posters": [poster for poster, _ in fingerprints],
            "fp_keys": [value for _, value in fingerprints],
            "dev_posters": [poster for poster, _ in devices],
            "dev_keys": [value for _, value in devices],
            "since": since,
        }
    else:
        statement = _RECENT
        parameters = {
            "posters": list({poster for poster, _ in (*fingerprints, *devices)}),
            "fingerprints": [value for _, value in fingerprints],
            "devices": [value for _, value in devices],
            "since": since,
        }
    for fingerprint, device, impression_id, scanned_at in connection.execute(statement, parameters):
        for key, latest in ((fingerprint, by_fingerprint), (device, by_device)):
            if key is not None and (key not in latest or scanned_at > latest[key][1]):
                latest[key] = (impression_id, scanned_at)
    return by_fingerprint, by_device


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
