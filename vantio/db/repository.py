"""Tenancy, in one place: every query of an account's rows is scoped here, by account and mode.

`owned_by` is the only code that compares `account_id` and `livemode` with values; a test fails
when either is written by hand anywhere else (migrations aside). Use:

- `scoped(Model, owner)` for a `select` of one model (there is no unscoped getter);
- `owned_by(Model, owner)` for the WHERE clause of anything else (update, delete, aggregates);
- `owned_by_parameters(Model)` for a statement built once and run with `owner_parameters(owner)`;
- `same_owner(A, B)` to join two tenant tables without crossing accounts or modes;
- `is_same_owner(a, b)` for two objects already loaded (Python, not SQL);
- `owned_by_account(Model, account_id)`, both modes, for API keys only.

An owner is anything with `account_id` and `livemode`: an `AuthContext`, a row, an idempotency
scope, or a `Tenant` built from the two values.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple, Protocol, TypeVar

from sqlalchemy import ColumnElement, Select, and_, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from vantio.db.base import TenantMixin
from vantio.kit.pagination import Page

T = TypeVar("T", bound=TenantMixin)


class Owner(Protocol):
    @property
    def account_id(self) -> str: ...

    @property
    def livemode(self) -> bool: ...


class Tenant(NamedTuple):
    """An owner known only by its values (a rollup's key), where no row or context is at hand."""

    account_id: str
    livemode: bool


def owned_by(model: Any, owner: Owner) -> ColumnElement[bool]:
    """The rows of `model` (a mapped class or an alias) that belong to this account and mode."""
    return and_(model.account_id == owner.account_id, model.livemode == owner.livemode)


def owned_by_parameters(model: Any) -> ColumnElement[bool]:
    """`owned_by` for a statement built once, at import, and run many times with
    `owner_parameters(owner)`: the hot paths (validate, apply), where building each statement
    anew cost 40-100 µs apiece."""
    return and_(
        model.account_id == bindparam("owner_account_id"),
        model.livemode == bindparam("owner_livemode"),
    )


def owner_parameters(owner: Owner, **others: Any) -> dict[str, Any]:
    """The parameters of a statement built with `owned_by_parameters`, and its `others`."""
    return {"owner_account_id": owner.account_id, "owner_livemode": owner.livemode, **others}


def owned_by_account(model: Any, account_id: str) -> ColumnElement[bool]:
    """The rows of `model` that belong to this account in either mode. Only for what belongs to
    the account rather than to one of its modes: its API keys, which an operator revokes from
    either mode of the dashboard (docs/API.md, Dashboard). Every other row is per mode."""
    clause: ColumnElement[bool] = model.account_id == account_id
    return clause


def same_owner(left: Any, right: Any) -> ColumnElement[bool]:
    """A join condition: both rows belong to the same account and mode."""
    return and_(left.account_id == right.account_id, left.livemode == right.livemode)


def is_same_owner(a: Owner, b: Owner) -> bool:
    """Whether two loaded objects belong to the same account and mode."""
    return (a.account_id, a.livemode) == (b.account_id, b.livemode)


def scoped(model: type[T], owner: Owner) -> Select[T]:
    return select(model).where(owned_by(model, owner))


async def get(
    session: AsyncSession,
    model: type[T],
    owner: Owner,
    object_id: str,
    *,
    for_update: bool = False,
) -> T | None:
    query = scoped(model, owner).where(model.id == object_id)
    if for_update:
        query = query.with_for_update()
    return (await session.scalars(query)).first()


async def page(
    session: AsyncSession, query: Select[T], model: type[T], page: Page
) -> tuple[Sequence[T], bool]:
    """One page, newest first; one extra row tells whether there is more."""
    if page.before_id is not None:
        query = query.where(model.id < page.before_id)
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


def created_between(
    query: Select[T], model: type[T], since: datetime | None, before: datetime | None
) -> Select[T]:
    """Rows created at `since` or later and before `before`; an open bound is no bound."""
    if since is not None:
        query = query.where(model.created_at >= since)
    if before is not None:
        query = query.where(model.created_at < before)
    return query
