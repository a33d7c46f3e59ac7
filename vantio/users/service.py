"""Ambassadors: one email once per program."""

from collections.abc import Collection, Sequence

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from vantio.auth.context import AuthContext
from vantio.db import repository
from vantio.db.types import is_unique_violation
from vantio.errors import NotFound
from vantio.kit import metadata as metadata_rules
from vantio.kit.ids import new_id
from vantio.kit.pagination import Page
from vantio.programs import service as program_service
from vantio.users.errors import DuplicateUser
from vantio.users.models import User
from vantio.users.schemas import UserCreate, UserUpdate


async def create_user(session: AsyncSession, auth: AuthContext, *, data: UserCreate) -> User:
    program = await program_service.get_program_or_raise(
        session, auth, program_id=data.program_id, field="program_id"
    )
    await _ensure_email_free(session, auth, program_id=program.id, email=data.email)
    user = User(
        id=new_id("user"),
        account_id=auth.account_id,
        livemode=auth.livemode,
        program_id=program.id,
        first_name=data.first_name,
        last_name=data.last_name,
        email=data.email,
        email_normalized=data.email.lower(),
        profile_picture=data.profile_picture,
        metadata_=data.metadata or {},
    )
    session.add(user)
    await _flush_unique_email(session, auth, program_id=program.id, email=data.email)
    return user


async def get_user(session: AsyncSession, auth: AuthContext, *, user_id: str) -> User | None:
    return await repository.get(session, User, auth, user_id)


async def get_user_or_raise(session: AsyncSession, auth: AuthContext, *, user_id: str) -> User:
    user = await get_user(session, auth, user_id=user_id)
    if user is None:
        raise NotFound(f"No user with id {user_id}")
    return user


async def list_users(
    session: AsyncSession,
    auth: AuthContext,
    *,
    program_id: str | None,
    page: Page,
    search: str | None = None,
) -> tuple[Sequence[User], bool]:
    """A page of ambassadors, newest first; `search` finds a part of the name or email."""
    query = repository.filter_by(repository.scoped(User, auth), User, program_id=program_id)
    if search:
        pattern = f"%{search.lower()}%"
        query = query.where(
            func.lower(User.first_name + " " + User.last_name).like(pattern)
            | User.email_normalized.like(pattern)
        )
    return await repository.page(session, query, User, page)


async def find_users(
    session: AsyncSession, auth: AuthContext, *, user_ids: Collection[str]
) -> dict[str, User]:
    """The ambassadors with these IDs, by ID (unknown and foreign IDs are left out)."""
    if not user_ids:
        return {}
    query = repository.scoped(User, auth).where(User.id.in_(user_ids))
    return {user.id: user for user in await session.scalars(query)}


async def update_user(
    session: AsyncSession, auth: AuthContext, *, user_id: str, data: UserUpdate
) -> User:
    user = await get_user_or_raise(session, auth, user_id=user_id)
    if data.email is not None and data.email.lower() != user.email_normalized:
        await _ensure_email_free(session, auth, program_id=user.program_id, email=data.email)
        user.email, user.email_normalized = data.email, data.email.lower()
    for name in ("first_name", "last_name", "profile_picture"):
        value = getattr(data, name)
        if value is not None or data.cleared(name):
            setattr(user, name, value)
    if data.metadata is not None:
        user.metadata_ = metadata_rules.merge(user.metadata_, data.metadata)
    await _flush_unique_email(session, auth, program_id=user.program_id, email=user.email)
    return user


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
            repository.scoped(User, auth).where(
                User.program_id == program_id, User.email_normalized == email.lower()
            )
        )
    ).first()
    if existing is not None:
        raise DuplicateUser(
            f"An ambassador with email {email} already exists in this program",
            details={"existing_id": existing.id},
        )
