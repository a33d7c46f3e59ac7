"""The worker's side of payouts: each program's `payout_schedule`, checked every hour."""

import logging
from datetime import datetime, timedelta

from vantio.payouts import schedule
from vantio.worker import jobs

log = logging.getLogger(__name__)


@jobs.periodic("payouts.scheduled", every=timedelta(hours=1))
async def run_scheduled_payouts(ctx: jobs.JobContext, due_at: datetime) -> None:
    """Create the payouts of every program whose weekly, biweekly or monthly period began
    without one; the period rows make a second run (another worker, a restart) a no-op."""
    for summary in await schedule.run_due_payouts(ctx.session, at=due_at):
        log.info(
            "scheduled payouts: program %s period %s: %d payouts",
            summary.program_id,
            summary.period,
            summary.payouts,
        )
