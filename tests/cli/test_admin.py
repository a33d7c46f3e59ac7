"""Operators administer themselves: `vantio admin list|remove|reset-password`, and
`vantio accounts create` with the new account's test key and setup link."""

import re
from typing import Any

import pytest

from tests.cli.test_cli import SECRET, run_cli

PASSWORD = "correct horse battery staple"


@pytest.mark.slow
async def test_admin_list_remove_and_reset_password(empty_database: str, open_app: Any) -> None:
    assert "No operators yet" in run_cli(empty_database, "admin", "list").stdout
    for email in ("ana@example.com", "ben@example.com"):
        made = run_cli(empty_database, "admin", "create", "--email", email, "--password", PASSWORD)
        assert made.returncode == 0, made.stderr
    listed = run_cli(empty_database, "admin", "list").stdout.splitlines()
    assert [line.split()[1] for line in listed] == ["ana@example.com", "ben@example.com"]
    assert all("last sign-in never" in line for line in listed)

    new = "a forgotten one, replaced"
    reset = run_cli(empty_database, "admin", "reset-password", "ANA@example.com", "--password", new)
    assert reset.returncode == 0, reset.stderr
    short = run_cli(empty_database, "admin", "reset-password", "ana@example.com", "--password", "x")
    assert short.returncode == 1
    assert "at least 10" in short.stderr

    client = await open_app()
    async with client:

        async def sign_in(email: str, password: str) -> int:
            page = await client.get("/dashboard/signin")
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            assert token
            answer = await client.post(
                "/dashboard/signin",
                data={"email": email, "password": password, "csrf_token": token.group(1)},
            )
            client.cookies.clear()
            return answer.status_code

        assert await sign_in("ana@example.com", PASSWORD) == 400
        assert await sign_in("ana@example.com", new) == 303
        removed = run_cli(empty_database, "admin", "remove", "ben@example.com")
        assert removed.returncode == 0, removed.stderr
        assert await sign_in("ben@example.com", PASSWORD) == 400
    assert [
        line.split()[1] for line in run_cli(empty_database, "admin", "list").stdout.splitlines()
    ] == ["ana@example.com"]
    missing = run_cli(empty_database, "admin", "remove", "nobody@example.com")
    assert missing.returncode == 1
    assert "No operator with email nobody@example.com" in missing.stderr


@pytest.mark.slow
async def test_accounts_create_prints_a_test_key_and_a_setup_link(
    empty_database: str, open_app: Any
) -> None:
    created = run_cli(empty_database, "accounts", "create", "--name", "North Campus")
    assert created.returncode == 0, created.stderr
    (key,) = SECRET.findall(created.stdout)
    assert key.startswith("sk_test_")
    link = re.search(r"(/dashboard/setup\?token=\S+)", created.stdout)
    assert link, created.stdout
    account_id = re.search(r"Created account (acct_\w+)", created.stdout)
    assert account_id
    listed = run_cli(empty_database, "accounts", "list").stdout
    assert account_id.group(1) in listed
    assert "'North Campus'" in listed

    client = await open_app()
    async with client:
        headers = {"Authorization": f"Bearer {key}"}
        assert (await client.get("/api/v1/programs", headers=headers)).status_code == 200
        setup = await client.get(link.group(1))
        assert setup.status_code == 200
        assert "Create your sign-in" in setup.text
    keys = run_cli(empty_database, "keys", "list").stdout
    assert f"account {account_id.group(1)}" in keys
