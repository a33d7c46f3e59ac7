"""The webhook jobs, for the worker's registry (`vantio.composition`)."""

from vantio.webhooks.delivery import deliver

__all__ = ["deliver"]
