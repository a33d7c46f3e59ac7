"""The order an apply that sends only `{code, order_id}` is priced on: that of the validation it
follows (docs/API.md, i12-newcomer), never another customer's cart."""

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vantio.auth.context import AuthContext
from vantio.db import repository
from vantio.errors import FieldError
from vantio.kit.time import utc_now
from vantio.vouchers import validation
from vantio.vouchers.models import Voucher, VoucherApplication, VoucherValidation
from vantio.vouchers.schemas import Customer, Order

# How long a validation without an order id may price an apply that sends only
# `{code, order_id}` (docs/API.md, i12-newcomer).
UNTIED_VALIDATION_WINDOW = timedelta(minutes=30)


def competing() -> FieldError:
    return FieldError(
        "order",
        "several validations of this code without order.id could be this order: send the "
        "order, or validate with order.id set to this order_id",
    )


async def validated_order(
    session: AsyncSession,
    auth: AuthContext,
    *,
    voucher: Voucher,
    order_id: str,
    customer: Customer | None,
) -> tuple[Order, Customer | None, str]:
    """The order (and customer) of the validation this apply follows, and that validation's id.

    Tied by `order.id`: the latest recorded validation of this code with this order id.
    Otherwise exactly one valid validation of this code without an order id, of this account
    and mode (and this customer, when the apply names one), recorded within
    `UNTIED_VALIDATION_WINDOW` and not yet used by another application; several → 400 naming
    `order` (never a discount computed on another customer's cart); none → 400 naming `order`.
    """
    tied = (
        repository.scoped(VoucherValidation, auth)
        .where(
            VoucherValidation.voucher_id == voucher.id,
            VoucherValidation.order_id == order_id,
            VoucherValidation.context.is_not(None),
        )
        .order_by(VoucherValidation.id.desc())
        .limit(1)
    )
    found = (await session.scalars(tied)).first()
    if found is None:
        used = select(VoucherApplication.id).where(
            VoucherApplication.validation_id == VoucherValidation.id
        )
        untied = repository.scoped(VoucherValidation, auth).where(
            VoucherValidation.voucher_id == voucher.id,
            VoucherValidation.order_id.is_(None),
            VoucherValidation.is_valid.is_(True),
            VoucherValidation.context.is_not(None),
            VoucherValidation.created_at >= utc_now() - UNTIED_VALIDATION_WINDOW,
            ~used.exists(),
        )
        key = validation.customer_key(customer)
        if key is not None:
            untied = untied.where(VoucherValidation.customer_key == key)
        candidates = list(await session.scalars(untied.order_by(VoucherValidation.id).limit(2)))
        if len(candidates) > 1:
            raise competing()
        found = candidates[0] if candidates else None
    if found is None or not found.context:
        raise FieldError(
            "order",
            "send the order, or validate this code first (with order.id set to this order_id)",
        )
    remembered = found.context.get("customer")
    return (
        Order.model_validate(found.context["order"]),
        Customer.model_validate(remembered) if remembered else None,
        found.id,
    )
