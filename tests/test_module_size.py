"""No module of vantio/ grows past about 400 lines (migrations aside): past that, split it by job."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIMIT = 400


def test_no_module_is_over_the_limit() -> None:
    over = {
        path.relative_to(ROOT).as_posix(): n
        for path in (ROOT / "vantio").rglob("*.py")
        if "migrations" not in path.parts
        and (n := len(path.read_text(encoding="utf-8").splitlines())) > LIMIT
    }
    assert not over, f"split these by job (over {LIMIT} lines): {over}"
