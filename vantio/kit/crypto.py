"""Secrets and their hashes: API keys are stored only as SHA-256 digests."""

import hashlib
import hmac
import secrets


def random_token(nbytes: int = 24) -> str:
    return secrets.token_urlsafe(nbytes).replace("-", "").replace("_", "")[: nbytes + 8]


def sha256_hex(value: str | bytes) -> str:
    data = value.encode() if isinstance(value, str) else value
    return hashlib.sha256(data).hexdigest()


def constant_time_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
