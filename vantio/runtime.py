"""What a running process holds: settings, the database, the rate limiter, the jobs it runs."""

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from vantio.config import Settings
from vantio.db.engine import create_engine
from vantio.db.keys import load_keyring
from vantio.db.session import SessionMaker, create_sessionmaker
from vantio.idempotency.service import Policy
from vantio.kit import sealing
from vantio.kit.ratelimit import RateLimiter
from vantio.worker.jobs import JobRegistry


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: SessionMaker
    limiter: RateLimiter
    idempotency: Policy
    # The job kinds this process's workers run; `vantio.composition` fills it from the domains.
    jobs: JobRegistry = field(default_factory=JobRegistry)

    @classmethod
    def create(cls, settings: Settings, *, jobs: JobRegistry | None = None) -> "Runtime":
        # The key that seals secrets at rest, for the database's sealed columns.
        sealing.install(load_keyring(settings))
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
            jobs=jobs if jobs is not None else JobRegistry(),
        )

    async def close(self) -> None:
        await self.engine.dispose()
