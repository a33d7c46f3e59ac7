"""Posters: each with a short, unguessable scan code."""

import secrets
from collections.abc import Collection, Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from vantio.auth.context import AuthContext
from vantio.db import repository
from vantio.errors import FieldError, NotFound, ReferenceNotFound
from vantio.kit import metadata as metadata_rules
from vantio.kit.ids import new_id
from vantio.kit.pagination import Page
from vantio.posters.models import Poster
from vantio.posters.schemas import PosterCreate, PosterUpdate
from vantio.programs import service as program_service
from vantio.users import service as user_service

# No look-alike characters (0/O, 1/I/L), 10 of 31 symbols: ~50 bits, unguessable by scanning.
CODE_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
CODE_LENGTH = 10


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


async def create_poster(session: AsyncSession, auth: AuthContext, *, data: PosterCreate) -> Poster:
    program = await program_service.get_program_or_raise(
        session, auth, program_id=data.program_id, field="program_id"
    )
    student = await user_service.get_user(session, auth, user_id=data.student_id)
    if student is None:
        raise ReferenceNotFound("student_id", "user", data.student_id)
    if student.program_id != program.id:
        raise FieldError("student_id", f"ambassador {student.id} is not in program {program.id}")
    poster = Poster(
        id=new_id("poster"),
        account_id=auth.account_id,
        livemode=auth.livemode,
        program_id=program.id,
        student_id=student.id,
        code=new_code(),
        location=data.location,
        destination_url=data.destination_url,
        metadata_=data.metadata or {},
    )
    session.add(poster)
    await session.flush()
    return poster


async def get_poster(session: AsyncSession, auth: AuthContext, *, poster_id: str) -> Poster | None:
    return await repository.get(session, Poster, auth, poster_id)


async def get_poster_or_raise(
    session: AsyncSession, auth: AuthContext, *, poster_id: str
) -> Poster:
    poster = await get_poster(session, auth, poster_id=poster_id)
    if poster is None:
        raise NotFound(f"No poster with id {poster_id}")
    return poster


async def find_by_code(session: AsyncSession, *, code: str) -> Poster | None:
    """The public lookup of the scan URL: the code itself is the capability."""
    return (await session.scalars(select(Poster).where(Poster.code == code))).first()


async def list_posters(
    session: AsyncSession,
    auth: AuthContext,
    *,
    program_id: str | None,
    student_id: str | None,
    page: Page,
) -> tuple[Sequence[Poster], bool]:
    query = repository.filter_by(
        repository.scoped(Poster, auth), Poster, program_id=program_id, student_id=student_id
    )
    return await repository.page(session, query, Poster, page)


async def count_by_ambassador(
    session: AsyncSession, auth: AuthContext, *, user_ids: Collection[str]
) -> dict[str, int]:
    """How many posters each of these ambassadors has (those with none are left out)."""
    if not user_ids:
        return {}
    query = (
        select(Poster.student_id, func.count())
        .where(repository.owned_by(Poster, auth), Poster.student_id.in_(user_ids))
        .group_by(Poster.student_id)
    )
    return {student_id: int(count) for student_id, count in await session.execute(query)}


async def update_poster(
    session: AsyncSession, auth: AuthContext, *, poster_id: str, data: PosterUpdate
) -> Poster:
    poster = await get_poster_or_raise(session, auth, poster_id=poster_id)
    if data.location is not None or data.cleared("location"):
        poster.location = data.location
    if data.destination_url is not None or data.cleared("destination_url"):
        poster.destination_url = data.destination_url
    if data.metadata is not None:
        poster.metadata_ = metadata_rules.merge(poster.metadata_, data.metadata)
    await session.flush()
    return poster
