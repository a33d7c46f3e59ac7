"""The habits of a release hold together: one version per distribution wherever it is written,
the licence declared in both, and a changelog section for every release that shipped migrations."""

import re
import tomllib
from pathlib import Path

import vantio_client

import vantio
from tests.migrations.test_migrations import released_migrations

ROOT = Path(__file__).resolve().parent.parent


def _project(path: Path) -> dict[str, object]:
    project: dict[str, object] = tomllib.loads(path.read_text())["project"]
    return project


def test_each_distribution_has_one_version() -> None:
    assert vantio.__version__ == _project(ROOT / "pyproject.toml")["version"]
    assert vantio_client.__version__ == _project(ROOT / "sdk" / "pyproject.toml")["version"]


def test_both_distributions_declare_the_licence_of_the_license_file() -> None:
    assert "Apache License" in (ROOT / "LICENSE").read_text()
    for pyproject in (ROOT / "pyproject.toml", ROOT / "sdk" / "pyproject.toml"):
        project = _project(pyproject)
        assert project["license"] == "Apache-2.0", pyproject
        assert (pyproject.parent / "LICENSE").exists(), pyproject


def test_the_changelog_has_a_section_for_each_release() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text()
    sections = set(re.findall(r"^## \[([^\]]+)\]", changelog, flags=re.MULTILINE))
    assert "Unreleased" in sections  # where each change adds its lines
    released = {release for release, _, _ in released_migrations()}
    assert released <= sections, f"releases without a changelog section: {released - sections}"
