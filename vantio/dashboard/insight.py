"""The figures of one program, poster or ambassador over a chosen range, for their pages.

Every number comes from the analytics service (vantio/analytics/service.py), the code behind
GET /api/v1/analytics/funnel, /leaderboard and /posters: the dashboard holds no query of its own.
"""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from markupsafe import Markup

from vantio.analytics import periods
from vantio.analytics import service as analytics
from vantio.dashboard import charts
from vantio.dashboard.common import query
from vantio.dashboard.web import Context
from vantio.kit.money import to_major

TOP = 5
SERIES = ("scans", "unique scanners", "signups", "conversions")


@dataclass(frozen=True)
class Ranked:
    id: str
    label: str
    detail: str
    count: int


@dataclass(frozen=True)
class Activity:
    """What a page shows: the range, the totals, the charts."""

    dates: dict[str, str]
    figures: dict[str, str]
    chart: Markup
    earnings_chart: Markup
    currency: str
    period: periods.Range

    def values(self) -> dict[str, Any]:
        return {
            "dates": self.dates,
            "activity": self.figures,
            "activity_chart": self.chart,
            "earnings_chart": self.earnings_chart,
            "currency": self.currency,
        }


def period_of(ctx: Context) -> tuple[periods.Range, dict[str, str]]:
    """The `from`/`to` days of the query (both included; default the last 30 days), in UTC as
    the API reads them."""
    period = periods.parse_range(query(ctx, "from"), query(ctx, "to"), None)
    dates = {
        "from": period.start.date().isoformat(),
        "to": (period.end - timedelta(days=1)).date().isoformat(),
    }
    return period, dates


async def activity(
    ctx: Context,
    *,
    program_id: str,
    currency: str,
    poster_id: str | None = None,
    student_id: str | None = None,
) -> Activity:
    """Scans, unique scanners, signups, conversions and earnings per day, as
    GET /api/v1/analytics/funnel?unique_scanners=true answers them for the same narrowing."""
    period, dates = period_of(ctx)
    funnel = await analytics.funnel(
        ctx.session,
        ctx.auth,
        program_id=program_id,
        currency=currency,
        period=period,
        interval="day",
        poster_id=poster_id,
        student_id=student_id,
        unique_scanners=True,
    )
    scanners = funnel.unique_scanners or [0] * len(funnel.intervals)
    days = {
        cut.date().isoformat(): {
            "scans": figures.impressions,
            "unique scanners": devices,
            "signups": figures.referrals,
            "conversions": figures.converted,
        }
        for cut, figures, devices in zip(funnel.cuts, funnel.intervals, scanners, strict=False)
    }
    money = {
        cut.date().isoformat(): {"earnings": figures.earnings_amount}
        for cut, figures in zip(funnel.cuts, funnel.intervals, strict=False)
    }
    total = funnel.total
    figures = {
        "scans": f"{total.impressions:,}",
        "unique_scanners": f"{funnel.unique_scanners_total or 0:,}",
        "signups": f"{total.referrals:,}",
        "conversions": f"{total.converted:,}",
        "earnings": f"{to_major(total.earnings_amount, currency)} {currency}",
    }
    return Activity(
        dates=dates,
        figures=figures,
        chart=charts.series_svg(days, SERIES),
        earnings_chart=charts.series_svg(
            money,
            ("earnings",),
            fmt=lambda amount: f"{to_major(amount, currency)} {currency}",
            empty="No earnings in this period.",
        ),
        currency=currency,
        period=period,
    )


async def top_lists(
    ctx: Context, *, program_id: str | None, currency: str, period: periods.Range
) -> tuple[list[Ranked], list[Ranked]]:
    """The top ambassadors (by referrals) and posters (by scans) of the range, ranked as
    GET /api/v1/analytics/leaderboard and /posters rank them, without the zeros."""
    leaders = await analytics.leaderboard(
        ctx.session, ctx.auth, program_id=program_id, currency=currency, period=period
    )
    places = await analytics.posters(ctx.session, ctx.auth, program_id=program_id, period=period)
    ambassadors = [
        Ranked(
            a.user.id, f"{a.user.first_name} {a.user.last_name}", a.user.email, a.figures.referrals
        )
        for a in analytics.rank_ambassadors(leaders, "referrals")
        if a.figures.referrals
    ][:TOP]
    posters = [
        Ranked(
            p.poster.id, p.poster.location or "(no location)", p.poster.code, p.figures.impressions
        )
        for p in analytics.rank_posters(places)
        if p.figures.impressions
    ][:TOP]
    return ambassadors, posters


async def poster_rank(
    ctx: Context, *, program_id: str, poster_id: str, period: periods.Range
) -> tuple[int, int]:
    """The poster's place among its program's posters in the range (most scans first, as
    GET /api/v1/analytics/posters orders them), and how many there are."""
    ranked = analytics.rank_posters(
        await analytics.posters(ctx.session, ctx.auth, program_id=program_id, period=period)
    )
    place = next(i for i, row in enumerate(ranked, start=1) if row.poster.id == poster_id)
    return place, len(ranked)
