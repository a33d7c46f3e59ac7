"""Rate limits per API key and route class, in memory or in Redis (shared across processes).

Redis is a convenience, not a dependency a request must wait for: when it cannot be reached the
limiter counts in this process's memory instead (each process then enforces the limits alone),
says so once in the log, tries Redis again after a short back-off, and says so once more when
Redis is back. Requests keep being answered all along.
"""

import logging
import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import FixedWindowRateLimiter
from limits.errors import StorageError

from vantio.errors import RateLimited
from vantio.kit.outage import Outage

log = logging.getLogger("vantio.ratelimit")

# While Redis is unreachable, requests count in memory and Redis is tried again this often.
REDIS_RETRY_SECONDS = 5.0
# A Redis that accepts connections but does not answer must not hold requests for long.
REDIS_TIMEOUT_SECONDS = 0.5


@dataclass(frozen=True)
class Verdict:
    limit: int
    remaining: int
    reset_time: float  # epoch seconds, as the window's storage reports it
    allowed: bool

    @property
    def reset_at(self) -> int:
        return math.ceil(self.reset_time)

    def headers(self) -> dict[str, str]:
        reset_in = max(0, math.ceil(self.reset_time - time.time()))
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(reset_in),
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_at),
        }

    def error(self) -> RateLimited:
        # From the exact reset time: rounding the epoch first could ask for a second too many.
        retry_after = max(1, math.ceil(self.reset_time - time.time()))
        return RateLimited(limit=self.limit, reset_at=self.reset_at, retry_after=retry_after)


class RateLimiter:
    """Fixed windows per key; every window of a route class must admit the request."""

    def __init__(self, storage_url: str, classes: dict[str, str], *, enabled: bool = True):
        self._memory = MemoryStorage()
        self._redis: Storage | None = (
            RedisStorage(
                _async_redis_url(storage_url),
                implementation="redispy",
                key_prefix="vantio",
                wrap_exceptions=True,  # every Redis failure is a StorageError
                socket_timeout=REDIS_TIMEOUT_SECONDS,
                socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            )
            if storage_url
            else None
        )
        self._in_memory = FixedWindowRateLimiter(self._memory)
        self._shared = FixedWindowRateLimiter(self._redis) if self._redis is not None else None
        self._redis_outage = Outage(log, "rate limiting: Redis (counting in this process)")
        self._redis_retry_at = 0.0
        self._classes: dict[str, list[RateLimitItem]] = {
            name: parse_many(spec) for name, spec in classes.items()
        }
        self.enabled = enabled

    async def hit(self, route_class: str, identity: str) -> Verdict | None:
        """Count one request; the verdict reports the window closest to its limit."""
        if not self.enabled:
            return None
        if self._shared is not None and time.monotonic() >= self._redis_retry_at:
            try:
                verdict = await self._judge(self._shared, route_class, identity)
            except StorageError as exc:
                self._redis_outage.failed(exc.storage_error)
                self._redis_retry_at = time.monotonic() + REDIS_RETRY_SECONDS
            else:
                self._redis_outage.recovered()
                return verdict
        return await self._judge(self._in_memory, route_class, identity)

    async def _judge(
        self, limiter: FixedWindowRateLimiter, route_class: str, identity: str
    ) -> Verdict:
        items = self._classes[route_class]
        verdicts = []
        for item in items:
            allowed = await limiter.hit(item, route_class, identity)
            stats = await limiter.get_window_stats(item, route_class, identity)
            verdicts.append(
                Verdict(
                    limit=item.amount,
                    remaining=stats.remaining,
                    reset_time=stats.reset_time,
                    allowed=allowed,
                )
            )
        refused = [v for v in verdicts if not v.allowed]
        if refused:
            return max(refused, key=lambda v: v.reset_at)
        return min(verdicts, key=lambda v: (v.remaining / v.limit, v.reset_at))

    async def reset(self) -> None:
        await self._memory.reset()
        if self._redis is not None:
            await self._redis.reset()


def _async_redis_url(url: str) -> str:
    # `limits` picks its async Redis client from the "async+" scheme.
    return url if url.startswith("async+") else f"async+{url}"
