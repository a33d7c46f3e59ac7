from typing import Annotated

from fastapi import APIRouter, Query

from vantio.http.dependencies import AuthDep, ReferralPageDep, SessionDep, one_of
from vantio.http.routes import ReferralRoute, errors, idempotent
from vantio.kit.schemas import ProgramId, UserId
from vantio.users import service
from vantio.users.schemas import UserCreate, UserList, UserOut, UserUpdate

router = APIRouter(prefix="/users", tags=["Users"], route_class=ReferralRoute)

ProgramFilter = Annotated[ProgramId | None, Query(description="Only this program's users")]


@router.get("", response_model=UserList)
async def list_users(
    session: SessionDep,
    auth: AuthDep,
    page: ReferralPageDep,
    programId: ProgramFilter = None,
    program_id: ProgramFilter = None,
) -> UserList:
    """List ambassadors (users), newest first."""
    rows, has_more = await service.list_users(
        session, auth, program_id=one_of(programId, program_id), page=page
    )
    return UserList(users=[UserOut.of(u) for u in rows], has_more=has_more)


@router.post("", response_model=UserOut, responses=errors(404))
@idempotent("users.create")
async def create_user(session: SessionDep, auth: AuthDep, body: UserCreate) -> UserOut:
    """Add an ambassador to a program."""
    return UserOut.of(await service.create_user(session, auth, data=body))


@router.get("/{id}", response_model=UserOut)
async def get_user(session: SessionDep, auth: AuthDep, id: UserId) -> UserOut:
    """Retrieve an ambassador."""
    return UserOut.of(await service.get_user_or_raise(session, auth, user_id=id))


@router.put("/{id}", response_model=UserOut, responses=errors(409))
async def update_user(session: SessionDep, auth: AuthDep, id: UserId, body: UserUpdate) -> UserOut:
    """Update an ambassador; only the fields sent change, metadata merges."""
    return UserOut.of(await service.update_user(session, auth, user_id=id, data=body))
