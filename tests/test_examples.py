"""The examples in examples/ run unchanged against a real `vantio serve`."""

import subprocess
import sys
from pathlib import Path

import pytest

from tests.sdk.test_sdk_http import VantioServer, vantio_server

__all__ = ["vantio_server"]  # the session fixture, shared with test_sdk_http

pytestmark = pytest.mark.slow  # a real `vantio serve`, started once

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run_example(name: str, server: VantioServer) -> subprocess.CompletedProcess[str]:
    env = {**server.env, "VANTIO_API_KEY": server.api_key, "VANTIO_BASE_URL": server.base_url}
    return subprocess.run(  # noqa: S603 - our own interpreter and example
        [sys.executable, str(EXAMPLES / name)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_referral_flow_example(vantio_server: VantioServer) -> None:
    done = run_example("referral_flow.py", vantio_server)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[1].startswith("1. scan recorded as imp_")
    assert "(pending)" in lines[2]
    assert "of 500 cents" in lines[3]
    assert lines[4].endswith("is converted")
    assert "duplicate_referral" in lines[5]


def test_checkout_example(vantio_server: VantioServer) -> None:
    done = run_example("checkout.py", vantio_server)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "refused (VOUCHER_NOT_FOUND)" in out
    # 10% of $120.00 (priority 1) then $5.00: $17.00 off, $103.00 to pay.
    assert "2. stack valid: $17.00 off $120.00, pay $103.00" in out
    assert "$17.00 off in total" in out
    assert "used 1 time(s)" in out
