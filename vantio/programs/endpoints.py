from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from vantio.errors import NotFound
from vantio.flows import programs as program_flow
from vantio.http.dependencies import AuthDep, ReferralPageDep, SessionDep
from vantio.http.routes import ReferralRoute, content, errors, idempotent
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
        headline=program.headline,
        incentive=program.incentive,
        brand_color=program.brand_color,
        logo_media_type=program.logo_media_type,
        hold_days=program.hold_days,
        commission_months=program.commission_months,
        commission_cap=program.commission_cap,
        payout_sender=program.payout_sender,
        metadata=program.metadata_,
        created_at=program.created_at,
        updated_at=program.updated_at,
    )


@router.post("", response_model=ProgramOut, responses=errors(404))
@idempotent("programs.create")
async def create_program(session: SessionDep, auth: AuthDep, body: ProgramCreate) -> ProgramOut:
    """Create a program with its landing page, commission and payout rules."""
    return to_out(await program_flow.create_program(session, auth, data=body))


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
    return to_out(await program_flow.update_program(session, auth, program_id=id, data=body))


_IMAGE_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The image itself, PNG or JPEG, at most 512 KB and 4096 pixels a side.",
        "content": {
            media_type: {"schema": {"type": "string", "format": "binary"}}
            for media_type in ("image/png", "image/jpeg")
        },
    }
}


@router.put("/{id}/logo", response_model=ProgramOut, openapi_extra=_IMAGE_BODY)
async def set_logo(
    session: SessionDep, auth: AuthDep, id: ProgramId, request: Request
) -> ProgramOut:
    """Set the logo its posters print: the request body is the PNG or JPEG image."""
    content = await request.body()
    return to_out(await service.set_logo(session, auth, program_id=id, content=content))


@router.delete("/{id}/logo", response_model=ProgramOut)
async def remove_logo(session: SessionDep, auth: AuthDep, id: ProgramId) -> ProgramOut:
    """Remove the program's logo."""
    return to_out(await service.remove_logo(session, auth, program_id=id))


@router.get(
    "/{id}/logo",
    response_class=Response,
    responses={200: content("The logo, as stored", "image/png", "image/jpeg")},
)
async def get_logo(session: SessionDep, auth: AuthDep, id: ProgramId) -> Response:
    """Download the program's logo as it was uploaded (404 when it has none)."""
    program = await service.get_program_or_raise(session, auth, program_id=id)
    logo = await service.get_logo(session, auth, program=program)
    if logo is None:
        raise NotFound(f"Program {id} has no logo")
    return Response(logo.content, media_type=logo.media_type)
