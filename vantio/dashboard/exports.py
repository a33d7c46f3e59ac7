"""Every list as CSV, with the list's filters: streamed in chunks of CHUNK rows, each chunk read
in its own short transaction by keyset (IDs below the last one sent), so a 100,000-row export
neither holds the rows in memory nor keeps a transaction open, and every cell is formula-safe
(vantio/kit/csv.py).

The rows come from the same service functions as the pages (and the figures from the analytics
service, as on the pages): a CSV holds what the list shows, all of it."""

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, datetime

from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response, StreamingResponse

from vantio.analytics import periods
from vantio.analytics import service as analytics
from vantio.auth.context import AuthContext
from vantio.dashboard import pages_money
from vantio.dashboard.common import all_programs, pick_ambassador, query
from vantio.dashboard.web import PREFIX, Ctx, DashboardRoute
from vantio.kit.csv import Cell, stream_csv
from vantio.kit.money import to_major
from vantio.kit.pagination import Page
from vantio.payouts import service as payout_service
from vantio.posters import service as poster_service
from vantio.runtime import Runtime
from vantio.users import service as user_service
from vantio.vouchers import service as voucher_service

router = APIRouter(prefix=PREFIX, route_class=DashboardRoute)

CHUNK = 1000
Rows = list[Sequence[Cell]]
# One chunk: given a session and the keyset page, the CSV rows, the last row's ID, more or not.
Fetch = Callable[[AsyncSession, Page], Awaitable[tuple[Rows, str | None, bool]]]


def _time(at: datetime | None) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if at else ""


def download(runtime: Runtime, name: str, header: Sequence[str], fetch: Fetch) -> Response:
    """The CSV as an attachment, read chunk by chunk after the page's own transaction ended."""

    async def rows() -> AsyncIterator[Sequence[Cell]]:
        before: str | None = None
        while True:
            async with runtime.sessionmaker() as session:
                chunk, last, more = await fetch(session, Page(CHUNK, 0, before_id=before))
            for row in chunk:
                yield row
            if not more or last is None:
                return
            before = last

    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return StreamingResponse(
        stream_csv(header, rows()),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}-{stamp}.csv"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


async def _names(session: AsyncSession, auth: AuthContext, user_ids: set[str]) -> dict[str, str]:
    users = await user_service.find_users(session, auth, user_ids=user_ids)
    return {u.id: f"{u.first_name} {u.last_name}" for u in users.values()}


@router.get("/referrals.csv")
async def referrals_csv(ctx: Ctx) -> Response:
    """The referrals the list's filters select, as CSV."""
    found = await pages_money.filters_of(ctx, pages_money.REFERRAL_STATUSES)
    programs = found["program_names"]
    auth = ctx.auth

    async def fetch(session: AsyncSession, page: Page) -> tuple[Rows, str | None, bool]:
        rows, more = await pages_money.referral_rows_in(session, auth, found, page)
        names = await _names(session, auth, {r.student_id for r in rows})
        cells: Rows = [
            (r.id, r.first_name, r.last_name, r.email, r.status, r.student_id,
             names.get(r.student_id, ""), r.program_id, programs.get(r.program_id, ""),
             _time(r.created_at))
            for r in rows
        ]  # fmt: skip
        return cells, rows[-1].id if rows else None, more

    header = ("id", "first_name", "last_name", "email", "status", "ambassador_id",
              "ambassador", "program_id", "program", "created_at")  # fmt: skip
    return download(ctx.runtime, "referrals", header, fetch)


@router.get("/earnings.csv")
async def earnings_csv(ctx: Ctx) -> Response:
    """The earnings the list's filters select, as CSV (amounts in major units)."""
    found = await pages_money.filters_of(ctx, pages_money.EARNING_STATUSES)
    programs = found["program_names"]
    auth = ctx.auth

    async def fetch(session: AsyncSession, page: Page) -> tuple[Rows, str | None, bool]:
        rows, more = await pages_money.earning_rows_in(session, auth, found, page)
        names = await _names(session, auth, {e.student_id for e in rows})
        cells: Rows = [
            (e.id, to_major(e.amount, e.currency), e.currency, e.status, e.description,
             e.student_id, names.get(e.student_id, ""), e.program_id,
             programs.get(e.program_id, ""), e.referral_id, _time(e.created_at),
             _time(e.paid_at))
            for e in rows
        ]  # fmt: skip
        return cells, rows[-1].id if rows else None, more

    header = ("id", "amount", "currency", "status", "description", "ambassador_id",
              "ambassador", "program_id", "program", "referral_id", "created_at",
              "paid_at")  # fmt: skip
    return download(ctx.runtime, "earnings", header, fetch)


@router.get("/payouts.csv")
async def payouts_csv(ctx: Ctx) -> Response:
    """The payouts the list's filters select, as CSV."""
    programs = {p.id: p.name for p in await all_programs(ctx)}
    program_id = query(ctx, "program")
    pick = await pick_ambassador(ctx, program_id)
    chosen = query(ctx, "status")
    status = chosen if chosen in payout_service.WORKFLOW.statuses else None
    auth = ctx.auth

    async def fetch(session: AsyncSession, page: Page) -> tuple[Rows, str | None, bool]:
        if pick.unmatched:
            return [], None, False
        rows, more = await payout_service.list_payouts(
            session, auth, program_id=program_id, student_id=pick.user_id, status=status,
            page=page,
        )  # fmt: skip
        names = await _names(session, auth, {p.student_id for p in rows})
        cells: Rows = [
            (p.id, to_major(p.amount, p.currency), p.currency, p.status, p.earnings_count,
             p.student_id, names.get(p.student_id, ""), p.program_id,
             programs.get(p.program_id, ""), _time(p.created_at))
            for p in rows
        ]  # fmt: skip
        return cells, rows[-1].id if rows else None, more

    header = ("id", "amount", "currency", "status", "earnings", "ambassador_id", "ambassador",
              "program_id", "program", "created_at")  # fmt: skip
    return download(ctx.runtime, "payouts", header, fetch)


def _earned(amounts: dict[str, int]) -> str:
    return "; ".join(f"{to_major(v, c)} {c}" for c, v in sorted(amounts.items()) if v)


@router.get("/ambassadors.csv")
async def ambassadors_csv(ctx: Ctx) -> Response:
    """The ambassadors the list's filters select, with their figures over all time (as the
    list shows them: GET /api/v1/analytics/leaderboard's)."""
    programs = {p.id: p.name for p in await all_programs(ctx)}
    program_id, search = query(ctx, "program"), query(ctx, "q")
    auth = ctx.auth

    async def fetch(session: AsyncSession, page: Page) -> tuple[Rows, str | None, bool]:
        rows, more = await user_service.list_users(
            session, auth, program_id=program_id, search=search, page=page
        )
        ids = [u.id for u in rows]
        board = await analytics.leaderboard(
            session, auth, program_id=None, currency=None, period=None, user_ids=ids
        )
        figures = {row.user.id: row for row in board}
        posters = await poster_service.count_by_ambassador(session, auth, user_ids=ids)
        cells: Rows = []
        for u in rows:
            f = figures[u.id]
            cells.append(
                (u.id, u.first_name, u.last_name, u.email, u.program_id,
                 programs.get(u.program_id, ""), posters.get(u.id, 0), f.figures.impressions,
                 f.figures.referrals, f.figures.converted, f.figures.verified,
                 _earned(f.earned), _time(u.created_at))
            )  # fmt: skip
        return cells, rows[-1].id if rows else None, more

    header = ("id", "first_name", "last_name", "email", "program_id", "program", "posters",
              "scans", "referrals", "converted", "verified", "earned", "created_at")  # fmt: skip
    return download(ctx.runtime, "ambassadors", header, fetch)


@router.get("/posters.csv")
async def posters_csv(ctx: Ctx) -> Response:
    """Posters (of a program, an ambassador) with their figures, as GET
    /api/v1/analytics/posters counts them: over all time, or between `from` and `to`."""
    programs = {p.id: p.name for p in await all_programs(ctx)}
    program_id = query(ctx, "program")
    pick = await pick_ambassador(ctx, program_id)
    raw_from, raw_to = query(ctx, "from"), query(ctx, "to")
    period = None if raw_from is None and raw_to is None else periods.parse_range(
        raw_from, raw_to, None
    )  # fmt: skip
    base = ctx.runtime.settings.public_base_url()
    auth = ctx.auth

    async def fetch(session: AsyncSession, page: Page) -> tuple[Rows, str | None, bool]:
        if pick.unmatched:
            return [], None, False
        rows, more = await poster_service.list_posters(
            session, auth, program_id=program_id, student_id=pick.user_id, page=page
        )
        figures = {
            row.poster.id: row.figures
            for row in await analytics.posters(
                session, auth, program_id=None, period=period, poster_ids=[p.id for p in rows]
            )
        }
        names = await _names(session, auth, {p.student_id for p in rows})
        cells: Rows = []
        for p in rows:
            f = figures.get(p.id) or analytics.Figures()
            cells.append(
                (p.id, p.code, p.location, f"{base}/s/{p.code}", p.student_id,
                 names.get(p.student_id, ""), p.program_id, programs.get(p.program_id, ""),
                 f.impressions, f.referrals, f.converted,
                 analytics.rate(f.referrals, f.impressions), _time(p.created_at))
            )  # fmt: skip
        return cells, rows[-1].id if rows else None, more

    header = ("id", "code", "location", "scan_url", "ambassador_id", "ambassador",
              "program_id", "program", "scans", "referrals", "converted",
              "scan_to_signup_rate", "created_at")  # fmt: skip
    return download(ctx.runtime, "posters", header, fetch)


@router.get("/vouchers/{voucher_id}/applications.csv")
async def applications_csv(ctx: Ctx, voucher_id: str) -> Response:
    """Every application of a voucher, newest first (amounts in major units)."""
    voucher = await voucher_service.get_voucher_or_raise(
        ctx.session, ctx.auth, voucher_id=voucher_id
    )
    auth = ctx.auth

    async def fetch(session: AsyncSession, page: Page) -> tuple[Rows, str | None, bool]:
        rows = await voucher_service.usage_history(
            session, auth, voucher_id=voucher.id, limit=page.limit + 1, before_id=page.before_id
        )
        more = len(rows) > page.limit
        rows = rows[: page.limit]
        cells: Rows = [
            (a.id, voucher.code, a.order_id, a.customer_email or a.customer_id or "",
             to_major(a.order_value, a.currency), to_major(a.discount_amount, a.currency),
             to_major(a.final_amount, a.currency), a.currency, a.status,
             _time(a.created_at), _time(a.rolled_back_at))
            for a in rows
        ]  # fmt: skip
        return cells, rows[-1].id if rows else None, more

    header = ("id", "code", "order_id", "customer", "order_value", "discount", "final_amount",
              "currency", "status", "applied_at", "rolled_back_at")  # fmt: skip
    return download(ctx.runtime, f"applications-{voucher.code}", header, fetch)
