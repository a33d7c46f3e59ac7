"""What a program's posters print: headline, incentive, brand color and logo, through the API."""

import io

import pytest
from PIL import Image

from tests.helpers import Api, make_program, png_image, put_logo
from vantio.errors import FieldError
from vantio.programs import logos


async def test_headline_incentive_and_color_are_set_changed_and_cleared(api: Api) -> None:
    program = await make_program(
        api, headline="Free coffee", incentive="A month free", brand_color="#2a9d8f"
    )
    assert program["headline"] == "Free coffee"
    assert program["incentive"] == "A month free"
    assert program["brand_color"] == "#2A9D8F"  # stored in one spelling

    path = f"/api/v1/programs/{program['id']}"
    changed = await api.ok("PUT", path, {"headline": "Free tea", "brand_color": "#000000"})
    assert (changed["headline"], changed["incentive"], changed["brand_color"]) == (
        "Free tea",
        "A month free",
        "#000000",
    )
    untouched = await api.ok("PUT", path, {"name": "Renamed"})
    assert untouched["headline"] == "Free tea"
    cleared = await api.ok("PUT", path, {"headline": None, "incentive": None, "brand_color": None})
    assert cleared["headline"] is cleared["incentive"] is cleared["brand_color"] is None
    assert (await api.ok("GET", path))["brand_color"] is None


@pytest.mark.parametrize("color", ["red", "#12345", "#1234567", "#GG0000", "2a9d8f", "", 255])
async def test_an_invalid_brand_color_is_refused(api: Api, color: object) -> None:
    created = await api.post(
        "/api/v1/programs",
        {"name": "P", "landing_url": "https://example.com", "brand_color": color},
    )
    assert created.status_code == 400, created.text
    assert created.json()["details"][0]["field"] == "brand_color"
    program = await make_program(api)
    updated = await api.put(f"/api/v1/programs/{program['id']}", {"brand_color": color})
    assert updated.status_code == 400, updated.text
    assert updated.json()["message"].startswith("brand_color: ")


async def test_headline_and_incentive_lengths_are_limited(api: Api) -> None:
    program = await make_program(api, headline="H" * 120, incentive="I" * 240)
    path = f"/api/v1/programs/{program['id']}"
    for field, length in (("headline", 121), ("incentive", 241)):
        response = await api.put(path, {field: "x" * length})
        assert response.status_code == 400
        assert response.json()["details"][0]["field"] == field


async def test_a_logo_is_stored_served_and_removed(api: Api) -> None:
    program = await make_program(api)
    path = f"/api/v1/programs/{program['id']}/logo"
    assert (await api.get(path)).status_code == 404

    image = png_image()
    response = await put_logo(api, program["id"], image)
    assert response.status_code == 200, response.text
    assert response.json()["logo_media_type"] == "image/png"
    served = await api.get(path)
    assert served.headers["content-type"] == "image/png"
    assert served.content == image  # kept as sent
    # The program's other reads never load the image (the column refuses lazy loads).
    listed = await api.ok("GET", "/api/v1/programs")
    assert any(p["logo_media_type"] == "image/png" for p in listed["programs"])
    assert (await api.ok("PUT", f"/api/v1/programs/{program['id']}", {"name": "New"}))[
        "logo_media_type"
    ] == "image/png"

    jpeg = io.BytesIO()
    Image.new("RGB", (300, 100), "#1d3557").save(jpeg, "JPEG")
    replaced = await put_logo(api, program["id"], jpeg.getvalue(), "image/jpeg")
    assert replaced.json()["logo_media_type"] == "image/jpeg"
    assert (await api.get(path)).headers["content-type"] == "image/jpeg"

    removed = await api.delete(path)
    assert removed.status_code == 200
    assert removed.json()["logo_media_type"] is None
    assert (await api.get(path)).status_code == 404
    assert (await api.delete(path)).status_code == 200  # removing none is the same outcome


async def test_a_logo_larger_than_a_poster_needs_is_scaled_down(api: Api) -> None:
    program = await make_program(api)
    image = png_image(3000, 1000)
    assert (await put_logo(api, program["id"], image)).status_code == 200
    stored = (await api.get(f"/api/v1/programs/{program['id']}/logo")).content
    with Image.open(io.BytesIO(stored)) as logo:
        assert logo.format == "PNG"
        assert logo.size == (logos.PRINT_SIDE, logos.PRINT_SIDE // 3)


def _gif() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buffer, "GIF")
    return buffer.getvalue()


def _truncated_png() -> bytes:
    return png_image(400, 400)[:600]


def _huge_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("1", (5000, 10)).save(buffer, "PNG")
    return buffer.getvalue()


def _noise_png(size: int) -> bytes:
    """A PNG of about `size` bytes: random pixels do not compress."""
    import os

    side = int((size / 3) ** 0.5) + 1
    buffer = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "send the image as the request body (PNG or JPEG)"),
        (b"{}", "not a readable PNG or JPEG image"),
        (b"GIF89a" + b"\x00" * 20, "not a readable PNG or JPEG image"),
        (_gif(), "a logo must be PNG or JPEG, not GIF"),
        (_truncated_png(), "not a readable PNG or JPEG image"),
        (_huge_png(), "the image is 5000x10 pixels; at most 4096x4096"),
    ],
)
async def test_a_logo_that_is_not_a_printable_image_is_refused(
    api: Api, content: bytes, message: str
) -> None:
    program = await make_program(api)
    response = await put_logo(api, program["id"], content)
    assert response.status_code == 400, response.text
    assert response.json()["message"] == f"logo: {message}"
    assert response.json()["details"] == [{"field": "logo", "message": message}]
    assert (await api.ok("GET", f"/api/v1/programs/{program['id']}"))["logo_media_type"] is None


async def test_a_logo_over_512_kb_is_refused(api: Api) -> None:
    program = await make_program(api)
    content = _noise_png(600 * 1024)
    assert len(content) > logos.MAX_LOGO_BYTES
    response = await put_logo(api, program["id"], content)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "logo_too_large"
    assert response.json()["message"] == (
        f"logo: the image is {len(content) // 1024} KB; a logo may be at most 512 KB"
    )


async def test_a_2_mb_logo_is_refused_before_it_is_read(api: Api) -> None:
    """Over the server's body limit (1 MiB), the upload is refused before the endpoint runs
    (413, as for every API body); the logo rule itself refuses it with a 400 naming `logo`."""
    program = await make_program(api)
    content = _noise_png(2 * 1024 * 1024)
    response = await put_logo(api, program["id"], content)
    assert response.status_code == 413
    assert response.json()["message"] == "body: request bodies are limited to 1048576 bytes"
    with pytest.raises(FieldError) as refused:
        logos.prepare_logo(content)
    assert refused.value.status == 400
    assert refused.value.code == "logo_too_large"
    assert refused.value.details == [
        {
            "field": "logo",
            "message": f"the image is {len(content) // 1024} KB; a logo may be at most 512 KB",
        }
    ]
