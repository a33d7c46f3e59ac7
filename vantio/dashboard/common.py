"""Helpers shared by the pages: paging, date ranges, the program picker."""

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from vantio.dashboard.web import Context
from vantio.errors import FieldError
from vantio.kit.pagination import Page, parse_page
from vantio.kit.time import utc_now
from vantio.programs import service as program_service
from vantio.programs.models import Program
from vantio.users import service as user_service
from vantio.users.models import User

PAGE_SIZE = 50


@dataclass(frozen=True)
class Period:
    """The days a list is filtered to: from `since` up to `until` (excluded); None is open."""

    since: datetime | None
    until: datetime | None


def page_of(ctx: Context) -> Page:
    params = ctx.request.query_params
    return parse_page(params.get("limit"), params.get("offset"), default=PAGE_SIZE, maximum=100)


def query(ctx: Context, name: str) -> str | None:
    value = ctx.request.query_params.get(name, "").strip()
    return value or None


def parse_day(raw: str | None, field: str) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise FieldError(field, "Enter a date as YYYY-MM-DD.") from None


def period_of(ctx: Context, *, default_days: int | None = None) -> tuple[Period, dict[str, str]]:
    """The `from`/`to` days of the query (both included) as a UTC period, and their values."""
    first = parse_day(query(ctx, "from"), "from")
    last = parse_day(query(ctx, "to"), "to")
    if default_days is not None and first is None and last is None:
        last = utc_now().date()
        first = last - timedelta(days=default_days - 1)
    since = datetime.combine(first, datetime.min.time(), UTC) if first else None
    until = datetime.combine(last + timedelta(days=1), datetime.min.time(), UTC) if last else None
    values = {"from": first.isoformat() if first else "", "to": last.isoformat() if last else ""}
    return Period(since, until), values


async def ambassador_names(ctx: Context, user_ids: Collection[str]) -> dict[str, str]:
    """The full names of these ambassadors, by ID."""
    users = await user_service.find_users(ctx.session, ctx.auth, user_ids=user_ids)
    return {user.id: f"{user.first_name} {user.last_name}" for user in users.values()}


async def all_programs(ctx: Context) -> Sequence[Program]:
    rows, _ = await program_service.list_programs(ctx.session, ctx.auth, page=Page(100, 0))
    return rows


def pager(ctx: Context, page: Page, has_more: bool) -> dict[str, Any]:
    """Links to the previous and next pages, keeping the filters."""
    params = {k: v for k, v in ctx.request.query_params.items() if k != "offset" and v}

    def link(offset: int) -> str:
        return f"{ctx.request.url.path}?{urlencode({**params, 'offset': offset})}"

    return {
        "prev": link(max(0, page.offset - page.limit)) if page.offset > 0 else None,
        "next": link(page.offset + page.limit) if has_more else None,
        "first": page.offset + 1,
    }


@dataclass(frozen=True)
class AmbassadorPick:
    """The ambassador filter of a list: typed as a name or email (or picked from the
    suggestions), resolved to one ambassador, or to several to choose from."""

    text: str  # what the field shows
    user_id: str | None  # the ambassador to filter by
    unmatched: bool  # text typed that names nobody (or more than one): the list is empty
    choices: list[tuple[str, str]]  # (link, label) when the text names several
    suggestions: list[str]  # the field's <datalist>


def _label(user: User) -> str:
    return f"{user.first_name} {user.last_name} <{user.email}>"


async def pick_ambassador(ctx: Context, program_id: str | None) -> AmbassadorPick:
    """Resolve `?ambassador=`: an ID (a link from elsewhere), a suggestion ("Name <email>"), or
    a part of a name or email. Works without JavaScript: the suggestions are a <datalist>."""
    raw = query(ctx, "ambassador") or ""
    suggestions_rows, _ = await user_service.list_users(
        ctx.session, ctx.auth, program_id=program_id, page=Page(100, 0)
    )
    suggestions = [_label(u) for u in suggestions_rows]
    if not raw:
        return AmbassadorPick("", None, False, [], suggestions)
    if raw.startswith("user_") and " " not in raw:
        found = await user_service.find_users(ctx.session, ctx.auth, user_ids=[raw])
        user = found.get(raw)
        return AmbassadorPick(_label(user) if user else raw, raw, False, [], suggestions)
    search = raw
    if raw.endswith(">") and "<" in raw:  # a suggestion: its email names one ambassador
        search = raw[raw.rindex("<") + 1 : -1]
    rows, _ = await user_service.list_users(
        ctx.session, ctx.auth, program_id=program_id, search=search, page=Page(20, 0)
    )
    if len(rows) == 1:
        return AmbassadorPick(_label(rows[0]), rows[0].id, False, [], suggestions)
    params = {
        k: v for k, v in ctx.request.query_params.items() if k not in ("offset", "ambassador")
    }
    choices = [
        (f"{ctx.request.url.path}?{urlencode({**params, 'ambassador': u.id})}", _label(u))
        for u in rows
    ]
    return AmbassadorPick(raw, None, True, choices, suggestions)
