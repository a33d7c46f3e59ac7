from typing import Annotated, Literal

from fastapi import APIRouter, Query
from sqlalchemy.ext.asyncio import AsyncSession

from vantio.analytics import service
from vantio.analytics.periods import parse_range, zone
from vantio.analytics.schemas import (
    AmbassadorRow,
    FunnelInterval,
    FunnelOut,
    FunnelTotal,
    LeaderboardOut,
    LocationRow,
    PosterRow,
    PostersOut,
)
from vantio.auth.context import AuthContext
from vantio.http.dependencies import AuthDep, ReferralPageDep, SessionDep, one_of
from vantio.http.routes import ReferralRoute, errors
from vantio.kit.schemas import Currency, PosterId, ProgramId, UserId
from vantio.posters import service as poster_service
from vantio.programs import service as program_service
from vantio.users import service as user_service

router = APIRouter(prefix="/analytics", tags=["Analytics"], route_class=ReferralRoute)

ProgramFilter = Annotated[
    ProgramId | None, Query(description="The program (default: every program of the account)")
]
From = Annotated[
    str | None,
    Query(alias="from", description="Start: a date (local midnight) or an ISO 8601 time"),
]
To = Annotated[
    str | None,
    Query(description="End: a date (that whole day included) or an ISO 8601 time (excluded)"),
]
Tz = Annotated[
    str | None, Query(description="IANA time zone of dates and day boundaries (default UTC)")
]
PosterFilter = Annotated[
    PosterId | None, Query(description="Only this poster: its scans, their referrals and earnings")
]
StudentFilter = Annotated[
    UserId | None, Query(description="Only this ambassador: their scans, referrals and earnings")
]
CurrencyParam = Annotated[
    Currency | None, Query(description="Currency of the earnings figures (default: the program's)")
]


async def _currency(
    session: AsyncSession, auth: AuthContext, program_id: str | None, currency: str | None
) -> str:
    """The program's currency (404 for a program that is not the caller's), unless one is asked."""
    if program_id is None:
        return currency or "USD"
    program = await program_service.get_program_or_raise(session, auth, program_id=program_id)
    return currency or program.currency


@router.get("/funnel", response_model=FunnelOut, responses=errors(404))
async def funnel(
    session: SessionDep,
    auth: AuthDep,
    program_id: ProgramFilter = None,
    programId: ProgramFilter = None,
    from_: From = None,
    to: To = None,
    interval: Annotated[
        Literal["day", "week", "month"], Query(description="Length of each interval")
    ] = "day",
    tz: Tz = None,
    currency: CurrencyParam = None,
    poster_id: PosterFilter = None,
    posterId: PosterFilter = None,
    student_id: StudentFilter = None,
    studentId: StudentFilter = None,
    unique_scanners: Annotated[
        bool, Query(description="Also count distinct scanning devices (reads every scan)")
    ] = False,
) -> FunnelOut:
    """Impressions, referrals, conversions and earnings per day, week or month, with rates."""
    program = one_of(program_id, programId)
    poster = one_of(poster_id, posterId)
    student = one_of(student_id, studentId)
    period = parse_range(from_, to, tz)
    if poster is not None:  # 404 for a poster that is not the caller's
        found = await poster_service.get_poster_or_raise(session, auth, poster_id=poster)
        program = program or found.program_id
    if student is not None:
        user = await user_service.get_user_or_raise(session, auth, user_id=student)
        program = program or user.program_id
    money = await _currency(session, auth, program, currency)
    result = await service.funnel(
        session,
        auth,
        program_id=program,
        currency=money,
        period=period,
        interval=interval,
        poster_id=poster,
        student_id=student,
        unique_scanners=unique_scanners,
    )
    scanners: list[int | None] = (
        list(result.unique_scanners)
        if result.unique_scanners is not None
        else [None] * len(result.intervals)
    )
    return FunnelOut(
        program_id=program,
        poster_id=poster,
        student_id=student,
        currency=money,
        interval=interval,
        tz=period.tz.key,
        start=period.start,
        end=period.end,
        intervals=[
            FunnelInterval(start=start, end=end, unique_scanners=devices, **vars(figures))
            for start, end, figures, devices in zip(
                result.cuts[:-1], result.cuts[1:], result.intervals, scanners, strict=True
            )
        ],
        total=FunnelTotal(
            **vars(result.total),
            **result.total.rates(),
            unique_scanners=result.unique_scanners_total,
        ),
    )


@router.get("/leaderboard", response_model=LeaderboardOut, responses=errors(404))
async def leaderboard(
    session: SessionDep,
    auth: AuthDep,
    page: ReferralPageDep,
    program_id: ProgramFilter = None,
    programId: ProgramFilter = None,
    from_: From = None,
    to: To = None,
    tz: Tz = None,
    currency: CurrencyParam = None,
    sort: Annotated[
        Literal["referrals", "conversions", "earnings"],
        Query(description="Rank by referrals, conversions or earnings amount"),
    ] = "referrals",
) -> LeaderboardOut:
    """Ambassadors ranked by referrals, conversions or earnings, with their scan-to-signup rates."""
    program = one_of(program_id, programId)
    period = parse_range(from_, to, tz)
    money = await _currency(session, auth, program, currency)
    rows = await service.leaderboard(
        session, auth, program_id=program, currency=money, period=period
    )
    rows = service.rank_ambassadors(rows, sort)
    shown = rows[page.offset : page.offset + page.limit]
    return LeaderboardOut(
        program_id=program,
        currency=money,
        sort=sort,
        start=period.start,
        end=period.end,
        ambassadors=[
            AmbassadorRow(
                rank=page.offset + position + 1,
                student_id=row.user.id,
                program_id=row.user.program_id,
                first_name=row.user.first_name,
                last_name=row.user.last_name,
                email=row.user.email,
                scan_to_signup_rate=service.rate(row.figures.referrals, row.figures.impressions),
                signup_to_conversion_rate=service.rate(
                    row.figures.converted, row.figures.referrals
                ),
                **vars(row.figures),
            )
            for position, row in enumerate(shown)
        ],
        has_more=len(rows) > page.offset + page.limit,
    )


@router.get("/posters", response_model=PostersOut, responses=errors(404))
async def posters(
    session: SessionDep,
    auth: AuthDep,
    program_id: ProgramFilter = None,
    programId: ProgramFilter = None,
    from_: From = None,
    to: To = None,
    tz: Tz = None,
) -> PostersOut:
    """Scans, referrals and conversion rate per poster and per location."""
    program = one_of(program_id, programId)
    zone(tz)  # a bad tz is refused even without dates
    period = None if from_ is None and to is None else parse_range(from_, to, tz)
    await _currency(session, auth, program, None)
    rows = service.rank_posters(
        await service.posters(session, auth, program_id=program, period=period)
    )
    places: dict[str | None, list[service.PosterFigures]] = {}
    for row in rows:
        places.setdefault(row.poster.location, []).append(row)
    locations = []
    for location, members in places.items():
        total = service.Figures()
        for member in members:
            total.add(member.figures)
        locations.append(LocationRow(location=location, posters=len(members), **_place(total)))
    locations.sort(key=lambda r: (r.scans, r.referrals), reverse=True)
    return PostersOut(
        program_id=program,
        start=None if period is None else period.start,
        end=None if period is None else period.end,
        posters=[
            PosterRow(
                poster_id=row.poster.id,
                program_id=row.poster.program_id,
                student_id=row.poster.student_id,
                location=row.poster.location,
                **_place(row.figures),
            )
            for row in rows
        ],
        locations=locations,
    )


def _place(figures: service.Figures) -> dict[str, int | float | None]:
    return {
        "scans": figures.impressions,
        "referrals": figures.referrals,
        "converted": figures.converted,
        "scan_to_signup_rate": service.rate(figures.referrals, figures.impressions),
        "conversion_rate": service.rate(figures.converted, figures.impressions),
    }
