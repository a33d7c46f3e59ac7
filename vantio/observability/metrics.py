"""The process's Prometheus metrics (imports nothing of Vantio: any layer may count).

With several processes (`vantio serve --workers N`) each process writes its figures to files in
`PROMETHEUS_MULTIPROC_DIR`, which must be set before this module is first imported, and `/metrics`
adds them up (`prometheus_client.multiprocess`). Figures that the database knows for every process
at once (the job queue, the worker's heartbeat) are read from it at scrape time instead
(`vantio.observability.queue`).
"""

import os

from prometheus_client import Counter, Gauge, Histogram, disable_created_metrics

# No `_created` series beside each counter: they double the output and no dashboard reads them.
disable_created_metrics()  # type: ignore[no-untyped-call]

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

# Seconds; the scan redirect is a few milliseconds, a voucher apply tens, an export seconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = Counter(
    "vantio_http_requests",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
)
REQUEST_SECONDS = Histogram(
    "vantio_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and route template.",
    ["method", "route"],
    buckets=LATENCY_BUCKETS,
)
SCANS = Counter(
    "vantio_scans",
    "QR scans answered (GET|HEAD /s/{code}), by outcome.",
    ["outcome"],
)
WEBHOOK_DELIVERIES = Counter(
    "vantio_webhook_delivery_attempts",
    "Webhook delivery attempts made by this process's workers, by outcome.",
    ["outcome"],
)
# livesum: the sum over the processes that are alive (a gauge is per process).
DB_POOL_IN_USE = Gauge(
    "vantio_db_pool_connections_in_use",
    "Database connections checked out of the pool.",
    multiprocess_mode="livesum",
)
DB_POOL_CAPACITY = Gauge(
    "vantio_db_pool_connections_max",
    "Most connections the pool may hold (pool size plus overflow).",
    multiprocess_mode="livesum",
)


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None
