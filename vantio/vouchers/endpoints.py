from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from vantio.config import RateClass
from vantio.flows import referral_loop
from vantio.http.dependencies import AuthDep, SessionDep, VoucherPageDep
from vantio.http.routes import VoucherRoute, errors, idempotent, rate_class
from vantio.http.surfaces import voucher_surface
from vantio.kit.schemas import prefixed
from vantio.vouchers import redemption, service, validation
from vantio.vouchers.answers import (
    ErrorOut,
    InvalidValidation,
    StackValidationOut,
    ValidationOut,
    validation_out,
)
from vantio.vouchers.schemas import (
    ApplicationOut,
    ApplyRequest,
    DeletedVoucher,
    RemoveRequest,
    RollbackOut,
    RollbackRequest,
    ValidateRequest,
    VoucherCreate,
    VoucherList,
    VoucherOut,
    VoucherStatus,
    VoucherType,
    VoucherUpdate,
)

router = APIRouter(prefix="/vouchers", tags=["Vouchers"], route_class=VoucherRoute)

VoucherId = Annotated[str, prefixed("v")]
ApplicationId = Annotated[str, prefixed("va")]


@router.post("", response_model=VoucherOut)
@rate_class(RateClass.VOUCHERS_CREATE)
@idempotent("vouchers.create")
async def create_voucher(session: SessionDep, auth: AuthDep, body: VoucherCreate) -> VoucherOut:
    """Create a voucher (a basic or an advanced type)."""
    return VoucherOut.of(await service.create_voucher(session, auth, data=body))


@router.get("", response_model=VoucherList)
async def list_vouchers(
    session: SessionDep,
    auth: AuthDep,
    page: VoucherPageDep,
    status: Annotated[
        VoucherStatus | None, Query(description="Only vouchers in this status")
    ] = None,
    type: Annotated[VoucherType | None, Query(description="Only vouchers of this type")] = None,
    created_after: Annotated[datetime | None, Query(description="Created after this time")] = None,
    created_before: Annotated[
        datetime | None, Query(description="Created before this time")
    ] = None,
) -> VoucherList:
    """List vouchers, newest first, with filters and pagination."""
    rows, total = await service.list_vouchers(
        session,
        auth,
        status=status,
        type=type,
        created_after=created_after,
        created_before=created_before,
        page=page,
    )
    return VoucherList(
        data=[VoucherOut.of(v) for v in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
        has_more=page.offset + len(rows) < total,
    )


ValidateAnswer = ValidationOut | StackValidationOut | InvalidValidation


@router.post("/validate", response_model=ValidateAnswer, responses=errors(404))
@rate_class(RateClass.VOUCHERS_VALIDATE)
@idempotent("vouchers.validate")
async def validate_voucher(
    session: SessionDep, auth: AuthDep, body: ValidateRequest
) -> ValidateAnswer | Response:
    """Check a code (or a stack of codes) against an order and compute the discount."""
    outcome = await validation.validate(session, auth, data=body)
    if outcome.error is None:
        return validation_out(
            outcome.priced(), multiple=outcome.multiple, currency=outcome.currency
        )
    if body.soft:
        return InvalidValidation(
            error=ErrorOut.model_validate(voucher_surface.body(outcome.error)["error"])
        )
    # Rendered rather than raised, so that the recorded attempt commits with the answer.
    return voucher_surface.render(outcome.error)


@router.post("/apply", response_model=ApplicationOut, responses=errors(404))
@rate_class(RateClass.VOUCHERS_APPLY)
@idempotent("vouchers.apply")
async def apply_voucher(session: SessionDep, auth: AuthDep, body: ApplyRequest) -> ApplicationOut:
    """Apply a voucher to an order: re-validates, then records the redemption (idempotent)."""
    applied = await referral_loop.apply_voucher(session, auth, data=body)
    return ApplicationOut.of(applied.application)


@router.post("/remove", response_model=RollbackOut, responses=errors(404))
@idempotent("vouchers.remove")
async def remove_voucher(session: SessionDep, auth: AuthDep, body: RemoveRequest) -> RollbackOut:
    """Remove an applied code from an order (the SDK's `remove`): a rollback by code and order."""
    record = await referral_loop.remove(
        session, auth, code=body.code, order_id=body.order_id, reason=body.reason
    )
    return await redemption.rollback_out(session, auth, record)


@router.post("/applications/{id}/rollback", response_model=RollbackOut)
@idempotent("vouchers.rollback_application")
async def rollback_application(
    session: SessionDep, auth: AuthDep, id: ApplicationId, body: RollbackRequest | None = None
) -> RollbackOut:
    """Roll back a voucher application, giving its usage back (and reversing its commission)."""
    record = await referral_loop.rollback(
        session, auth, application_id=id, reason=body.reason if body else None
    )
    return await redemption.rollback_out(session, auth, record)


@router.get("/applications/{id}", response_model=ApplicationOut)
async def get_application(session: SessionDep, auth: AuthDep, id: ApplicationId) -> ApplicationOut:
    """Retrieve a voucher application."""
    application = await redemption.get_application_or_raise(session, auth, application_id=id)
    return ApplicationOut.of(application)


@router.get("/{id}", response_model=VoucherOut)
async def get_voucher(session: SessionDep, auth: AuthDep, id: VoucherId) -> VoucherOut:
    """Retrieve a voucher with its usage history."""
    voucher = await service.get_voucher_or_raise(session, auth, voucher_id=id)
    history = await service.usage_history(session, auth, voucher_id=voucher.id)
    return VoucherOut.of(voucher, list(history))


@router.put("/{id}", response_model=VoucherOut)
async def update_voucher(
    session: SessionDep, auth: AuthDep, id: VoucherId, body: VoucherUpdate
) -> VoucherOut:
    """Update a voucher's value, conditions (merged) or status; code and type are fixed."""
    return VoucherOut.of(await service.update_voucher(session, auth, voucher_id=id, data=body))


@router.delete("/{id}", response_model=DeletedVoucher)
async def delete_voucher(session: SessionDep, auth: AuthDep, id: VoucherId) -> DeletedVoucher:
    """Delete a voucher (soft: it turns inactive and keeps its history)."""
    voucher = await service.delete_voucher(session, auth, voucher_id=id)
    return DeletedVoucher(id=voucher.id, deleted_at=voucher.deleted_at or voucher.updated_at)
