"""Posters as PDF: what a poster prints, gathered from the database into a `PrintJob`.

The faces (the API's `GET /api/v1/posters/{id}/poster.pdf` and `.../programs/{id}/posters.pdf`,
the dashboard's links) read the job inside the request's transaction and draw it afterwards,
while the response streams (`vantio.posters.endpoints.pdf_download`, drawing with
vantio/posters/renderer.py): the request's database connection (SQLite has one per process) is
back in the pool by then.
"""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vantio.auth.context import AuthContext
from vantio.db import repository
from vantio.posters import pdf
from vantio.posters import service as poster_service
from vantio.posters.errors import NoPosters, TooManyPosters
from vantio.posters.models import Poster
from vantio.programs import service as program_service
from vantio.programs.models import Program
from vantio.users import service as user_service
from vantio.users.models import User

Paper = pdf.Paper
# One PDF holds at most this many pages; bench/posters_pdf.py measures time and memory per page.
MAX_POSTERS_PER_PDF = 1000


@dataclass(frozen=True)
class PrintJob:
    """Everything a PDF shows, read from the database before the drawing starts."""

    branding: pdf.Branding
    sheets: list[pdf.Sheet]
    filename: str


def paper_or_a4(value: str | None) -> Paper:
    """The dashboard's lenient reading of `?paper=` (the API refuses other values with 400)."""
    return "letter" if value == "letter" else "a4"


def scan_url(public_url: str, code: str) -> str:
    return f"{public_url}/s/{code}"


async def poster_job(
    session: AsyncSession,
    auth: AuthContext,
    *,
    poster_id: str,
    public_url: str,
    with_ambassador: bool,
) -> PrintJob:
    """One poster's page."""
    poster = await poster_service.get_poster_or_raise(session, auth, poster_id=poster_id)
    program = await program_service.get_program_or_raise(
        session, auth, program_id=poster.program_id
    )
    ambassador = None
    if with_ambassador:
        user = await user_service.get_user_or_raise(session, auth, user_id=poster.student_id)
        ambassador = _name(user.first_name, user.last_name)
    sheet = pdf.Sheet(scan_url(public_url, poster.code), poster.location, ambassador)
    return PrintJob(await _branding(session, auth, program), [sheet], f"poster-{poster.code}.pdf")


async def program_job(
    session: AsyncSession,
    auth: AuthContext,
    *,
    program_id: str,
    public_url: str,
    with_ambassador: bool,
) -> PrintJob:
    """A page for each of the program's posters, grouped by ambassador (to hand them out)."""
    program = await program_service.get_program_or_raise(session, auth, program_id=program_id)
    query = (
        select(Poster.code, Poster.location, User.first_name, User.last_name)
        .join(User, (User.id == Poster.student_id) & repository.same_owner(User, Poster))
        .where(repository.owned_by(Poster, auth), Poster.program_id == program.id)
        .order_by(User.last_name, User.first_name, User.id, Poster.id)
        .limit(MAX_POSTERS_PER_PDF + 1)
    )
    rows = (await session.execute(query)).all()
    if not rows:
        raise NoPosters(f"Program {program.id} has no posters to print yet")
    if len(rows) > MAX_POSTERS_PER_PDF:
        raise TooManyPosters(
            f"Program {program.id} has more than {MAX_POSTERS_PER_PDF} posters, more than one "
            "PDF holds; print them by ambassador or one by one"
        )
    sheets = [
        pdf.Sheet(
            scan_url(public_url, code),
            location,
            _name(first_name, last_name) if with_ambassador else None,
        )
        for code, location, first_name, last_name in rows
    ]
    return PrintJob(await _branding(session, auth, program), sheets, f"posters-{program.id}.pdf")


async def _branding(session: AsyncSession, auth: AuthContext, program: Program) -> pdf.Branding:
    logo = await program_service.get_logo(session, auth, program=program)
    return pdf.Branding(
        program_name=program.name,
        headline=program.headline,
        incentive=program.incentive,
        brand_color=program.brand_color,
        logo=logo.content if logo else None,
    )


def _name(first_name: str, last_name: str) -> str:
    return f"{first_name} {last_name}".strip()
