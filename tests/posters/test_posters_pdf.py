"""Printable posters as PDF, read back as a person would: the texts, the pages, the paper size,
and the QR code decoded by zxing-cpp from the page rendered at 150 dpi."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.conftest import make_settings
from tests.helpers import (
    Api,
    Tenant,
    make_poster,
    make_program,
    make_user,
    new_tenant,
    png_image,
    put_logo,
)
from tests.pdf_helpers import info_of, page_count, qr_codes_on, text_of, words_of
from vantio.app import create_app
from vantio.posters import pdf, renderer
from vantio.posters.typesetting import PT
from vantio.runtime import Runtime

BRANDED = {
    "name": "Campus Ambassadors",
    "headline": "Free coffee all semester",
    "incentive": "Sign up with this code and your first month is free",
    "brand_color": "#2a9d8f",
}
WARNING = "NOT READY TO PRINT"


async def branded_program(api: Api, **fields: Any) -> dict[str, Any]:
    program = await make_program(api, **{**BRANDED, **fields})
    assert (await put_logo(api, program["id"], png_image())).status_code == 200
    return program


async def get_pdf(api: Api, path: str, **params: str) -> bytes:
    response = await api.get(path, **params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    return response.content


@pytest.fixture
async def public_api(database_url: str, tenant: Tenant) -> AsyncIterator[Api]:
    """The same tenant on a server whose public URL is https://example.org."""
    runtime = Runtime.create(make_settings(database_url, public_url="https://example.org"))
    app = create_app(runtime.settings, runtime)
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 4321))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield Api(client, tenant.test.key)
    await runtime.close()


@pytest.mark.parametrize(
    ("paper", "page_size"),
    [("a4", "595.28 x 841.89 pts (A4)"), ("letter", "612 x 792 pts (letter)")],
)
async def test_one_poster_prints_everything_on_its_paper(
    api: Api, paper: str, page_size: str
) -> None:
    program = await branded_program(api)
    user = await make_user(api, program["id"], first_name="Zoë", last_name="Straße")
    poster = await make_poster(api, program["id"], user["id"], location="Library, first floor")

    content = await get_pdf(api, f"/api/v1/posters/{poster['id']}/poster.pdf", paper=paper)

    assert page_count(content) == 1
    assert info_of(content)["Page size"] == page_size
    text = text_of(content)
    for expected in (
        "CAMPUS AMBASSADORS",
        "Free coffee all semester",
        "Sign up with this code and your first month is free",
        "Shared by Zoë Straße",
        "Poster location: Library, first floor",
        "SCAN TO JOIN",
        poster["scan_url"],  # http://testserver/s/<code>: printed whole, scheme included
    ):
        assert expected in text, f"{expected!r} not in {text!r}"
    assert qr_codes_on(content) == [poster["scan_url"]]


async def test_a_programs_posters_print_one_page_each(api: Api) -> None:
    program = await branded_program(api)
    ada = await make_user(api, program["id"], first_name="Ada", last_name="Adams")
    ben = await make_user(api, program["id"], first_name="Ben", last_name="Brown")
    # Created out of order: the PDF groups them by ambassador, to hand them out.
    posters = [
        await make_poster(api, program["id"], ben["id"], location="Gym"),
        await make_poster(api, program["id"], ada["id"], location="Library"),
        await make_poster(api, program["id"], ada["id"], location="Cafeteria"),
    ]
    expected = [(posters[1], "Ada Adams"), (posters[2], "Ada Adams"), (posters[0], "Ben Brown")]

    content = await get_pdf(api, f"/api/v1/programs/{program['id']}/posters.pdf", paper="letter")

    assert page_count(content) == 3
    for page, (poster, ambassador) in enumerate(expected, start=1):
        text = text_of(content, page)
        assert f"Poster location: {poster['location']}" in text
        assert f"Shared by {ambassador}" in text
        assert "Free coffee all semester" in text
        assert qr_codes_on(content, page) == [poster["scan_url"]]


async def test_a_long_pdf_is_drawn_in_a_child_process(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    program = await branded_program(api)
    user = await make_user(api, program["id"], first_name="Ada", last_name="Adams")
    posters = [await make_poster(api, program["id"], user["id"]) for _ in range(3)]
    monkeypatch.setattr(renderer, "THREAD_PAGES", 2)

    def not_here(*args: object, **kwargs: object) -> bytes:
        raise AssertionError("drawn in the server process")

    monkeypatch.setattr(pdf, "render", not_here)
    content = await get_pdf(api, f"/api/v1/programs/{program['id']}/posters.pdf")
    assert page_count(content) == 3
    assert "Shared by Ada Adams" in text_of(content, 3)
    assert qr_codes_on(content, 3) == [posters[2]["scan_url"]]


async def test_a_renderer_that_fails_says_so() -> None:
    with pytest.raises(renderer.RenderFailed, match="exited with 1"):
        await renderer._in_child(b"not a job")


async def test_the_ambassador_can_be_left_off(api: Api) -> None:
    program = await make_program(api)
    user = await make_user(api, program["id"], first_name="Maya", last_name="Okafor")
    poster = await make_poster(api, program["id"], user["id"])
    for path in (
        f"/api/v1/posters/{poster['id']}/poster.pdf",
        f"/api/v1/programs/{program['id']}/posters.pdf",
    ):
        assert "Maya Okafor" in text_of(await get_pdf(api, path))
        assert "Maya Okafor" not in text_of(await get_pdf(api, path, ambassador="false"))


async def test_a_program_without_branding_prints_its_name_as_the_headline(api: Api) -> None:
    program = await make_program(api, name="Green Campus")
    user = await make_user(api, program["id"])
    poster = await make_poster(api, program["id"], user["id"], location=None)
    content = await get_pdf(api, f"/api/v1/posters/{poster['id']}/poster.pdf")
    text = text_of(content)
    assert text.startswith(f"⚠ {WARNING}")
    assert "Green Campus SCAN TO JOIN" in text  # no kicker, no incentive, no location
    assert "Poster location" not in text
    assert qr_codes_on(content) == [poster["scan_url"]]


async def test_a_url_phones_cannot_reach_is_flagged_on_the_page(api: Api, public_api: Api) -> None:
    program = await make_program(api)
    user = await make_user(api, program["id"])
    poster = await make_poster(api, program["id"], user["id"])
    path = f"/api/v1/posters/{poster['id']}/poster.pdf"

    local = text_of(await get_pdf(api, path))  # the tests' server: http://testserver
    assert WARNING in local
    assert f"This QR code points at {poster['scan_url']}, which a phone cannot reach" in local
    assert "VANTIO_PUBLIC_URL" in local

    public = await get_pdf(public_api, path)
    assert WARNING not in text_of(public)
    assert "VANTIO_PUBLIC_URL" not in text_of(public)
    # https:// is left off the printed URL (browsers add it), not out of the QR code.
    assert f"example.org/s/{poster['code']}" in text_of(public)
    assert qr_codes_on(public) == [f"https://example.org/s/{poster['code']}"]


@pytest.mark.parametrize(
    ("url", "warned"),
    [("http://127.0.0.1:3000/s/abcdefghjk", True), ("https://example.org/s/abcdefghjk", False)],
)
def test_the_warning_follows_the_url(url: str, warned: bool) -> None:
    content = pdf.render(pdf.Branding("Campus"), [pdf.Sheet(url)], paper="a4")
    assert (WARNING in text_of(content)) is warned
    assert qr_codes_on(content) == [url]


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_text_never_leaves_the_page(paper: pdf.Paper) -> None:
    """The longest texts the API accepts, without a space to break at, stay inside the margins;
    the QR code still decodes; the names of any script print without an error."""
    branding = pdf.Branding(
        program_name="N" * 200,
        headline="W" * 120,
        incentive="M" * 240,
        brand_color="#FFD60A",
        logo=png_image(1200, 100),
    )
    sheets = [
        pdf.Sheet("http://10.0.0.7:3000/s/" + "x" * 60, "L" * 500, "A" * 401),
        pdf.Sheet(
            "https://example.org/s/abcdefghjk",
            "图书馆 一楼 (the library, first floor)",
            "محمد عبد الله · 李伟 · Zoë Straße",
        ),
    ]
    content = pdf.render(branding, sheets, paper=paper)
    pages = words_of(content)
    assert len(pages) == 2
    margin = pdf.MARGIN / PT - 1  # points, less a point of rounding
    for (width, height), words in pages:
        assert len(words) > 10
        for word in words:
            assert word.x_min >= margin, word
            assert word.x_max <= width - margin, word
            assert word.y_min >= 0, word
            assert word.y_max <= height, word
    assert qr_codes_on(content, 1) == [sheets[0].scan_url]
    assert qr_codes_on(content, 2) == [sheets[1].scan_url]
    assert "…" in text_of(content, 1)  # what did not fit was cut, visibly
    # Characters the font lacks (Chinese) are left out, the rest prints.
    second = text_of(content, 2)
    assert "Zoë Straße" in second
    assert "Poster location: (the library, first floor)" in second


async def test_paper_and_ambassador_are_checked(api: Api) -> None:
    program = await make_program(api)
    user = await make_user(api, program["id"])
    poster = await make_poster(api, program["id"], user["id"])
    for params in ({"paper": "a3"}, {"ambassador": "maybe"}):
        response = await api.get(f"/api/v1/posters/{poster['id']}/poster.pdf", **params)
        assert response.status_code == 400, response.text
        assert response.json()["message"].startswith(next(iter(params)))


async def test_a_program_without_posters_has_nothing_to_print(api: Api) -> None:
    program = await make_program(api)
    response = await api.get(f"/api/v1/programs/{program['id']}/posters.pdf")
    assert response.status_code == 409
    assert response.json()["code"] == "no_posters"


async def test_another_accounts_or_modes_posters_are_not_found(
    api: Api, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    owner = await new_tenant(runtime, client)
    program = await branded_program(owner.test)
    user = await make_user(owner.test, program["id"])
    poster = await make_poster(owner.test, program["id"], user["id"])
    paths = (
        f"/api/v1/posters/{poster['id']}/poster.pdf",
        f"/api/v1/programs/{program['id']}/posters.pdf",
        f"/api/v1/programs/{program['id']}/logo",
    )
    for stranger in (api, owner.live):  # another account; the owner's other mode
        for path in paths:
            response = await stranger.get(path)
            assert response.status_code == 404, path
            assert response.headers["content-type"] == "application/json"
    for path in paths:
        assert (await owner.test.get(path)).status_code == 200, path
