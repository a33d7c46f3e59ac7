"""Operators and their sign-in: argon2 passwords, server-side sessions, one-time setup links."""

from dataclasses import dataclass
from datetime import timedelta

import anyio
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from vantio.accounts import service as account_service
from vantio.auth.context import AuthContext
from vantio.dashboard.errors import DuplicateOperator, SignInRefused
from vantio.dashboard.models import DashboardSession, Operator, SetupToken, SignInFailure
from vantio.errors import FieldError, NotFound, RateLimited
from vantio.kit.crypto import random_token, sha256_hex
from vantio.kit.ids import new_id
from vantio.kit.time import utc_now

SESSION_LIFETIME = timedelta(days=7)
SETUP_LINK_LIFETIME = timedelta(days=1)
# Failed sign-ins counted over this window: per account and IP (guessing one password from one
# place) and per IP (trying many accounts from one place). Not per account alone: an attacker
# elsewhere would then lock the operator out of their own dashboard.
FAILURE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_EMAIL = 5  # per account (email) and IP
MAX_FAILURES_PER_IP = 20
MIN_PASSWORD_LENGTH = 10

_hasher = PasswordHasher()
# Verified when the email is unknown, so that an unknown email costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not a password of anyone")


@dataclass(frozen=True)
class SignedIn:
    operator: Operator
    session: DashboardSession
    token: str


def hash_password(password: str) -> str:
    return _hasher.hash(password)


async def hash_password_off_loop(password: str) -> str:
    """argon2 takes tens of milliseconds of CPU on purpose: in a thread, not on the event loop."""
    return await anyio.to_thread.run_sync(_hasher.hash, password)


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise FieldError("password", f"Use at least {MIN_PASSWORD_LENGTH} characters.")


async def create_operator(
    session: AsyncSession, *, email: str, password: str, account_id: str | None = None
) -> Operator:
    """An operator of the given account (the first account when none is named)."""
    email = email.strip()
    if "@" not in email or len(email) > 320:
        raise FieldError("email", "Enter an email address such as name@example.com.")
    check_password(password)
    if account_id is None:
        account = await account_service.get_first_account(
            session
        ) or await account_service.create_account(session, name="Default account")
        account_id = account.id
    existing = await get_operator_by_email(session, email=email)
    if existing is not None:
        raise DuplicateOperator(
            "email: an operator with this email already exists", details={"field": "email"}
        )
    operator = Operator(
        id=new_id("op"),
        account_id=account_id,
        email=email,
        email_normalized=email.lower(),
        password_hash=await hash_password_off_loop(password),
    )
    session.add(operator)
    await session.flush()
    return operator


async def get_operator_by_email(session: AsyncSession, *, email: str) -> Operator | None:
    query = select(Operator).where(Operator.email_normalized == email.strip().lower())
    return (await session.scalars(query)).first()


async def any_operator(session: AsyncSession) -> bool:
    return (await session.scalars(select(Operator.id).limit(1))).first() is not None


async def list_operators(session: AsyncSession) -> list[Operator]:
    """Every operator of every account (the CLI, run on the server, administers them all)."""
    return list(await session.scalars(select(Operator).order_by(Operator.created_at, Operator.id)))


async def get_operator_or_raise(session: AsyncSession, *, email: str) -> Operator:
    operator = await get_operator_by_email(session, email=email)
    if operator is None:
        raise NotFound(f"No operator with email {email.strip()}", details={"field": "email"})
    return operator


async def remove_operator(session: AsyncSession, *, email: str) -> Operator:
    """Delete an operator and close every session they have open."""
    operator = await get_operator_or_raise(session, email=email)
    await session.execute(
        delete(DashboardSession).where(DashboardSession.operator_id == operator.id)
    )
    await session.delete(operator)
    await session.flush()
    return operator


async def set_password(
    session: AsyncSession, *, operator: Operator, password: str, keep_session_id: str | None = None
) -> None:
    """A new password; every session of the operator closes but `keep_session_id` (the browser
    that changed it), and the failed sign-ins of the email are forgotten."""
    check_password(password)
    operator.password_hash = await hash_password_off_loop(password)
    closing = delete(DashboardSession).where(DashboardSession.operator_id == operator.id)
    if keep_session_id is not None:
        closing = closing.where(DashboardSession.id != keep_session_id)
    await session.execute(closing)
    await session.execute(
        delete(SignInFailure).where(SignInFailure.email_normalized == operator.email_normalized)
    )
    await session.flush()


async def change_password(
    session: AsyncSession,
    *,
    operator: Operator,
    current: str,
    new: str,
    keep_session_id: str | None = None,
) -> None:
    """The dashboard's password change: the current password first, then the new one's rules."""
    if not await anyio.to_thread.run_sync(_verify, operator.password_hash, current):
        raise FieldError("current_password", "This is not your current password.")
    if new == current:
        raise FieldError("password", "Choose a password other than the current one.")
    await set_password(session, operator=operator, password=new, keep_session_id=keep_session_id)


@dataclass(frozen=True)
class SignInAttempt:
    """A sign-in counted as a failure until its password is found right (`begin_sign_in`)."""

    email_normalized: str
    ip_address: str
    failure_id: str


async def begin_sign_in(session: AsyncSession, *, email: str, ip_address: str) -> SignInAttempt:
    """Count an attempt before its password is checked, atomically, or refuse it (429).

    The attempt is written as a failure first, and the caller commits it before checking the
    password, so that parallel attempts each take one of the limit's places: 30 at once with a
    limit of 5 check at most 5 passwords. On PostgreSQL the count and the write run under
    transaction-scoped advisory locks on the account+IP and the IP (SQLite's single write lock
    already orders them).
    """
    email_normalized = email.strip().lower()
    now = utc_now()
    await _lock_counters(session, email_normalized=email_normalized, ip_address=ip_address)
    await session.execute(delete(SignInFailure).where(SignInFailure.at < now - FAILURE_WINDOW))
    await _refuse_when_limited(session, email_normalized=email_normalized, ip_address=ip_address)
    failure = SignInFailure(
        id=new_id("fail"), email_normalized=email_normalized, ip_address=ip_address, at=now
    )
    session.add(failure)
    await session.flush()
    return SignInAttempt(email_normalized, ip_address, failure.id)


async def finish_sign_in(
    session: AsyncSession, attempt: SignInAttempt, *, password: str
) -> SignedIn:
    """Check the password of a counted attempt (in a thread) and open a session; a wrong one
    leaves the attempt counted as a failure."""
    operator = await get_operator_by_email(session, email=attempt.email_normalized)
    stored = operator.password_hash if operator is not None else None
    if operator is None or not await anyio.to_thread.run_sync(_verify, stored, password):
        raise SignInRefused()
    if _hasher.check_needs_rehash(operator.password_hash):
        operator.password_hash = await hash_password_off_loop(password)
    operator.last_sign_in_at = utc_now()
    # The failures of this account from this place are forgiven (those from elsewhere are not).
    await session.execute(
        delete(SignInFailure).where(
            SignInFailure.email_normalized == attempt.email_normalized,
            SignInFailure.ip_address == attempt.ip_address,
        )
    )
    await session.execute(delete(SignInFailure).where(SignInFailure.id == attempt.failure_id))
    return await open_session(session, operator=operator)


async def sign_in(session: AsyncSession, *, email: str, password: str, ip_address: str) -> SignedIn:
    """`begin_sign_in` then `finish_sign_in` in one transaction (the CLI and tests; the sign-in
    page commits between the two, which is what makes the count hold under concurrency)."""
    attempt = await begin_sign_in(session, email=email, ip_address=ip_address)
    return await finish_sign_in(session, attempt, password=password)


async def _lock_counters(session: AsyncSession, *, email_normalized: str, ip_address: str) -> None:
    if session.get_bind().dialect.name != "postgresql":
        return
    keys = sorted(
        int.from_bytes(bytes.fromhex(sha256_hex(f"vantio.signin:{name}"))[:8], "big", signed=True)
        for name in (f"account:{email_normalized}|ip:{ip_address}", f"ip:{ip_address}")
    )
    for key in keys:  # always in the same order: two attempts never wait on each other's lock
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


async def open_session(session: AsyncSession, *, operator: Operator) -> SignedIn:
    token = random_token(32)
    row = DashboardSession(
        id=new_id("dses"),
        token_hash=sha256_hex(token),
        operator_id=operator.id,
        account_id=operator.account_id,
        livemode=False,
        csrf_token=random_token(32),
        expires_at=utc_now() + SESSION_LIFETIME,
    )
    session.add(row)
    await session.flush()
    return SignedIn(operator=operator, session=row, token=token)


async def find_session(
    session: AsyncSession, *, token: str
) -> tuple[DashboardSession, Operator] | None:
    """The live session of a cookie's token and its operator, or None."""
    query = (
        select(DashboardSession, Operator)
        .join(Operator, Operator.id == DashboardSession.operator_id)
        .where(DashboardSession.token_hash == sha256_hex(token))
    )
    row = (await session.execute(query)).first()
    if row is None or row[0].expires_at <= utc_now():
        return None
    return row[0], row[1]


async def close_session(session: AsyncSession, *, session_id: str) -> None:
    await session.execute(delete(DashboardSession).where(DashboardSession.id == session_id))


def auth_of(row: DashboardSession) -> AuthContext:
    """The tenant scope of a signed-in operator: their account, in the mode on screen."""
    return AuthContext(account_id=row.account_id, livemode=row.livemode, api_key_id="")


async def create_setup_link(session: AsyncSession, *, account_id: str) -> str:
    """A one-time token that lets whoever holds it create the first operator of the account."""
    token = random_token(32)
    session.add(
        SetupToken(
            id=new_id("setup"),
            token_hash=sha256_hex(token),
            account_id=account_id,
            expires_at=utc_now() + SETUP_LINK_LIFETIME,
        )
    )
    await session.flush()
    return token


async def find_setup_token(session: AsyncSession, *, token: str) -> SetupToken | None:
    query = select(SetupToken).where(SetupToken.token_hash == sha256_hex(token))
    row = (await session.scalars(query)).first()
    if row is None or row.used_at is not None or row.expires_at <= utc_now():
        return None
    return row


async def use_setup_token(
    session: AsyncSession, *, setup: SetupToken, email: str, password: str
) -> SignedIn:
    operator = await create_operator(
        session, email=email, password=password, account_id=setup.account_id
    )
    setup.used_at = utc_now()
    return await open_session(session, operator=operator)


async def _refuse_when_limited(
    session: AsyncSession, *, email_normalized: str, ip_address: str
) -> None:
    since = utc_now() - FAILURE_WINDOW
    for conditions, limit in (
        (
            (
                SignInFailure.email_normalized == email_normalized,
                SignInFailure.ip_address == ip_address,
            ),
            MAX_FAILURES_PER_EMAIL,
        ),
        ((SignInFailure.ip_address == ip_address,), MAX_FAILURES_PER_IP),
    ):
        count_query = select(func.count(), func.min(SignInFailure.at)).where(
            *conditions, SignInFailure.at >= since
        )
        count, oldest = (await session.execute(count_query)).one()
        if count >= limit:
            reset_at = oldest + FAILURE_WINDOW
            retry_after = max(1, int((reset_at - utc_now()).total_seconds()))
            raise RateLimited(
                limit=limit, reset_at=int(reset_at.timestamp()), retry_after=retry_after
            )


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False
