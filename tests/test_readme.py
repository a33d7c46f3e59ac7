"""Every fenced shell block of README.md runs as written against a live `vantio serve`.

The README's reader has a server on localhost:3000 and the key it printed; the test has a server
on a free port and a key of its own, so only these placeholders are replaced: `sk_test_...` (the
key, also exported as $KEY as the README's first block does for the later ones),
`localhost:3000` (the server), and the PostgreSQL database name `vantio` (a fresh one,
dropped after). The install blocks (`python3 -m venv ...`) are what `.ci/run` runs word for
word; they are not run again here.
"""

import json
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import BACKEND, _pg_admin
from tests.sdk.test_sdk_http import VantioServer, vantio_server

__all__ = ["vantio_server"]

pytestmark = pytest.mark.slow

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"^```(sh|bash|shell)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def blocks() -> list[str]:
    return [m.group(2) for m in BLOCK.finditer(README.read_text())]


def test_the_readme_has_no_link_outside_the_repository() -> None:
    text = README.read_text()
    assert "../" not in text
    for target in re.findall(r"\]\(([^)#]+)\)", text):
        if not target.startswith(("http://", "https://")):
            assert (README.parent / target).exists(), target


@pytest.mark.parametrize("number", range(len(blocks())))
def test_readme_shell_block_runs_as_written(
    number: int, vantio_server: VantioServer, tmp_path: Path
) -> None:
    block = blocks()[number]
    if block.lstrip().startswith("python3 -m venv"):
        pytest.skip("an install block: .ci/run runs it word for word")
    database = None
    if "createdb" in block:
        if BACKEND != "postgresql":
            pytest.skip("the PostgreSQL block runs with VANTIO_TEST_DATABASE=postgresql")
        database = f"vantio_readme_{secrets.token_hex(4)}"
        for name in ("-U postgres vantio", "DATABASE vantio", "5432/vantio"):
            block = block.replace(name, name.replace("vantio", database))
    port = vantio_server.base_url.rsplit(":", 1)[1]
    script = block.replace("sk_test_...", vantio_server.api_key).replace(
        "localhost:3000", f"127.0.0.1:{port}"
    )
    # The reader's checkout: `.venv/bin/...` is this interpreter's environment.
    (tmp_path / ".venv").symlink_to(Path(sys.prefix))
    try:
        done = subprocess.run(  # noqa: S603 - the README's own commands
            ["bash", "-euo", "pipefail", "-c", script],  # noqa: S607
            cwd=tmp_path,
            # One reader's shell: `export KEY=...` of "A first look" holds in the later blocks.
            env={**vantio_server.env, "KEY": vantio_server.api_key},
            input="a long enough password\na long enough password\n",
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
            start_new_session=True,  # no terminal: a password prompt reads the input above
        )
    finally:
        if database:
            _pg_admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    assert done.returncode == 0, f"{script}\n{done.stdout}\n{done.stderr}"
    for line in done.stdout.splitlines():
        if line.startswith("{"):
            answer = json.loads(line)
            assert "error" not in answer, f"{script}\n{line}"
