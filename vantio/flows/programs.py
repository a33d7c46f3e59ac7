"""Programs and the vouchers they hand out: a program's `referee_voucher_id` must name a live
voucher of the same account and mode. The check reads vouchers, so it lives here, above both
domains (the programs domain knows no voucher; the vouchers domain reads programs)."""

from sqlalchemy.ext.asyncio import AsyncSession

from vantio.auth.context import AuthContext
from vantio.errors import FieldError, ReferenceNotFound
from vantio.programs import service as program_service
from vantio.programs.models import Program
from vantio.programs.schemas import ProgramCreate, ProgramUpdate
from vantio.vouchers import service as voucher_service


async def create_program(
    session: AsyncSession, auth: AuthContext, *, data: ProgramCreate
) -> Program:
    """Create a program, its referee voucher (if any) checked first."""
    if data.referee_voucher_id is not None:
        await check_referee_voucher(session, auth, voucher_id=data.referee_voucher_id)
    return await program_service.create_program(session, auth, data=data)


async def update_program(
    session: AsyncSession, auth: AuthContext, *, program_id: str, data: ProgramUpdate
) -> Program:
    """Update a program (404 first), its new referee voucher (if any) checked."""
    await program_service.get_program_or_raise(session, auth, program_id=program_id)
    if data.referee_voucher_id is not None:
        await check_referee_voucher(session, auth, voucher_id=data.referee_voucher_id)
    return await program_service.update_program(session, auth, program_id=program_id, data=data)


async def check_referee_voucher(
    session: AsyncSession, auth: AuthContext, *, voucher_id: str
) -> None:
    """The referee voucher must be a live voucher of the same account and mode."""
    voucher = await voucher_service.get_voucher(session, auth, voucher_id=voucher_id)
    if voucher is None:
        raise ReferenceNotFound("referee_voucher_id", "voucher", voucher_id)
    if voucher.deleted_at is not None:
        raise FieldError("referee_voucher_id", f"voucher {voucher_id} was deleted")
