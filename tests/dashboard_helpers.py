"""A browser-like client for the dashboard: its own cookies, its own IP, the CSRF token of the page."""

import re
import secrets
from dataclasses import dataclass
from html import unescape as html_unescape
from typing import Any

import httpx

from vantio.dashboard import service as dashboard_service
from vantio.db.session import transaction
from vantio.runtime import Runtime

PASSWORD = "correct horse battery staple"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def random_ip() -> str:
    return f"198.51.{secrets.randbelow(250) + 1}.{secrets.randbelow(250) + 1}"


class Browser:
    def __init__(self, app: Any, *, ip: str | None = None, base_url: str = "http://testserver"):
        self.ip = ip or random_ip()
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=(self.ip, 5555)), base_url=base_url
        )
        self.token = ""

    async def close(self) -> None:
        await self.client.aclose()

    async def get(self, path: str, **params: Any) -> httpx.Response:
        response = await self.client.get(path, params=params or None)
        if match := CSRF.search(response.text):
            self.token = match.group(1)
        return response

    async def post(
        self, path: str, data: dict[str, Any] | None = None, *, csrf: bool = True, **kw: Any
    ) -> httpx.Response:
        body = dict(data or {})
        if csrf:
            body.setdefault("csrf_token", self.token)
        response = await self.client.post(path, data=body, **kw)
        if match := CSRF.search(response.text):
            self.token = match.group(1)
        return response

    async def sign_in(self, email: str, password: str = PASSWORD) -> httpx.Response:
        await self.get("/dashboard/signin")
        response = await self.post(
            "/dashboard/signin", {"email": email, "password": password, "next": "/dashboard/"}
        )
        if response.status_code == 303:
            await self.get("/dashboard/keys")  # the signed-in CSRF token
        return response


@dataclass
class Operator:
    id: str
    email: str
    account_id: str


async def make_operator(runtime: Runtime, account_id: str) -> Operator:
    email = f"owner.{secrets.token_hex(4)}@example.com"
    async with transaction(runtime.sessionmaker) as session:
        operator = await dashboard_service.create_operator(
            session, email=email, password=PASSWORD, account_id=account_id
        )
    return Operator(operator.id, email, account_id)


def error_of(html: str, field: str) -> str | None:
    """The error message shown next to a field, or None."""
    match = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', html)
    return html_unescape(match.group(1)) if match else None
