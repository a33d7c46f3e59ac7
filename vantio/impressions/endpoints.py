from typing import Annotated

from fastapi import APIRouter, Query

from vantio.http.dependencies import AuthDep, ReferralPageDep, SessionDep, one_of
from vantio.http.routes import ReferralRoute, errors, idempotent
from vantio.impressions import service
from vantio.impressions.schemas import ImpressionCreate, ImpressionList, ImpressionOut
from vantio.kit.schemas import ImpressionId, PosterId, ProgramId, UserId

router = APIRouter(prefix="/impressions", tags=["Impressions"], route_class=ReferralRoute)

ProgramFilter = Annotated[ProgramId | None, Query(description="Only this program's impressions")]
PosterFilter = Annotated[PosterId | None, Query(description="Only this poster's impressions")]
StudentFilter = Annotated[UserId | None, Query(description="Only this ambassador's impressions")]


@router.get("", response_model=ImpressionList)
async def list_impressions(
    session: SessionDep,
    auth: AuthDep,
    page: ReferralPageDep,
    programId: ProgramFilter = None,
    program_id: ProgramFilter = None,
    posterId: PosterFilter = None,
    poster_id: PosterFilter = None,
    studentId: StudentFilter = None,
    student_id: StudentFilter = None,
) -> ImpressionList:
    """List impressions (QR scans), newest first."""
    rows, has_more = await service.list_impressions(
        session,
        auth,
        program_id=one_of(programId, program_id),
        poster_id=one_of(posterId, poster_id),
        student_id=one_of(studentId, student_id),
        page=page,
    )
    return ImpressionList(impressions=[ImpressionOut.of(i) for i in rows], has_more=has_more)


@router.post("", response_model=ImpressionOut, responses=errors(404))
@idempotent("impressions.create")
async def create_impression(
    session: SessionDep, auth: AuthDep, body: ImpressionCreate
) -> ImpressionOut:
    """Record a scan of a poster, for integrators who run their own redirect."""
    return ImpressionOut.of(await service.create_impression(session, auth, data=body))


@router.get("/{id}", response_model=ImpressionOut)
async def get_impression(session: SessionDep, auth: AuthDep, id: ImpressionId) -> ImpressionOut:
    """Retrieve an impression."""
    return ImpressionOut.of(await service.get_impression_or_raise(session, auth, impression_id=id))
