"""All settings in one place, read from the environment with the prefix VANTIO_."""

import socket
from enum import StrEnum
from functools import lru_cache
from typing import Literal

from pydantic import SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# The URL schemes hosts hand out, and the async drivers Vantio runs them on.
_ASYNC_DRIVERS = {
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "sqlite": "sqlite+aiosqlite",
}


def async_database_url(url: str) -> str:
    """`postgresql://`, `postgres://` and `sqlite:///` as hosts spell them, on the async drivers
    (`postgresql+asyncpg://`, `sqlite+aiosqlite:///`); any other URL unchanged. asyncpg takes
    `ssl=` where libpq URLs say `sslmode=`, so that parameter is renamed too."""
    scheme, sep, rest = url.strip().partition("://")
    if not sep:
        return url
    driver = _ASYNC_DRIVERS.get(scheme.lower(), scheme)
    if driver.startswith("postgresql+asyncpg") and "sslmode=" in rest:
        path, _, query = rest.partition("?")
        params = [f"ssl={p[8:]}" if p.startswith("sslmode=") else p for p in query.split("&")]
        rest = f"{path}?{'&'.join(params)}"
    return f"{driver}://{rest}"


class RateClass(StrEnum):
    """A group of routes that share one rate limit per API key; a route declares its class."""

    REFERRALS = "referrals"
    VOUCHERS = "vouchers"
    VOUCHERS_CREATE = "vouchers_create"
    VOUCHERS_VALIDATE = "vouchers_validate"
    VOUCHERS_APPLY = "vouchers_apply"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VANTIO_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./vantio.db"
    host: str = "127.0.0.1"
    port: int = 3000
    # The base of the URLs printed in QR codes; the server's own address when empty.
    public_url: str = ""
    redis_url: str = ""

    max_body_bytes: int = 1024 * 1024
    # Reverse proxies whose X-Forwarded-For (and -Proto) is believed: comma-separated addresses
    # or CIDRs ("127.0.0.1,10.0.0.0/8"), or "*" when only the proxy can reach the server
    # (docs/deploy.md); empty: none, the connection's own address is the client's.
    trusted_proxies: str = ""
    # The key that encrypts secrets at rest (vantio/db/keys.py says where it comes from when
    # empty): base64url of 32 random bytes, several comma-separated while rotating (current first).
    secret_key: SecretStr = SecretStr("")  # never shown in a repr or a log of the settings
    secret_key_file: str = ""
    # Rate limits, per API key, in the `limits` notation ("100/second;1000/minute").
    rate_limit_referrals: str = "100/second;3000/minute"
    rate_limit_vouchers_default: str = "10/second;100/minute;1000/hour"
    rate_limit_vouchers_create: str = "50/minute"
    rate_limit_vouchers_validate: str = "200/minute"
    rate_limit_vouchers_apply: str = "100/minute"
    rate_limit_enabled: bool = True
    # A key found valid is trusted for this long without asking the database again. A key
    # revoked in this process is refused at once; one revoked by another process (the CLI,
    # another server) within this many seconds. 0 asks the database on every request.
    api_key_cache_seconds: float = 2.0

    idempotency_ttl_seconds: int = 24 * 3600
    # How long a request with the key of a running request waits for it before answering 409.
    idempotency_wait_seconds: float = 10.0
    # A running request renews its key's reservation every third of this; a reservation not
    # renewed for this long belongs to a crashed process and a retry takes it over.
    idempotency_lease_seconds: float = 10.0

    scan_dedupe_seconds: int = 30 * 60
    # New devices counted per poster and client IP in any minute; more are redirected without
    # being counted (rotating user agents from one IP). 0: no limit.
    scan_new_devices_per_minute: int = 30
    # Group commit: at most this many scans share one transaction.
    scan_batch_max: int = 1000
    # PostgreSQL: how many batches may be written at once (SQLite writes one at a time).
    scan_batch_concurrency: int = 4
    # SQLite durability: NORMAL survives a process crash in WAL mode, FULL survives power loss.
    sqlite_synchronous: str = "NORMAL"

    webhook_allow_private: bool = False
    # Webhook delivery: timeout per attempt, delays before each retry (seconds; API.md schedule),
    # how long an endpoint may fail before it is disabled, how long a rotated secret still signs.
    webhook_timeout_seconds: float = 10.0
    webhook_retry_schedule: list[float] = [5, 300, 1800, 7200, 18000, 36000, 36000]
    webhook_disable_after_seconds: float = 5 * 24 * 3600
    webhook_secret_overlap_seconds: float = 24 * 3600
    # At most this many deliveries to one endpoint at once per worker, so a slow one holds no others.
    webhook_endpoint_concurrency: int = 8

    # The background worker (`vantio worker`, or in-process under `vantio serve`).
    worker_concurrency: int = 32
    worker_poll_seconds: float = 0.5
    # SQLite: how often an idle worker checks whether another process committed jobs (a stat()
    # of the file beside the database that such a commit touches; PostgreSQL has NOTIFY).
    worker_signal_check_seconds: float = 0.02
    worker_lease_seconds: float = 30.0
    worker_drain_seconds: float = 30.0
    worker_retry_base_seconds: float = 5.0

    # Operations (vantio/observability): the log format ("text" or "json": one object per line),
    # the access log (one line per request), and how old the workers' heartbeat may get before
    # `GET /health/ready` answers 503 (0: never).
    log_format: Literal["text", "json"] = "text"
    access_log: bool = True
    ready_worker_max_age_seconds: float = 300.0

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        return async_database_url(value)

    def rate_limits(self) -> dict[str, str]:
        """The limits of each rate class, in the `limits` notation."""
        return {
            RateClass.REFERRALS: self.rate_limit_referrals,
            RateClass.VOUCHERS: self.rate_limit_vouchers_default,
            RateClass.VOUCHERS_CREATE: self.rate_limit_vouchers_create,
            RateClass.VOUCHERS_VALIDATE: self.rate_limit_vouchers_validate,
            RateClass.VOUCHERS_APPLY: self.rate_limit_vouchers_apply,
        }

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def public_base_url(self) -> str:
        """`VANTIO_PUBLIC_URL`, else the server's own address. A server listening on every
        interface (`0.0.0.0`, `::`) is named by the machine's host name: an unspecified address
        is never put in a URL (a phone cannot open `http://0.0.0.0/...`)."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = self.host
        if host in ("0.0.0.0", "::", "[::]", ""):  # noqa: S104 - compared, not bound
            host = socket.gethostname() or "127.0.0.1"
        elif ":" in host and not host.startswith("["):
            host = f"[{host}]"
        return f"http://{host}:{self.port}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
