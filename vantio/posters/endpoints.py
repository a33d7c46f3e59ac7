from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import StreamingResponse

from vantio.http.dependencies import AuthDep, ReferralPageDep, RuntimeDep, SessionDep, one_of
from vantio.http.routes import ReferralRoute, content, errors, idempotent
from vantio.kit.schemas import PosterId, ProgramId, UserId
from vantio.posters import printing, renderer, service
from vantio.posters.models import Poster
from vantio.posters.schemas import PosterCreate, PosterList, PosterOut, PosterUpdate

router = APIRouter(prefix="/posters", tags=["Posters"], route_class=ReferralRoute)
# A program's posters in one PDF: under /programs, served here (programs know nothing of posters).
program_router = APIRouter(prefix="/programs", tags=["Posters"], route_class=ReferralRoute)

ProgramFilter = Annotated[ProgramId | None, Query(description="Only this program's posters")]
StudentFilter = Annotated[UserId | None, Query(description="Only this ambassador's posters")]
PaperQuery = Annotated[printing.Paper, Query(description="Paper size: a4 (default) or letter")]
AmbassadorQuery = Annotated[bool, Query(description="Print the ambassador's name (default true)")]
PDF = content("The PDF, as an attachment", "application/pdf")


@router.get("", response_model=PosterList)
async def list_posters(
    session: SessionDep,
    auth: AuthDep,
    runtime: RuntimeDep,
    page: ReferralPageDep,
    programId: ProgramFilter = None,
    program_id: ProgramFilter = None,
    studentId: StudentFilter = None,
    student_id: StudentFilter = None,
) -> PosterList:
    """List posters, newest first."""
    rows, has_more = await service.list_posters(
        session,
        auth,
        program_id=one_of(programId, program_id),
        student_id=one_of(studentId, student_id),
        page=page,
    )
    public_url = runtime.settings.public_base_url()
    return PosterList(
        posters=[PosterOut.of(p, public_url=public_url) for p in rows], has_more=has_more
    )


@router.post("", response_model=PosterOut, responses=errors(404))
@idempotent("posters.create")
async def create_poster(
    session: SessionDep, auth: AuthDep, runtime: RuntimeDep, body: PosterCreate
) -> PosterOut:
    """Create a poster for an ambassador, with its scan URL and QR code."""
    return _out(await service.create_poster(session, auth, data=body), runtime)


@router.get("/{id}", response_model=PosterOut)
async def get_poster(
    session: SessionDep, auth: AuthDep, runtime: RuntimeDep, id: PosterId
) -> PosterOut:
    """Retrieve a poster."""
    return _out(await service.get_poster_or_raise(session, auth, poster_id=id), runtime)


@router.put("/{id}", response_model=PosterOut)
async def update_poster(
    session: SessionDep,
    auth: AuthDep,
    runtime: RuntimeDep,
    id: PosterId,
    body: PosterUpdate,
) -> PosterOut:
    """Update a poster's location, destination or metadata."""
    return _out(await service.update_poster(session, auth, poster_id=id, data=body), runtime)


@router.get("/{id}/poster.pdf", response_class=StreamingResponse, responses={200: PDF})
async def poster_pdf(
    session: SessionDep,
    auth: AuthDep,
    runtime: RuntimeDep,
    id: PosterId,
    paper: PaperQuery = "a4",
    ambassador: AmbassadorQuery = True,
) -> StreamingResponse:
    """Download the poster, ready to print, as a one-page PDF (A4 or US Letter)."""
    job = await printing.poster_job(
        session,
        auth,
        poster_id=id,
        public_url=runtime.settings.public_base_url(),
        with_ambassador=ambassador,
    )
    return pdf_download(job, paper=paper)


@program_router.get(
    "/{id}/posters.pdf", response_class=StreamingResponse, responses={200: PDF, **errors(409)}
)
async def program_posters_pdf(
    session: SessionDep,
    auth: AuthDep,
    runtime: RuntimeDep,
    id: ProgramId,
    paper: PaperQuery = "a4",
    ambassador: AmbassadorQuery = True,
) -> StreamingResponse:
    """Download all the program's posters in one PDF, a page each, grouped by ambassador."""
    job = await printing.program_job(
        session,
        auth,
        program_id=id,
        public_url=runtime.settings.public_base_url(),
        with_ambassador=ambassador,
    )
    return pdf_download(job, paper=paper)


def pdf_download(job: printing.PrintJob, *, paper: printing.Paper) -> StreamingResponse:
    """The PDF as an attachment, drawn once the response starts (after the commit): the API's
    and the dashboard's answer."""

    async def body() -> AsyncIterator[bytes]:
        yield await renderer.render(job.branding, job.sheets, paper=paper)

    return StreamingResponse(
        body(),
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{job.filename}"',
            "Cache-Control": "no-store",
        },
    )


def _out(poster: Poster, runtime: RuntimeDep) -> PosterOut:
    return PosterOut.of(poster, public_url=runtime.settings.public_base_url())
