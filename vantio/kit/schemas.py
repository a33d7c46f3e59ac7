"""Building blocks of request and response schemas shared by every domain."""

import re
from datetime import datetime
from typing import Annotated, Any, ClassVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    PlainSerializer,
    model_validator,
)

from vantio.kit import metadata as metadata_rules
from vantio.kit.money import is_currency
from vantio.kit.time import isoformat

Timestamp = Annotated[datetime, PlainSerializer(isoformat, return_type=str)]


def _check_metadata(value: dict[str, Any]) -> dict[str, Any]:
    try:
        return metadata_rules.check(value)
    except Exception as exc:  # re-raised as a pydantic error that names the field
        message = getattr(exc, "message", str(exc))
        # Relative to the field: "metadata.note: ..." -> "note: ...", named as metadata.note.
        raise ValueError(message.removeprefix("metadata: ").removeprefix("metadata.")) from exc


Metadata = Annotated[dict[str, Any], AfterValidator(_check_metadata)]


def _check_currency(value: str) -> str:
    if not is_currency(value):
        raise ValueError(f"'{value}' is not an ISO 4217 currency code")
    return value


Currency = Annotated[str, AfterValidator(_check_currency)]
Email = Annotated[EmailStr, AfterValidator(str.strip)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Url = Annotated[str, Field(min_length=1, max_length=2048, pattern=r"^https?://\S+$")]


def prefixed(prefix: str) -> AfterValidator:
    """Validates that an ID has the given prefix; the error names the field."""

    def check(value: str) -> str:
        if not re.fullmatch(rf"{prefix}_[0-9a-z]+", value):
            raise ValueError(f"expected an ID starting with '{prefix}_'")
        return value

    return AfterValidator(check)


ProgramId = Annotated[str, prefixed("prog")]
UserId = Annotated[str, prefixed("user")]
PosterId = Annotated[str, prefixed("poster")]
ImpressionId = Annotated[str, prefixed("imp")]
ReferralId = Annotated[str, prefixed("ref")]
EarningId = Annotated[str, prefixed("earn")]
EventId = Annotated[str, prefixed("evt")]


def _holds_nul(value: Any) -> bool:
    """Whether any string (key or value) holds a NUL: `find_nul`'s check without building the
    path of every element (every request body is checked; almost none holds one)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            for key in item:
                if isinstance(key, str) and "\x00" in key:
                    return True
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def find_nul(value: Any) -> str | None:
    """The path of the first string (key or value) holding a NUL character, if any.

    Iterative, so that a deeply nested body cannot exhaust the stack.
    """
    if not _holds_nul(value):
        return None
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return path or "body"
        elif isinstance(item, dict):
            for key, inner in item.items():
                if isinstance(key, str) and "\x00" in key:
                    return path or "body"
                stack.append((f"{path}.{key}" if path else str(key), inner))
        elif isinstance(item, list):
            stack.extend(
                (f"{path}.{index}" if path else str(index), inner)
                for index, inner in enumerate(item)
            )
    return None


class Strict(BaseModel):
    """A request body: unknown fields are refused, naming the field."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    @model_validator(mode="before")
    @classmethod
    def refuse_nul_characters(cls, data: Any) -> Any:
        # PostgreSQL cannot store NUL in text or JSON; refuse it on every database alike.
        path = find_nul(data)
        if path is not None:
            raise ValueError(f"{path}: text may not contain NUL characters")
        return data


class Create(Strict):
    """A POST body: also carries the documented `idempotency_key` (used by the request runner)."""

    idempotency_key: str | None = Field(default=None, max_length=255)


class Update(Strict):
    """A PUT body: only the fields sent change.

    `null` clears a field listed in `clearable`; for any other field it is refused (400 naming
    the field), so `{"name": null}` is never silently ignored. `metadata` is merged, and a key
    set to `null` inside it is removed.
    """

    clearable: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def refuse_null_for_required_fields(self) -> "Update":
        for name in sorted(self.model_fields_set):
            if getattr(self, name) is None and name not in self.clearable:
                raise ValueError(f"{name}: may not be null")
        return self

    def cleared(self, name: str) -> bool:
        """Whether the body sets this clearable field to null."""
        return name in self.model_fields_set and getattr(self, name) is None
