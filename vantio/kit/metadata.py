"""Metadata rules of API.md, on its shape and serialized size whatever the value types.

- at most 50 keys, each at most 40 characters;
- a string value at most 500 characters; any other value (number, boolean, list, object) at most
  500 characters once serialized as compact JSON, so a list or an object cannot carry more than
  a string can;
- values nested at most 5 levels (`{"a": {"b": [1]}}`: the list is at level 2);
- numbers finite, text encodable as UTF-8 (no lone surrogates);
- the whole object at most 32,768 characters as compact JSON (50 keys of 40 characters with
  values of 500 fit, in any script).
"""

import json
from typing import Any

from vantio.errors import FieldError

MAX_KEYS = 50
MAX_KEY_LENGTH = 40
MAX_VALUE_LENGTH = 500
MAX_NESTING = 5
MAX_SERIALIZED_CHARACTERS = 32 * 1024


def check(metadata: dict[str, Any] | None, field: str = "metadata") -> dict[str, Any]:
    if metadata is None:
        return {}
    if len(metadata) > MAX_KEYS:
        raise FieldError(field, f"at most {MAX_KEYS} keys are allowed")
    for key, value in metadata.items():
        if not isinstance(key, str) or len(key) > MAX_KEY_LENGTH:
            raise FieldError(
                f"{field}.{str(key)[:MAX_KEY_LENGTH]}",
                f"keys are at most {MAX_KEY_LENGTH} characters",
            )
        where = f"{field}.{key}"
        if isinstance(value, str):
            if len(value) > MAX_VALUE_LENGTH:
                raise FieldError(where, f"string values are at most {MAX_VALUE_LENGTH} characters")
        elif len(_serialized(value, where)) > MAX_VALUE_LENGTH:
            raise FieldError(
                where, f"values are at most {MAX_VALUE_LENGTH} characters once serialized as JSON"
            )
        if _nesting(value) > MAX_NESTING:
            raise FieldError(where, f"values may be nested at most {MAX_NESTING} levels")
    if len(_serialized(metadata, field)) > MAX_SERIALIZED_CHARACTERS:
        raise FieldError(
            field, f"at most {MAX_SERIALIZED_CHARACTERS} characters once serialized as JSON"
        )
    return dict(metadata)


def _serialized(value: Any, where: str) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        text.encode("utf-8")
    except ValueError:  # NaN or Infinity; a lone surrogate (UnicodeEncodeError)
        raise FieldError(where, "numbers must be finite and text valid Unicode") from None
    except (TypeError, RecursionError):
        message = "values must be JSON: strings, numbers, booleans, lists, objects"
        raise FieldError(where, message) from None
    return text


def _nesting(value: Any) -> int:
    """How many levels of lists and objects a value has (a scalar: 0). Iterative."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            depth += 1
            deepest = max(deepest, depth)
            if deepest > MAX_NESTING:
                return deepest
            stack.extend(
                (inner, depth) for inner in (item.values() if isinstance(item, dict) else item)
            )
    return deepest


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
