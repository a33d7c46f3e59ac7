"""Plain factory functions and a thin client that speaks to the app with one API key."""

import secrets
from dataclasses import dataclass
from typing import Any

import httpx

from vantio.accounts import service as account_service
from vantio.api_keys import service as api_key_service
from vantio.db.session import transaction
from vantio.runtime import Runtime


@dataclass
class Api:
    client: httpx.AsyncClient
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    async def get(self, path: str, **params: Any) -> httpx.Response:
        return await self.client.get(path, params=params or None, headers=self.headers)

    async def post(
        self, path: str, json: Any = None, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        return await self.client.post(path, json=json, headers={**self.headers, **(headers or {})})

    async def put(self, path: str, json: Any = None) -> httpx.Response:
        return await self.client.put(path, json=json, headers=self.headers)

    async def delete(self, path: str) -> httpx.Response:
        return await self.client.delete(path, headers=self.headers)

    async def ok(self, method: str, path: str, json: Any = None, **params: Any) -> dict[str, Any]:
        """Call and insist on a 2xx, returning the JSON body."""
        if method == "GET":
            response = await self.get(path, **params)
        else:
            response = await self.client.request(method, path, json=json, headers=self.headers)
        assert response.status_code < 300, (
            f"{method} {path} -> {response.status_code} {response.text}"
        )
        body: dict[str, Any] = response.json()
        return body


@dataclass
class Tenant:
    account_id: str
    test: Api
    live: Api
    test_key_id: str


async def new_tenant(runtime: Runtime, client: httpx.AsyncClient) -> Tenant:
    async with transaction(runtime.sessionmaker) as session:
        account = await account_service.create_account(session, name="Test account")
        test_key = await api_key_service.create_key(
            session, account_id=account.id, name="test", livemode=False
        )
        live_key = await api_key_service.create_key(
            session, account_id=account.id, name="live", livemode=True
        )
    return Tenant(
        account_id=account.id,
        test=Api(client, test_key.secret),
        live=Api(client, live_key.secret),
        test_key_id=test_key.key.id,
    )


def unique_email(prefix: str = "person") -> str:
    return f"{prefix}.{secrets.token_hex(4)}@example.com"


async def make_program(api: Api, **fields: Any) -> dict[str, Any]:
    body = {"name": "Campus Ambassadors", "landing_url": "https://example.com/signup", **fields}
    return await api.ok("POST", "/api/v1/programs", body)


async def make_user(api: Api, program_id: str, **fields: Any) -> dict[str, Any]:
    body = {
        "program_id": program_id,
        "first_name": "Maya",
        "last_name": "Okafor",
        "email": unique_email("ambassador"),
        **fields,
    }
    return await api.ok("POST", "/api/v1/users", body)


async def make_poster(api: Api, program_id: str, student_id: str, **fields: Any) -> dict[str, Any]:
    body = {
        "program_id": program_id,
        "student_id": student_id,
        "location": "Library - First Floor",
        **fields,
    }
    return await api.ok("POST", "/api/v1/posters", body)


async def make_impression(api: Api, poster_id: str, **fields: Any) -> dict[str, Any]:
    return await api.ok("POST", "/api/v1/impressions", {"poster_id": poster_id, **fields})


async def make_referral(api: Api, impression_id: str, **fields: Any) -> dict[str, Any]:
    body = {
        "impression_id": impression_id,
        "first_name": "John",
        "last_name": "Doe",
        "email": unique_email(),
        **fields,
    }
    return await api.ok("POST", "/api/v1/referrals", body)


@dataclass
class Funnel:
    program: dict[str, Any]
    user: dict[str, Any]
    poster: dict[str, Any]
    impression: dict[str, Any]


async def make_funnel(api: Api, **program_fields: Any) -> Funnel:
    """A program with one ambassador, one poster and one scan of it."""
    program = await make_program(api, **program_fields)
    user = await make_user(api, program["id"])
    poster = await make_poster(api, program["id"], user["id"])
    impression = await make_impression(api, poster["id"])
    return Funnel(program, user, poster, impression)


def png_image(width: int = 240, height: int = 96, color: str = "#e63946") -> bytes:
    """A small logo-like PNG: a colored disc and bar on transparency."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    disc = min(width, height)
    draw.ellipse((0, 0, disc - 1, disc - 1), fill=color)
    if width > disc + 8:
        draw.rectangle((disc + 8, height // 3, width - 1, 2 * height // 3), fill="#1d3557")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


async def put_logo(
    api: Api, program_id: str, content: bytes, media_type: str = "image/png"
) -> httpx.Response:
    return await api.client.put(
        f"/api/v1/programs/{program_id}/logo",
        content=content,
        headers={**api.headers, "Content-Type": media_type},
    )
