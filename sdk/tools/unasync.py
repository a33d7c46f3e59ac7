"""Generate the sync client modules from the async ones (as httpx/httpcore do with unasync).

python sdk/tools/unasync.py          # rewrite vantio_client/_sync_*.py
python sdk/tools/unasync.py --check  # exit 1 if they are out of date
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "vantio_client"
PAIRS = {"_async_http.py": "_sync_http.py", "_async_resources.py": "_sync_resources.py"}

SUBSTITUTIONS = [
    (r"\basync def ", "def "),
    (r"\basync for ", "for "),
    (r"\basync with ", "with "),
    (r"\bawait ", ""),
    (r"\bimport asyncio\b", "import time"),
    (r"\basyncio\.sleep\b", "time.sleep"),
    (r"\baclose\b", "close"),
    (r"\b__aenter__\b", "__enter__"),
    (r"\b__aexit__\b", "__exit__"),
    (r"\b_async_(\w+)", r"_sync_\1"),
    (r"\bAsyncHTTP\b", "SyncHTTP"),
    (r"\b_async_http\b", "_sync_http"),
    (r"\bAsync([A-Z]\w*)", r"\1"),
]

HEADER = "# Generated from {source} by sdk/tools/unasync.py: do not edit by hand.\n"


def convert(source_name: str, text: str) -> str:
    out = re.sub(r"^# .*sdk/tools/unasync\.py.*\n\n?", "", text, count=1, flags=re.MULTILINE)
    for pattern, replacement in SUBSTITUTIONS:
        out = re.sub(pattern, replacement, out, flags=re.MULTILINE)
    return HEADER.format(source=source_name) + out


def formatted(path: Path, text: str) -> str:
    """``text`` as ``ruff format`` leaves it (the repository's CI checks the format)."""
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff is None:
        raise SystemExit("ruff is needed to format the generated modules")
    done = subprocess.run(  # noqa: S603 (our own ruff, fixed arguments)
        [ruff, "format", "--stdin-filename", str(path), "-"],
        input=text,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def expected() -> dict[Path, str]:
    return {
        PACKAGE / target: formatted(
            PACKAGE / target, convert(source, (PACKAGE / source).read_text())
        )
        for source, target in PAIRS.items()
    }


def main() -> int:
    check = "--check" in sys.argv
    stale = []
    for path, text in expected().items():
        if not path.exists() or path.read_text() != text:
            stale.append(path.name)
            if not check:
                path.write_text(text)
    if check and stale:
        print("out of date: " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
