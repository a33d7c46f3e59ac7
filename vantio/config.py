"""All settings in one place, read from the environment with the prefix VANTIO_."""

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VANTIO_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./vantio.db"
    host: str = "127.0.0.1"
    port: int = 3000
    # The base of the URLs printed in QR codes; the server's own address when empty.
    public_url: str = ""
    redis_url: str = ""

    max_body_bytes: int = 1024 * 1024
    # Rate limits, per API key, in the `limits` notation ("100/second;1000/minute").
    rate_limit_referrals: str = "100/second;3000/minute"
    rate_limit_vouchers_default: str = "10/second;100/minute;1000/hour"
    rate_limit_vouchers_create: str = "50/minute"
    rate_limit_vouchers_validate: str = "200/minute"
    rate_limit_vouchers_apply: str = "100/minute"
    rate_limit_enabled: bool = True

    idempotency_ttl_seconds: int = 24 * 3600
    # How long a request with the key of a running request waits for it before answering 409.
    idempotency_wait_seconds: float = 10.0
    # A reservation older than this belongs to a crashed request and may be taken over.
    idempotency_lease_seconds: float = 300.0

    scan_dedupe_seconds: int = 30 * 60
    # SQLite durability: NORMAL survives a process crash in WAL mode, FULL survives power loss.
    sqlite_synchronous: str = "NORMAL"

    webhook_allow_private: bool = False

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def public_base_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        return f"http://{self.host}:{self.port}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
