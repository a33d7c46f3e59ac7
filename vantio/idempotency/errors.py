"""Idempotency keys' errors."""

from vantio.errors import Conflict


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"
    message = "This idempotency key was already used with a different request body"


class IdempotencyKeyInFlight(Conflict):
    code = "idempotency_key_in_flight"
    message = "A request with this idempotency key is still being processed"
