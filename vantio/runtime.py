"""What a running server holds: settings, the database, the rate limiter."""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from vantio.config import Settings
from vantio.db.engine import create_engine
from vantio.db.session import SessionMaker, create_sessionmaker
from vantio.idempotency.service import Policy
from vantio.kit.ratelimit import RateLimiter


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: SessionMaker
    limiter: RateLimiter
    idempotency: Policy

    @classmethod
    def create(cls, settings: Settings) -> "Runtime":
        engine = create_engine(settings)
        limiter = RateLimiter(
            settings.redis_url,
            settings.rate_limits(),
            enabled=settings.rate_limit_enabled,
        )
        return cls(
            settings=settings,
            engine=engine,
            sessionmaker=create_sessionmaker(engine),
            limiter=limiter,
            idempotency=Policy(
                ttl=timedelta(seconds=settings.idempotency_ttl_seconds),
                wait_seconds=settings.idempotency_wait_seconds,
                lease=timedelta(seconds=settings.idempotency_lease_seconds),
            ),
        )

    async def close(self) -> None:
        await self.engine.dispose()
