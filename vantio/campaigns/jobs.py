"""The worker's side of campaigns: generate a large campaign's codes, one chunk per job."""

from typing import Any

from vantio.campaigns import service
from vantio.worker import jobs


@jobs.handler(service.GENERATE_JOB, max_attempts=10)
async def generate(ctx: jobs.JobContext, payload: dict[str, Any]) -> None:
    """One chunk of codes, committed with this job; the next chunk is a new job (idempotent:
    the chunk size is computed from the campaign's `codes_generated` in the same transaction)."""
    await service.generate_next(ctx.session, payload=payload)
