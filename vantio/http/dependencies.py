"""What an endpoint of an API surface can ask for: the request's session, its caller, the
runtime, a page of a list. The runner puts the session and the caller on the request.

Each one is `async def` although none awaits anything: FastAPI runs a plain `def` dependency in
its thread pool, two thread handoffs per request for what is an attribute read (5% of a
validate's time under load, measured with py-spy)."""

from typing import Annotated

from fastapi import Depends, Query
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection, Request

from vantio.auth.context import AuthContext
from vantio.kit.pagination import Page, parse_page
from vantio.runtime import Runtime


def runtime_of(connection: HTTPConnection) -> Runtime:
    runtime: Runtime = connection.app.state.runtime
    return runtime


async def _session(request: Request) -> AsyncSession:
    session: AsyncSession = request.state.session
    return session


async def _auth(request: Request) -> AuthContext:
    auth: AuthContext = request.state.auth
    return auth


async def _runtime(request: Request) -> Runtime:
    return runtime_of(request)


SessionDep = Annotated[AsyncSession, Depends(_session)]
AuthDep = Annotated[AuthContext, Depends(_auth)]
RuntimeDep = Annotated[Runtime, Depends(_runtime)]


async def _referral_page(
    limit: Annotated[str | None, Query(description="Page size (default 50, at most 100)")] = None,
    offset: Annotated[str | None, Query(description="Number of results to skip")] = None,
) -> Page:
    return parse_page(limit, offset, default=50, maximum=100)


async def _voucher_page(
    limit: Annotated[str | None, Query(description="Page size (default 10, at most 100)")] = None,
    offset: Annotated[str | None, Query(description="Number of results to skip")] = None,
) -> Page:
    return parse_page(limit, offset, default=10, maximum=100)


ReferralPageDep = Annotated[Page, Depends(_referral_page)]
VoucherPageDep = Annotated[Page, Depends(_voucher_page)]


def one_of(documented: str | None, other: str | None) -> str | None:
    """A filter given in either casing (`programId` or `program_id`)."""
    return documented if documented is not None else other
