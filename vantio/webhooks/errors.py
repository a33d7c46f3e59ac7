"""Webhook endpoints' errors."""

from vantio.errors import Conflict


class EndpointDisabled(Conflict):
    code = "webhook_endpoint_disabled"
