"""The one strict parser of JSON request bodies: hostile JSON is refused here, before any domain
code sees it.

Python's `json` module accepts what JSON (RFC 8259) does not, and what the databases cannot
store: `NaN`, `Infinity` and `-Infinity` (and numbers such as `1e999` that overflow to them),
and `\\ud800`-style escapes that leave a lone surrogate in a string (no UTF-8 encoding exists
for it: PostgreSQL refuses it, some drivers fail on it). It also parses bodies nested hundreds
of levels deep, which then exhaust the stack of whatever walks them. The request runner parses
every JSON body with `parse` and refuses, with 400 in the surface's shape:

- a non-finite number: `<field>: numbers must be finite (no NaN or Infinity)`;
- a lone surrogate in a string or a key: `<field>: text may not contain lone surrogates`;
- nesting deeper than `MAX_DEPTH` (32) objects and arrays: `body: JSON may be nested at most 32
  levels deep`;
- a body that cannot be parsed at all (or so deep that the parser gives up): `body: malformed
  JSON`, as before.

The size of a body is limited earlier, by `BodySizeLimit` (413). The parsed value is handed to
FastAPI (it reads `request.json()`, which keeps it), so a body is parsed once.
"""

import json
import math
from typing import Any, NoReturn

from vantio.errors import FieldError, malformed_json

MAX_DEPTH = 32


class HostileJson(FieldError):
    """A body that parses but that no route takes (400 naming the field)."""


def _refuse_constant(name: str) -> NoReturn:
    raise _NonFinite(name)


class _NonFinite(ValueError):
    pass


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NonFinite(text)
    return value


def parse(body: bytes) -> Any:
    """The body's JSON value, or a typed 400 (see the module's docstring)."""
    try:
        value = json.loads(body, parse_constant=_refuse_constant, parse_float=_finite_float)
    except _NonFinite:
        # Where: parse again, leniently, to name the field (a rare path, a small body).
        raise HostileJson(_path_of_non_finite(body), NON_FINITE) from None
    except RecursionError:
        raise malformed_json() from None
    except ValueError:  # JSONDecodeError, bad UTF-8, an integer of more than 4300 digits
        raise malformed_json() from None
    check(value)
    return value


NON_FINITE = "numbers must be finite (no NaN or Infinity)"
LONE_SURROGATE = "text may not contain lone surrogates"
TOO_DEEP = f"JSON may be nested at most {MAX_DEPTH} levels deep"


def check(value: Any) -> None:
    """Refuse a parsed value nested too deeply or holding a lone surrogate. Iterative, so that
    no depth exhausts the stack."""
    stack: list[tuple[str, Any, int]] = [("", value, 0)]
    while stack:
        path, item, depth = stack.pop()
        if isinstance(item, str):
            if not _encodable(item):
                raise HostileJson(path or "body", LONE_SURROGATE)
        elif isinstance(item, dict | list):
            if depth >= MAX_DEPTH:
                raise HostileJson("body", TOO_DEEP)
            if isinstance(item, dict):
                for key, inner in item.items():
                    if not _encodable(key):
                        raise HostileJson(path or "body", LONE_SURROGATE)
                    stack.append((_join(path, key), inner, depth + 1))
            else:
                stack.extend(
                    (_join(path, index), inner, depth + 1) for index, inner in enumerate(item)
                )


def _join(path: str, part: str | int) -> str:
    """`metadata.note`, as bad input names fields (relative to the body)."""
    return f"{path}.{part}" if path else str(part)


def _encodable(text: str) -> bool:
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _path_of_non_finite(body: bytes) -> str:
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return "body"
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            return path or "body"
        if isinstance(item, dict):
            stack.extend((_join(path, key), inner) for key, inner in item.items())
        elif isinstance(item, list):
            stack.extend((_join(path, index), inner) for index, inner in enumerate(item))
    return "body"


def is_json(content_type: str | None) -> bool:
    """Whether FastAPI would parse a body of this type as JSON (no type at all: it would)."""
    if not content_type:
        return True
    media = content_type.split(";", 1)[0].strip().lower()
    main, _, sub = media.partition("/")
    return main == "application" and (sub == "json" or sub.endswith("+json"))
