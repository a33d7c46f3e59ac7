"""Batch create and batch validate: each item in its own savepoint, results in input order.

An item that fails (bad input, a duplicate code, a database error) rolls back only its own
savepoint; the others keep their work, events included, and commit with the request.
"""

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from vantio.auth.context import AuthContext
from vantio.errors import Conflict, FieldError, VantioError, invalid_input
from vantio.vouchers import service as voucher_service
from vantio.vouchers.schemas import ValidateRequest, VoucherCreate, VoucherOut

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


def error_body(error: VantioError) -> dict[str, Any]:
    """An item's error as the Voucher API renders errors, with the status it would have had."""
    body: dict[str, Any] = {
        "status": error.status,
        "code": error.code.upper(),
        "message": error.message,
    }
    if error.details is not None:
        body["details"] = error.details
    return body


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
) -> dict[str, Any]:
    results: list[dict[str, Any]] = []
    for index, raw in enumerate(items):
        try:
            data = _parse(VoucherCreate, raw)
            try:
                async with session.begin_nested():
                    voucher = await voucher_service.create_voucher(session, auth, data=data)
            except DBAPIError as exc:
                raise ItemFailed(details={"reason": type(exc.orig).__name__}) from None
        except VantioError as error:
            results.append({"index": index, "success": False, "error": error_body(error)})
            continue
        results.append({"index": index, "success": True, "voucher": VoucherOut.of(voucher).wire()})
    succeeded = sum(1 for r in results if r["success"])
    return {
        "results": results,
        "total": len(results),
        "succeeded": succeeded,
        "failed": len(results) - succeeded,
    }


async def validate_many(
    session: AsyncSession, auth: AuthContext, *, items: list[Any]
) -> dict[str, Any]:
    validations: list[dict[str, Any]] = []
    for index, raw in enumerate(items):
        try:
            if isinstance(raw, dict) and ("soft" in raw):
                raise FieldError("soft", "not taken in a batch: every item answers softly")
            data = _parse(ValidateRequest, raw)
            try:
                async with session.begin_nested():
                    validation = await voucher_service.validate(session, auth, data=data)
            except DBAPIError as exc:
                raise ItemFailed(details={"reason": type(exc.orig).__name__}) from None
        except VantioError as error:
            validations.append({"index": index, "is_valid": False, "error": error_body(error)})
            continue
        if validation.error is not None:
            validations.append(
                {"index": index, "is_valid": False, "error": error_body(validation.error)}
            )
        else:
            validations.append({"index": index, **validation.body()})
    valid = sum(1 for v in validations if v["is_valid"])
    return {
        "validations": validations,
        "total": len(validations),
        "valid": valid,
        "invalid": len(validations) - valid,
    }
