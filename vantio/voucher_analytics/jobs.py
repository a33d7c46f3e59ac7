"""The worker's side of voucher analytics: build exports, and delete them after 24 hours."""

from datetime import datetime, timedelta
from typing import Any

from vantio.kit.time import utc_now
from vantio.voucher_analytics import service
from vantio.worker import jobs


@jobs.handler(service.EXPORT_JOB, max_attempts=5)
async def build_export(ctx: jobs.JobContext, payload: dict[str, Any]) -> None:
    """Compute an export's records and store its file; a repeat run of a completed one is a no-op."""
    await service.run_export(ctx.session, payload=payload)


@jobs.periodic("voucher_analytics.purge_exports", every=timedelta(hours=1))
async def purge_exports(ctx: jobs.JobContext, due_at: datetime) -> None:
    """Delete exports whose 24 hours are over."""
    await service.purge_expired(ctx.session, now=max(due_at, utc_now()))
