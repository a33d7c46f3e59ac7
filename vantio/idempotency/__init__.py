"""Idempotency keys of POST requests: the stored answers, scoped by account, mode and route."""
