"""The deployment files under deploy/ stay valid (issue 12 point 8): the compose file parses and
has every service the deployment needs, the systemd units pass `systemd-analyze verify` (where
it exists; they are parsed otherwise), the Containerfile has the basics and copies files that
exist, and docs/deploy.md shows each of them."""

import configparser
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
VANTIO = Path(sys.executable).parent / "vantio"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))


def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return document


def test_compose_has_the_services_of_a_deployment() -> None:
    services = compose()["services"]
    assert {"postgres", "redis", "migrate", "api", "worker", "caddy"} <= set(services)
    api, worker = services["api"], services["worker"]
    # N API processes (vantio serve --workers N, no in-process worker) and M worker containers.
    assert "--workers" in " ".join(api["command"])
    assert "--no-worker" in " ".join(api["command"])
    assert worker["command"] == ["vantio", "worker"]
    assert "replicas" in worker["deploy"]
    for service in (api, worker):
        environment = service["environment"]
        assert environment["VANTIO_DATABASE_URL"].startswith("postgresql+asyncpg://")
        assert environment["VANTIO_REDIS_URL"].startswith("redis://")
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert service["build"]["dockerfile"] == "deploy/Containerfile"
    assert "/health/ready" in " ".join(api["healthcheck"]["test"])
    # The API trusts forwarded headers because only the proxy reaches it: no port published.
    assert api["environment"]["VANTIO_TRUSTED_PROXIES"] == "*"
    assert "ports" not in api
    assert services["caddy"]["ports"]
    assert any("Caddyfile" in volume for volume in services["caddy"]["volumes"])
    assert (DEPLOY / "vantio.env.example").exists()  # compose's env_file, to copy


def test_the_caddyfile_proxies_to_the_api_and_keeps_metrics_inside() -> None:
    caddyfile = (DEPLOY / "Caddyfile").read_text()
    assert "reverse_proxy api:3000" in caddyfile
    assert re.search(r"@internal path [^\n]*/metrics", caddyfile)
    assert "respond @internal 404" in caddyfile
    assert caddyfile.count("{") == caddyfile.count("}")


def unit_errors(path: Path, tmp_path: Path) -> str:
    """What `systemd-analyze verify` says of a unit (with ExecStart pointing at this venv's
    vantio, since /opt/vantio does not exist here)."""
    copy = tmp_path / path.name
    copy.write_text(path.read_text().replace("/opt/vantio/bin/vantio", str(VANTIO)))
    target = copy.name.replace("@.service", "@1.service")
    result = subprocess.run(  # noqa: S603 - a fixed system tool
        ["systemd-analyze", "verify", target],  # noqa: S607
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    # verify exits 0 on unknown keys and bad values, and only says so: every line naming our
    # unit is a finding (those about units it pulls in that this host lacks are not).
    lines = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        if copy.name in line or target in line
    ]
    if result.returncode != 0:
        lines.append(result.stderr)
    return "\n".join(lines)


@pytest.mark.parametrize("unit", UNITS, ids=[u.name for u in UNITS])
def test_systemd_units_are_valid(unit: Path, tmp_path: Path) -> None:
    parser = configparser.ConfigParser(strict=True, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(unit.read_text())
    assert set(parser.sections()) == {"Unit", "Service", "Install"}
    exec_start = parser["Service"]["ExecStart"]
    assert exec_start.startswith("/opt/vantio/bin/vantio ")
    assert exec_start.split()[1] in {"serve", "worker"}
    assert parser["Service"]["User"] == "vantio"
    assert parser["Service"]["EnvironmentFile"] == "/etc/vantio/vantio.env"
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed: the unit was only parsed")
    assert unit_errors(unit, tmp_path) == ""


def test_unit_verification_catches_a_mistake(tmp_path: Path) -> None:
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed")
    broken = tmp_path / "src" / "vantio.service"
    broken.parent.mkdir()
    broken.write_text(
        (DEPLOY / "systemd" / "vantio.service").read_text().replace("Type=exec", "Typo=exec")
    )
    assert "Unknown key 'Typo'" in unit_errors(broken, tmp_path)


def test_the_containerfile_has_the_basics() -> None:
    text = (DEPLOY / "Containerfile").read_text()
    instructions = [line.split()[0] for line in text.splitlines() if line and line[0].isupper()]
    assert instructions[0] == "FROM"
    for needed in ("USER", "EXPOSE", "HEALTHCHECK", "CMD", "WORKDIR"):
        assert needed in instructions, needed
    assert re.search(r"^USER vantio$", text, re.MULTILINE)  # never root
    assert "EXPOSE 3000" in text
    assert 'CMD ["vantio", "serve"]' in text
    # Every file it copies from the build context (the repository's root) exists.
    for line in text.splitlines():
        if line.startswith("COPY ") and "--from=" not in line:
            *sources, _destination = line.split()[1:]
            for source in sources:
                assert (ROOT / source).exists(), source
    assert (ROOT / ".dockerignore").exists()


def test_the_deployment_guide_shows_every_file() -> None:
    guide = (ROOT / "docs" / "deploy.md").read_text()
    for name in (
        "compose.yaml",
        "Caddyfile",
        "Containerfile",
        "vantio.service",
        "vantio-worker@.service",
    ):
        assert name in guide, name
    for command in (
        "vantio serve --workers",
        "vantio backup",
        "pg_dump",
        "bench/scan.py",
        "bench/vouchers.py",
    ):
        assert command in guide, command
