"""Users (ambassadors): the documented GETs plus POST/PUT; email unique per program."""

import asyncio

from tests.helpers import Api, make_program, make_user, unique_email

DOCUMENTED = {"id", "first_name", "last_name", "email", "program_id", "created_at"}


async def test_create_and_get_with_documented_fields(api: Api) -> None:
    program = await make_program(api)
    user = await make_user(
        api,
        program["id"],
        profile_picture="https://example.com/profiles/john-doe.jpg",
        metadata={"student_id": "STU-2024-001", "major": "Computer Science"},
    )
    assert user["id"].startswith("user_")
    assert DOCUMENTED | {"profile_picture", "updated_at", "metadata"} <= set(user)
    assert user["program_id"] == program["id"]
    assert user["metadata"] == {"student_id": "STU-2024-001", "major": "Computer Science"}
    assert await api.ok("GET", f"/api/v1/users/{user['id']}") == user


async def test_list_filters_by_program_in_both_casings(api: Api) -> None:
    first, second = await make_program(api), await make_program(api)
    ours = [(await make_user(api, first["id"]))["id"] for _ in range(2)]
    theirs = (await make_user(api, second["id"]))["id"]
    for name in ("programId", "program_id"):
        listed = await api.ok("GET", "/api/v1/users", **{name: first["id"]})
        assert [u["id"] for u in listed["users"]] == ours[::-1]
        assert listed["has_more"] is False
    everyone = await api.ok("GET", "/api/v1/users")
    assert [u["id"] for u in everyone["users"]] == [theirs, *ours[::-1]]
    listed = await api.ok("GET", "/api/v1/users", programId=first["id"], limit="1")
    assert listed["has_more"] is True
    assert len(listed["users"]) == 1
    # Each list item carries at least the documented fields.
    assert set(everyone["users"][0]) >= DOCUMENTED


async def test_email_is_unique_per_program_case_insensitively(api: Api) -> None:
    program, other = await make_program(api), await make_program(api)
    email = unique_email("Ambassador")
    user = await make_user(api, program["id"], email=email)
    duplicate = await api.post(
        "/api/v1/users",
        {"program_id": program["id"], "first_name": "A", "last_name": "B", "email": email.upper()},
    )
    assert duplicate.status_code == 409
    body = duplicate.json()
    assert body["error"] == "Conflict"
    assert body["code"] == "duplicate_user"
    assert body["details"]["existing_id"] == user["id"]
    # Another program may have the same person.
    assert (await make_user(api, other["id"], email=email))["email"] == email
    # Changing another ambassador's email to a taken one is refused too.
    second = await make_user(api, program["id"])
    clash = await api.put(f"/api/v1/users/{second['id']}", {"email": email.lower()})
    assert clash.status_code == 409
    assert clash.json()["details"]["existing_id"] == user["id"]


async def test_update_only_changes_what_is_sent(api: Api) -> None:
    program = await make_program(api)
    user = await make_user(
        api, program["id"], metadata={"a": "1"}, profile_picture="https://example.com/p.jpg"
    )
    updated = await api.ok(
        "PUT", f"/api/v1/users/{user['id']}", {"first_name": "Jane", "metadata": {"b": "2"}}
    )
    assert updated["first_name"] == "Jane"
    assert updated["last_name"] == user["last_name"]
    assert updated["email"] == user["email"]
    assert updated["metadata"] == {"a": "1", "b": "2"}
    assert updated["profile_picture"] == "https://example.com/p.jpg"
    cleared = await api.ok("PUT", f"/api/v1/users/{user['id']}", {"profile_picture": None})
    assert cleared["profile_picture"] is None
    same_email = await api.ok("PUT", f"/api/v1/users/{user['id']}", {"email": user["email"]})
    assert same_email["email"] == user["email"]
    refused = await api.put(f"/api/v1/users/{user['id']}", {"program_id": program["id"]})
    assert refused.status_code == 400
    assert refused.json()["message"] == "program_id: unknown field"


async def test_create_validation(api: Api) -> None:
    program = await make_program(api)
    base = {"program_id": program["id"], "first_name": "A", "last_name": "B"}
    for body, named, status in [
        ({**base, "email": "not-an-email"}, "email", 400),
        ({**base}, "email", 400),
        (
            {**base, "email": unique_email(), "program_id": "prog_0000000000unknown0000"},
            "program_id",
            400,
        ),
        ({**base, "email": unique_email(), "program_id": "user_123"}, "program_id", 400),
        ({**base, "email": unique_email(), "first_name": ""}, "first_name", 400),
        (
            {**base, "email": unique_email(), "profile_picture": "javascript:x"},
            "profile_picture",
            400,
        ),
    ]:
        response = await api.post("/api/v1/users", body)
        assert response.status_code == status, (body, response.text)
        assert response.json()["message"].startswith(named), response.text


async def test_unknown_user_is_404(api: Api) -> None:
    response = await api.get("/api/v1/users/user_0000000000doesnotexist00")
    assert response.status_code == 404
    assert response.json() == {
        "error": "Not Found",
        "message": "No user with id user_0000000000doesnotexist00",
        "code": "not_found",
    }


async def test_parallel_creates_with_one_email_make_one_user(api: Api) -> None:
    program = await make_program(api)
    email = unique_email("race")
    body = {"program_id": program["id"], "first_name": "A", "last_name": "B", "email": email}
    answers = await asyncio.gather(*(api.post("/api/v1/users", body) for _ in range(10)))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] + [409] * 9, [a.text for a in answers]
    created = next(a.json() for a in answers if a.status_code == 200)
    for answer in answers:
        if answer.status_code == 409:
            assert answer.json()["details"]["existing_id"] == created["id"]
