"""The overview: the funnel, scans and signups per day, the top ambassadors and posters.

Every figure comes from the analytics service (the same numbers as /api/v1/analytics).
"""

from datetime import timedelta

from fastapi import APIRouter
from starlette.responses import Response

from vantio.analytics import periods
from vantio.analytics import service as analytics
from vantio.api_keys import service as api_key_service
from vantio.dashboard import charts, insight
from vantio.dashboard.common import all_programs, query
from vantio.dashboard.web import PREFIX, Context, Ctx, DashboardRoute, render
from vantio.kit.money import to_major
from vantio.kit.pagination import Page
from vantio.posters import service as poster_service
from vantio.users import service as user_service

router = APIRouter(prefix=PREFIX, route_class=DashboardRoute)


@router.get("/")
async def overview(ctx: Ctx) -> Response:
    """The funnel and the figures of a program (or all) over a date range."""
    period = periods.parse_range(query(ctx, "from"), query(ctx, "to"), None)
    dates = {
        "from": period.start.date().isoformat(),
        "to": (period.end - timedelta(days=1)).date().isoformat(),
    }
    programs = await all_programs(ctx)
    program = next((p for p in programs if p.id == query(ctx, "program")), None)
    program_id = program.id if program else None
    # Earnings are summed in one currency: the program's, or the newest program's.
    currency = program.currency if program else (programs[0].currency if programs else "USD")
    funnel = await analytics.funnel(
        ctx.session,
        ctx.auth,
        program_id=program_id,
        currency=currency,
        period=period,
        interval="day",
    )
    total = funnel.total
    stages = [
        ("Scans", total.impressions, f"{total.impressions:,}"),
        ("Referrals", total.referrals, f"{total.referrals:,}"),
        ("Converted", total.converted, f"{total.converted:,}"),
        ("Verified", total.verified, f"{total.verified:,}"),
    ]
    days = {
        cut.date().isoformat(): {"scans": figures.impressions, "signups": figures.referrals}
        for cut, figures in zip(funnel.cuts, funnel.intervals, strict=False)
    }
    top_ambassadors, top_posters = await insight.top_lists(
        ctx, program_id=program_id, currency=currency, period=period
    )
    return render(
        ctx,
        "overview.html",
        steps=await _next_steps(ctx, has_programs=bool(programs)),
        programs=programs,
        program_id=program_id or "",
        dates=dates,
        funnel=total,
        earned=f"{to_major(total.earnings_amount, currency)} {currency}",
        funnel_chart=charts.funnel_svg(stages),
        series_chart=charts.series_svg(days, ("scans", "signups")),
        top_ambassadors=top_ambassadors,
        top_posters=top_posters,
    )


async def _next_steps(ctx: Context, *, has_programs: bool) -> list[tuple[str, str, str, bool]]:
    """What is left to set up in this mode, in order: (id, words, link, done). Empty once
    everything is there."""
    keys = [
        k for k in await api_key_service.list_keys(ctx.session, owner=ctx.auth) if not k.revoked_at
    ]
    posters, _ = await poster_service.list_posters(
        ctx.session, ctx.auth, program_id=None, student_id=None, page=Page(1, 0)
    )
    users, _ = await user_service.list_users(
        ctx.session, ctx.auth, program_id=None, page=Page(1, 0)
    )
    steps = [
        ("program", "Create a program: its landing page and the commission", f"{PREFIX}/programs/new",
         has_programs),
        ("key", "Make an API key for your website to record signups and sales", f"{PREFIX}/keys",
         bool(keys)),
        ("ambassador", "Add an ambassador", f"{PREFIX}/ambassadors/new", bool(users)),
        ("poster", "Give the ambassador a poster and print it", f"{PREFIX}/ambassadors",
         bool(posters)),
    ]  # fmt: skip
    return [] if all(done for *_, done in steps) else steps
