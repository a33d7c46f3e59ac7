from fastapi import APIRouter

from vantio.http.dependencies import AuthDep, ReferralPageDep, SessionDep
from vantio.http.routes import ReferralRoute, errors, idempotent
from vantio.kit.schemas import ProgramId
from vantio.programs import service
from vantio.programs.models import Program
from vantio.programs.schemas import ProgramCreate, ProgramList, ProgramOut, ProgramUpdate

router = APIRouter(prefix="/programs", tags=["Programs"], route_class=ReferralRoute)


def to_out(program: Program) -> ProgramOut:
    return ProgramOut(
        id=program.id,
        name=program.name,
        description=program.description,
        landing_url=program.landing_url,
        currency=program.currency,
        commission=program.commission,
        payout_schedule=program.payout_schedule,
        minimum_payout=program.minimum_payout,
        attribution_window_days=program.attribution_window_days,
        referee_voucher_id=program.referee_voucher_id,
        metadata=program.metadata_,
        created_at=program.created_at,
        updated_at=program.updated_at,
    )


@router.post("", response_model=ProgramOut, responses=errors(404))
@idempotent("programs.create")
async def create_program(session: SessionDep, auth: AuthDep, body: ProgramCreate) -> ProgramOut:
    """Create a program with its landing page, commission and payout rules."""
    return to_out(await service.create_program(session, auth, data=body))


@router.get("", response_model=ProgramList)
async def list_programs(session: SessionDep, auth: AuthDep, page: ReferralPageDep) -> ProgramList:
    """List programs, newest first."""
    rows, has_more = await service.list_programs(session, auth, page=page)
    return ProgramList(programs=[to_out(p) for p in rows], has_more=has_more)


@router.get("/{id}", response_model=ProgramOut)
async def get_program(session: SessionDep, auth: AuthDep, id: ProgramId) -> ProgramOut:
    """Retrieve a program."""
    return to_out(await service.get_program_or_raise(session, auth, program_id=id))


@router.put("/{id}", response_model=ProgramOut)
async def update_program(
    session: SessionDep, auth: AuthDep, id: ProgramId, body: ProgramUpdate
) -> ProgramOut:
    """Update a program; only the fields sent change, metadata merges."""
    return to_out(await service.update_program(session, auth, program_id=id, data=body))
