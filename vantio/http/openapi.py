"""The OpenAPI document states what the API answers, and nothing it does not."""

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp

# What FastAPI adds to every operation with parameters: a 422 with its own error body. This API
# answers bad input with a 400 in the surface's shape, which every route declares instead.
_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")


class Application(FastAPI):
    """FastAPI, with an OpenAPI document free of the 422 answers the API never gives, completed
    by `openapi_additions` (the composition adds what no route describes: the webhooks sent).

    `front_middleware` wraps the whole stack, outside even Starlette's `ServerErrorMiddleware`:
    for a hot path that answers on its own (the scan), and then owes its answers what the
    middleware inside would have added."""

    def __init__(self, **settings: Any) -> None:
        super().__init__(**settings)
        self.openapi_additions: list[Callable[[dict[str, Any]], None]] = []
        self.front_middleware: list[Callable[[ASGIApp], ASGIApp]] = []

    def build_middleware_stack(self) -> ASGIApp:
        stack = super().build_middleware_stack()
        for wrap in reversed(self.front_middleware):
            stack = wrap(stack)
        return stack

    def openapi(self) -> dict[str, Any]:
        fresh = self.openapi_schema is None
        document = super().openapi()  # built once, then cached
        if fresh:
            _drop_validation_errors(document)
            for add in self.openapi_additions:
                add(document)
        return document


def _drop_validation_errors(document: dict[str, Any]) -> None:
    for item in document.get("paths", {}).values():
        for operation in item.values():
            if isinstance(operation, dict):
                operation.get("responses", {}).pop("422", None)
    schemas = document.get("components", {}).get("schemas", {})
    for name in _VALIDATION_SCHEMAS:
        schemas.pop(name, None)
