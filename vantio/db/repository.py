"""The scoped queries every tenant repository needs: there is no unscoped getter."""

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from vantio.auth.context import AuthContext
from vantio.db.base import TenantMixin
from vantio.kit.pagination import Page

T = TypeVar("T", bound=TenantMixin)


def scoped(model: type[T], auth: AuthContext) -> Select[T]:
    return select(model).where(model.account_id == auth.account_id, model.livemode == auth.livemode)


async def get(
    session: AsyncSession,
    model: type[T],
    auth: AuthContext,
    object_id: str,
    *,
    for_update: bool = False,
) -> T | None:
    query = scoped(model, auth).where(model.id == object_id)
    if for_update:
        query = query.with_for_update()
    return (await session.scalars(query)).first()


async def page(
    session: AsyncSession, query: Select[T], model: type[T], page: Page
) -> tuple[Sequence[T], bool]:
    """One page, newest first; one extra row tells whether there is more."""
    rows = (
        await session.scalars(
            query.order_by(model.id.desc()).limit(page.limit + 1).offset(page.offset)
        )
    ).all()
    return rows[: page.limit], len(rows) > page.limit


def filter_by(query: Select[T], model: type[T], **filters: Any) -> Select[T]:
    for name, value in filters.items():
        if value is not None:
            query = query.where(getattr(model, name) == value)
    return query
