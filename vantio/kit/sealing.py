"""Sealing: secrets encrypted at rest with the server's key (AES-256-GCM), each sealed value
naming the key that sealed it, so that keys can rotate.

    ring = Keyring.generate()                 # or Keyring.parse(os.environ["VANTIO_SECRET_KEY"])
    token = ring.seal("whsec_...", purpose="webhook_endpoints.secret")   # str, ASCII
    ring.open(token, purpose="webhook_endpoints.secret")                 # "whsec_..."
    blob = ring.seal_bytes(b"...", purpose="idempotency.response_body")  # bytes
    ring.open_bytes(blob, purpose="idempotency.response_body")

A sealed text is `s1.<key id>.<base64url(nonce ‖ ciphertext ‖ tag)>`, sealed bytes are
`b"\\x00s1" + key id + nonce ‖ ciphertext ‖ tag`. The key id is the first 8 hex digits of the
key's SHA-256 (no key material). `purpose` is bound into the seal as associated data: a value
sealed for one column does not open in another. A value without the seal's prefix is returned
as it is by `open`/`open_bytes` (a row written before sealing existed), and `is_sealed` tells.

A keyring holds one current key (it seals) and any number of older ones (they still open).
Its text form, for `VANTIO_SECRET_KEY` or a key file, is the keys in base64url separated by
commas or newlines, the current one first. The process's keyring is installed once at start
(`install`, by the runtime) and read by the database's sealed column types (`active`).
"""

import base64
import binascii
import hashlib
import os
import secrets
from collections.abc import Iterable
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
NONCE_BYTES = 12
_TEXT_PREFIX = "s1."
_BYTES_PREFIX = b"\x00s1"
_KID_LENGTH = 8


class SealingError(Exception):
    """A sealed value that cannot be opened: unknown key, or altered."""


def key_id(key: bytes) -> str:
    return hashlib.sha256(key).hexdigest()[:_KID_LENGTH]


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Keyring:
    def __init__(self, keys: Iterable[bytes]) -> None:
        ordered = list(keys)
        if not ordered:
            raise ValueError("a keyring needs at least one key")
        for key in ordered:
            if len(key) != KEY_BYTES:
                raise ValueError(f"keys are {KEY_BYTES} bytes (base64url of 32 random bytes)")
        self.keys: dict[str, bytes] = {}
        for key in ordered:
            self.keys.setdefault(key_id(key), key)
        self.current_id = key_id(ordered[0])

    # -- text form ------------------------------------------------------------------------

    @classmethod
    def generate(cls) -> "Keyring":
        return cls([secrets.token_bytes(KEY_BYTES)])

    @classmethod
    def parse(cls, text: str) -> "Keyring":
        """Keys in base64url, comma- or newline-separated, the current one first."""
        entries = [entry.strip() for entry in text.replace("\n", ",").split(",")]
        try:
            return cls(_b64decode(entry) for entry in entries if entry and entry[0] != "#")
        except (binascii.Error, ValueError) as exc:
            raise ValueError(f"not a secret key (base64url of 32 random bytes): {exc}") from None

    def dump(self) -> str:
        """The text form: one key a line, the current one first."""
        ordered = [self.keys[self.current_id]] + [
            key for kid, key in self.keys.items() if kid != self.current_id
        ]
        return "".join(_b64encode(key) + "\n" for key in ordered)

    def rotated(self) -> "Keyring":
        """A new current key; the old ones still open what they sealed."""
        return Keyring([secrets.token_bytes(KEY_BYTES), *self._ordered()])

    def _ordered(self) -> list[bytes]:
        return [self.keys[self.current_id]] + [
            key for kid, key in self.keys.items() if kid != self.current_id
        ]

    # -- sealing ----------------------------------------------------------------------------

    def _seal(self, plain: bytes, purpose: str) -> tuple[str, bytes]:
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = AESGCM(self.keys[self.current_id]).encrypt(nonce, plain, purpose.encode())
        return self.current_id, nonce + sealed

    def _open(self, kid: str, blob: bytes, purpose: str) -> bytes:
        key = self.keys.get(kid)
        if key is None:
            raise SealingError(f"sealed with key {kid}, which this server does not have")
        try:
            return AESGCM(key).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], purpose.encode())
        except InvalidTag:
            raise SealingError(f"a value sealed with key {kid} was altered") from None

    def seal(self, plain: str, *, purpose: str) -> str:
        kid, blob = self._seal(plain.encode("utf-8"), purpose)
        return f"{_TEXT_PREFIX}{kid}.{_b64encode(blob)}"

    def open(self, value: str, *, purpose: str) -> str:
        if not is_sealed(value):
            return value
        kid, _, data = value[len(_TEXT_PREFIX) :].partition(".")
        return self._open(kid, _b64decode(data), purpose).decode("utf-8")

    def seal_bytes(self, plain: bytes, *, purpose: str) -> bytes:
        kid, blob = self._seal(plain, purpose)
        return _BYTES_PREFIX + kid.encode("ascii") + blob

    def open_bytes(self, value: bytes, *, purpose: str) -> bytes:
        if not is_sealed(value):
            return value
        start = len(_BYTES_PREFIX)
        kid = value[start : start + _KID_LENGTH].decode("ascii", errors="replace")
        return self._open(kid, value[start + _KID_LENGTH :], purpose)

    def sealed_with_current(self, value: str | bytes) -> bool:
        """Whether a value is sealed, and with the current key (`rotate-key` skips those)."""
        if isinstance(value, str):
            return value.startswith(f"{_TEXT_PREFIX}{self.current_id}.")
        return value.startswith(_BYTES_PREFIX + self.current_id.encode("ascii"))


def is_sealed(value: str | bytes) -> bool:
    if isinstance(value, str):
        return value.startswith(_TEXT_PREFIX)
    return value.startswith(_BYTES_PREFIX)


# -- key files --------------------------------------------------------------------------------


def load_or_create_key_file(path: Path) -> Keyring:
    """The keyring in `path`; on first start a new one, written with mode 0600 (created so, never
    readable by others even for a moment)."""
    try:
        return Keyring.parse(path.read_text())
    except FileNotFoundError:
        pass
    ring = Keyring.generate()
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first: use theirs
        return Keyring.parse(path.read_text())
    with os.fdopen(descriptor, "w") as file:
        file.write(ring.dump())
    return ring


def write_key_file(path: Path, ring: Keyring) -> None:
    """Replace the key file atomically (a new file, mode 0600, renamed over the old one)."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(ring.dump())
        file.flush()
        os.fsync(file.fileno())
    temporary.replace(path)


# -- the process's keyring ----------------------------------------------------------------------

_active: Keyring | None = None


def install(ring: Keyring) -> None:
    """Make `ring` the process's keyring. Keys installed before are kept for opening (a test
    process runs several runtimes); the new ring's current key seals from now on."""
    global _active
    if _active is None:
        _active = ring
        return
    merged = Keyring(ring._ordered())
    for kid, key in _active.keys.items():
        merged.keys.setdefault(kid, key)
    _active = merged


def active() -> Keyring:
    if _active is None:
        raise SealingError("no secret key loaded (the runtime loads it at start)")
    return _active
