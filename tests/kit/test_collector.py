"""The server freezes what start-up built, so that full collections stop re-examining it."""

import subprocess
import sys
from pathlib import Path

SCRIPT = """
import asyncio, gc
from vantio.app import create_app
from vantio.config import Settings
from vantio.kit import collector

async def main():
    app = create_app(Settings(database_url="sqlite+aiosqlite:///{path}", secret_key=""))
    before = gc.get_freeze_count()
    async with app.router.lifespan_context(app):
        print(before, gc.get_freeze_count(), gc.get_threshold()[0] == collector.YOUNG_THRESHOLD)

asyncio.run(main())
"""


def test_the_app_freezes_what_start_up_built(tmp_path: Path) -> None:
    script = SCRIPT.replace("{path}", str(tmp_path / "gc.db"))
    out = subprocess.run(  # noqa: S603 - our own script
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    ).stdout.split()
    before, after, threshold = int(out[0]), int(out[1]), out[2]
    assert before == 0
    assert after > 100_000  # the modules, routes, mappers and validators of the process
    assert threshold == "True"
