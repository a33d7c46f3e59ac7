"""Metadata rules of API.md: at most 50 keys, keys up to 40 chars, string values up to 500."""

from typing import Any

from vantio.errors import FieldError

MAX_KEYS = 50
MAX_KEY_LENGTH = 40
MAX_VALUE_LENGTH = 500


def check(metadata: dict[str, Any] | None, field: str = "metadata") -> dict[str, Any]:
    if metadata is None:
        return {}
    if len(metadata) > MAX_KEYS:
        raise FieldError(field, f"at most {MAX_KEYS} keys are allowed")
    for key, value in metadata.items():
        if len(key) > MAX_KEY_LENGTH:
            raise FieldError(
                f"{field}.{key[:MAX_KEY_LENGTH]}", f"keys are at most {MAX_KEY_LENGTH} characters"
            )
        if isinstance(value, str) and len(value) > MAX_VALUE_LENGTH:
            raise FieldError(
                f"{field}.{key}", f"string values are at most {MAX_VALUE_LENGTH} characters"
            )
    return dict(metadata)


def merge(
    current: dict[str, Any], update: dict[str, Any], field: str = "metadata"
) -> dict[str, Any]:
    """Merge an update into stored metadata; a key set to null is removed."""
    merged = dict(current)
    for key, value in update.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return check(merged, field)
