"""Rate limits per API key and route class, in memory or in Redis (shared across processes)."""

import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import FixedWindowRateLimiter

from vantio.errors import RateLimited


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
        self._storage: Storage = (
            RedisStorage(
                _async_redis_url(storage_url), implementation="redispy", key_prefix="vantio"
            )
            if storage_url
            else MemoryStorage()
        )
        self._limiter = FixedWindowRateLimiter(self._storage)
        self._classes: dict[str, list[RateLimitItem]] = {
            name: parse_many(spec) for name, spec in classes.items()
        }
        self.enabled = enabled

    async def hit(self, route_class: str, identity: str) -> Verdict | None:
        """Count one request; the verdict reports the window closest to its limit."""
        if not self.enabled:
            return None
        items = self._classes[route_class]
        verdicts = []
        for item in items:
            allowed = await self._limiter.hit(item, route_class, identity)
            stats = await self._limiter.get_window_stats(item, route_class, identity)
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
        await self._storage.reset()


def _async_redis_url(url: str) -> str:
    # `limits` picks its async Redis client from the "async+" scheme.
    return url if url.startswith("async+") else f"async+{url}"
