"""Ambassadors' payout details (PayPal email, or IBAN + BIC + holder), sealed at rest: the column
(`PayoutAccount.details`, a `SealedText`) encrypts them with the server's key; here they are JSON."""

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vantio.auth.context import AuthContext
from vantio.db import repository
from vantio.errors import FieldError
from vantio.kit.ids import new_id
from vantio.kit.time import utc_now
from vantio.payouts.models import PayoutAccount
from vantio.payouts.schemas import PayoutDetailsIn, PayoutDetailsOut
from vantio.users import service as user_service


async def set_details(
    session: AsyncSession, auth: AuthContext, *, student_id: str, data: PayoutDetailsIn
) -> PayoutAccount:
    await user_service.get_user_or_raise(session, auth, user_id=student_id)
    if data.method is None:
        raise FieldError("method", "required: paypal or bank")
    details = data.model_dump(exclude_none=True, exclude={"method"})
    account = await _account(session, auth, student_id=student_id)
    if account is None:
        account = PayoutAccount(
            id=new_id("pacct"),
            account_id=auth.account_id,
            livemode=auth.livemode,
            student_id=student_id,
        )
        session.add(account)
    account.method = data.method
    account.label = _label(data.method, details)
    account.details = json.dumps(details, separators=(",", ":"), sort_keys=True)
    account.updated_at = utc_now()
    await session.flush()
    return account


async def get_details(
    session: AsyncSession, auth: AuthContext, *, student_id: str
) -> PayoutAccount | None:
    """The ambassador's payout details, None when they gave none (404: no such ambassador)."""
    await user_service.get_user_or_raise(session, auth, user_id=student_id)
    return await _account(session, auth, student_id=student_id)


async def delete_details(session: AsyncSession, auth: AuthContext, *, student_id: str) -> None:
    """Remove them; removing none is not an error (the outcome is the same)."""
    account = await get_details(session, auth, student_id=student_id)
    if account is not None:
        await session.delete(account)
        await session.flush()


async def details_of(
    session: AsyncSession, auth: AuthContext, *, student_ids: Iterable[str]
) -> dict[str, tuple[str, dict[str, Any]]]:
    """Each ambassador's method and opened details (those who gave none are absent)."""
    ids = sorted(set(student_ids))
    if not ids:
        return {}
    query = repository.scoped(PayoutAccount, auth).where(PayoutAccount.student_id.in_(ids))
    return {
        account.student_id: (account.method, _opened(account))
        for account in (await session.scalars(query)).all()
    }


def to_out(account: PayoutAccount | None, *, student_id: str) -> PayoutDetailsOut:
    if account is None:
        return PayoutDetailsOut(student_id=student_id, method=None)
    details = _opened(account)
    iban = details.get("iban")
    return PayoutDetailsOut(
        student_id=account.student_id,
        method=account.method,
        paypal_email=details.get("paypal_email"),
        iban_last4=iban[-4:] if iban else None,
        bic=details.get("bic"),
        account_holder=details.get("account_holder"),
        updated_at=account.updated_at,
    )


async def _account(
    session: AsyncSession, auth: AuthContext, *, student_id: str
) -> PayoutAccount | None:
    query = repository.scoped(PayoutAccount, auth).where(PayoutAccount.student_id == student_id)
    return (await session.scalars(query)).first()


def _label(method: str, details: dict[str, Any]) -> str:
    if method == "paypal":
        local, _, domain = str(details["paypal_email"]).partition("@")
        return f"PayPal {local[:1]}•••@{domain}"
    return f"Bank •••• {details['iban'][-4:]}"


def _opened(account: PayoutAccount) -> dict[str, Any]:
    details: dict[str, Any] = json.loads(account.details)
    return details
