"""Posters: the documented GETs plus POST/PUT, with a real qr_code_url served as PNG and SVG."""

from tests.helpers import Api, make_poster, make_program, make_user

DOCUMENTED = {"id", "program_id", "student_id", "qr_code_url", "location", "created_at", "metadata"}


async def test_create_with_scan_url_and_qr_code(api: Api) -> None:
    program = await make_program(api)
    user = await make_user(api, program["id"])
    poster = await make_poster(
        api,
        program["id"],
        user["id"],
        location="Campus Center - Main Entrance",
        metadata={"poster_type": "standard", "placement_date": "2024-01-15"},
    )
    assert set(poster) >= DOCUMENTED | {"updated_at", "code", "scan_url", "destination_url"}
    assert poster["id"].startswith("poster_")
    assert poster["location"] == "Campus Center - Main Entrance"
    assert poster["metadata"] == {"poster_type": "standard", "placement_date": "2024-01-15"}
    assert len(poster["code"]) == 10
    assert poster["scan_url"] == f"http://testserver/s/{poster['code']}"
    assert poster["qr_code_url"] == f"{poster['scan_url']}/qr.png"
    assert await api.ok("GET", f"/api/v1/posters/{poster['id']}") == poster

    # The QR code URL is public (an <img> tag sends no key) and is a real image.
    png = await api.client.get(poster["qr_code_url"].removeprefix("http://testserver"))
    assert png.status_code == 200
    assert png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n")
    svg = await api.client.get(f"/s/{poster['code']}/qr.svg")
    assert svg.status_code == 200
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in svg.content


async def test_codes_are_unique(api: Api) -> None:
    program = await make_program(api)
    user = await make_user(api, program["id"])
    codes = {(await make_poster(api, program["id"], user["id"]))["code"] for _ in range(5)}
    assert len(codes) == 5


async def test_list_filters_in_both_casings(api: Api) -> None:
    program, other = await make_program(api), await make_program(api)
    maya, lucas = await make_user(api, program["id"]), await make_user(api, program["id"])
    stranger = await make_user(api, other["id"])
    mayas = [(await make_poster(api, program["id"], maya["id"]))["id"] for _ in range(2)]
    lucass = (await make_poster(api, program["id"], lucas["id"]))["id"]
    elsewhere = (await make_poster(api, other["id"], stranger["id"]))["id"]

    async def ids(**params: str) -> list[str]:
        return [p["id"] for p in (await api.ok("GET", "/api/v1/posters", **params))["posters"]]

    assert await ids() == [elsewhere, lucass, *mayas[::-1]]
    for program_key in ("programId", "program_id"):
        assert await ids(**{program_key: program["id"]}) == [lucass, *mayas[::-1]]
        for student_key in ("studentId", "student_id"):
            both = {program_key: program["id"], student_key: maya["id"]}
            assert await ids(**both) == mayas[::-1]
    assert await ids(studentId=stranger["id"], programId=program["id"]) == []


async def test_student_must_belong_to_the_program(api: Api) -> None:
    program, other = await make_program(api), await make_program(api)
    outsider = await make_user(api, other["id"])
    response = await api.post(
        "/api/v1/posters", {"program_id": program["id"], "student_id": outsider["id"]}
    )
    assert response.status_code == 400
    assert response.json()["message"].startswith("student_id")
    missing = await api.post(
        "/api/v1/posters",
        {"program_id": program["id"], "student_id": "user_0000000000doesnotexist00"},
    )
    assert missing.status_code == 400
    assert missing.json()["code"] == "user_not_found"
    assert missing.json()["details"][0]["field"] == "student_id"


async def test_update_location_destination_and_metadata(api: Api) -> None:
    program = await make_program(api)
    user = await make_user(api, program["id"])
    poster = await make_poster(api, program["id"], user["id"], metadata={"a": "1"})
    url = f"/api/v1/posters/{poster['id']}"
    updated = await api.ok(
        "PUT",
        url,
        {
            "location": "Gym - Lobby",
            "destination_url": "https://example.com/gym",
            "metadata": {"a": None, "b": "2"},
        },
    )
    assert updated["location"] == "Gym - Lobby"
    assert updated["destination_url"] == "https://example.com/gym"
    assert updated["metadata"] == {"b": "2"}
    assert updated["code"] == poster["code"]
    assert updated["qr_code_url"] == poster["qr_code_url"]
    cleared = await api.ok("PUT", url, {"destination_url": None})
    assert cleared["destination_url"] is None
    assert cleared["location"] == "Gym - Lobby"
    for body, named in [
        ({"student_id": user["id"]}, "student_id"),
        ({"code": "abc"}, "code"),
        ({"destination_url": "not a url"}, "destination_url"),
        ({"location": ""}, "location"),
    ]:
        response = await api.put(url, body)
        assert response.status_code == 400, response.text
        assert response.json()["message"].startswith(named)


async def test_unknown_qr_code_is_404(api: Api) -> None:
    for suffix in ("qr.png", "qr.svg"):
        response = await api.client.get(f"/s/zzzzzzzzzz/{suffix}")
        assert response.status_code == 404
