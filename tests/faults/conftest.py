"""The fault tests' fixtures (`processes`, `redis_server`) come from the harness."""

from tests.faults.harness import processes, redis_server

__all__ = ["processes", "redis_server"]
