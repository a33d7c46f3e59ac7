"""The worker's side of vouchers: vouchers past `valid_until` turn `expired`, every minute."""

import logging
from datetime import datetime, timedelta

from vantio.kit.time import utc_now
from vantio.vouchers import service
from vantio.worker import jobs

log = logging.getLogger(__name__)


@jobs.periodic("vouchers.expire", every=timedelta(minutes=1))
async def expire_vouchers(ctx: jobs.JobContext, due_at: datetime) -> None:
    """Mark active vouchers whose `valid_until` has passed expired and emit `voucher.expired`;
    the conditional update makes a second run (another worker, a retry) a no-op."""
    now = max(due_at, utc_now())
    expired = 0
    while True:
        batch = await service.expire_due(ctx.session, now=now, limit=1000)
        expired += batch
        if batch < 1000:
            break
    if expired:
        log.info("expired %d vouchers", expired)
