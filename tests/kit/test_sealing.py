"""`vantio.kit.sealing`: AES-GCM with key ids, bound to a purpose, rotating, and key files made
with mode 0600."""

import stat
from pathlib import Path

import pytest

from vantio.kit.sealing import Keyring, SealingError, is_sealed, load_or_create_key_file


def test_seal_and_open_text_and_bytes() -> None:
    ring = Keyring.generate()
    token = ring.seal("whsec_abc", purpose="a.b")
    assert token.startswith(f"s1.{ring.current_id}.")
    assert "whsec_" not in token
    assert ring.open(token, purpose="a.b") == "whsec_abc"
    assert ring.seal("whsec_abc", purpose="a.b") != token  # a fresh nonce each time
    blob = ring.seal_bytes(b'{"secret": "whsec_abc"}', purpose="c")
    assert b"whsec_" not in blob
    assert ring.open_bytes(blob, purpose="c") == b'{"secret": "whsec_abc"}'


def test_a_seal_opens_only_for_its_purpose_and_unaltered() -> None:
    ring = Keyring.generate()
    token = ring.seal("s", purpose="webhook_endpoints.secret")
    with pytest.raises(SealingError, match="altered"):
        ring.open(token, purpose="webhook_endpoints.previous_secret")
    with pytest.raises(SealingError, match="altered"):
        ring.open(token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1], purpose="x")
    with pytest.raises(SealingError, match="does not have"):
        Keyring.generate().open(token, purpose="webhook_endpoints.secret")


def test_plain_values_from_before_sealing_read_as_they_are() -> None:
    ring = Keyring.generate()
    assert ring.open("whsec_legacy", purpose="p") == "whsec_legacy"
    assert ring.open_bytes(b'{"a": 1}', purpose="p") == b'{"a": 1}'
    assert not is_sealed("whsec_legacy")


def test_rotation_keeps_old_keys_for_opening() -> None:
    old = Keyring.generate()
    token = old.seal("s", purpose="p")
    new = old.rotated()
    assert new.current_id != old.current_id
    assert new.open(token, purpose="p") == "s"
    assert not new.sealed_with_current(token)
    assert new.sealed_with_current(new.seal("s", purpose="p"))
    again = Keyring.parse(new.dump())
    assert again.current_id == new.current_id
    assert set(again.keys) == set(new.keys)
    assert Keyring.parse(",".join(new.dump().split())).current_id == new.current_id


def test_bad_keys_are_refused() -> None:
    with pytest.raises(ValueError, match="32"):
        Keyring.parse("c2hvcnQ")
    with pytest.raises(ValueError, match="at least one key"):
        Keyring.parse("")


def test_key_file_is_created_once_with_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "vantio.db.key"
    ring = load_or_create_key_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_key_file(path).current_id == ring.current_id
