"""The webhook jobs, for the worker's registry."""

from vantio.webhooks import delivery

__all__ = ["delivery"]
