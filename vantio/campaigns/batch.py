"""Batch create and batch validate: each item in its own savepoint, results in input order.

An item that fails (bad input, a duplicate code, a database error) rolls back only its own
savepoint; the others keep their work, events included, and commit with the request.
"""

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from vantio.auth.context import AuthContext
from vantio.campaigns.schemas import (
    BatchCreateOut,
    BatchValidateOut,
    CreatedItem,
    FailedItem,
    IndexedStackValidation,
    IndexedValidation,
    InvalidItem,
    ItemError,
)
from vantio.errors import Conflict, FieldError, VantioError, invalid_input
from vantio.vouchers import service as voucher_service
from vantio.vouchers import validation as voucher_validation
from vantio.vouchers.answers import StackValidationOut, validation_out
from vantio.vouchers.schemas import (
    ValidateRequest,
    VoucherCreate,
    VoucherOut,
)

M = TypeVar("M", bound=BaseModel)

MAX_CREATE = 1_000
MAX_VALIDATE = 100


def items_of(body: Any, *, key: str, maximum: int) -> list[Any]:
    """The items of `{key: [...]}` or of a bare array, 1 to `maximum` of them."""
    if isinstance(body, dict):
        unknown = sorted(set(body) - {key, "idempotency_key"})
        if unknown:
            raise FieldError(unknown[0], "unknown field")
        if key not in body:
            raise FieldError(key, "field required")
        body = body[key]
    if not isinstance(body, list):
        raise FieldError(key, f"send an array, or an object with '{key}' holding one")
    if not body:
        raise FieldError(key, "send at least one item")
    if len(body) > maximum:
        raise FieldError(key, f"at most {maximum} items per batch (got {len(body)})")
    return body


def error_body(error: VantioError) -> ItemError:
    """An item's error as the Voucher API renders errors, with the status it would have had."""
    return ItemError(
        status=error.status,
        code=error.code.upper(),
        message=error.message,
        details=error.details,
    )


def _parse(model: type[M], raw: Any) -> M:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise invalid_input(exc.errors()) from None


class ItemFailed(Conflict):
    code = "batch_item_failed"
    message = "The database refused this item"


async def create_many(
    session: AsyncSession, auth: AuthContext, *, items: list[Any]
) -> BatchCreateOut:
    results: list[CreatedItem | FailedItem] = []
    for index, raw in enumerate(items):
        try:
            data = _parse(VoucherCreate, raw)
            try:
                async with session.begin_nested():
                    voucher = await voucher_service.create_voucher(session, auth, data=data)
            except DBAPIError as exc:
                raise ItemFailed(details={"reason": type(exc.orig).__name__}) from None
        except VantioError as error:
            results.append(FailedItem(index=index, error=error_body(error)))
            continue
        results.append(CreatedItem(index=index, voucher=VoucherOut.of(voucher)))
    succeeded = sum(1 for r in results if r.success)
    return BatchCreateOut(
        results=results,
        total=len(results),
        succeeded=succeeded,
        failed=len(results) - succeeded,
    )


async def validate_many(
    session: AsyncSession, auth: AuthContext, *, items: list[Any]
) -> BatchValidateOut:
    validations: list[IndexedValidation | IndexedStackValidation | InvalidItem] = []
    for index, raw in enumerate(items):
        try:
            if isinstance(raw, dict) and ("soft" in raw):
                raise FieldError("soft", "not taken in a batch: every item answers softly")
            data = _parse(ValidateRequest, raw)
            try:
                async with session.begin_nested():
                    validation = await voucher_validation.validate(session, auth, data=data)
            except DBAPIError as exc:
                raise ItemFailed(details={"reason": type(exc.orig).__name__}) from None
        except VantioError as error:
            validations.append(InvalidItem(index=index, error=error_body(error)))
            continue
        if validation.error is not None:
            validations.append(InvalidItem(index=index, error=error_body(validation.error)))
            continue
        body = validation_out(
            validation.priced(), multiple=validation.multiple, currency=validation.currency
        )
        if isinstance(body, StackValidationOut):
            validations.append(IndexedStackValidation(index=index, **dict(body)))
        else:
            validations.append(IndexedValidation(index=index, **dict(body)))
    valid = sum(1 for v in validations if v.is_valid)
    return BatchValidateOut(
        validations=validations,
        total=len(validations),
        valid=valid,
        invalid=len(validations) - valid,
    )
