"""The worker's side of analytics: fold new impressions into the rollups every five minutes."""

import logging
from datetime import datetime, timedelta

from vantio.analytics import rollups
from vantio.worker import jobs

log = logging.getLogger(__name__)


@jobs.periodic("analytics.rollups", every=timedelta(minutes=5))
async def refresh_rollups(ctx: jobs.JobContext, due_at: datetime) -> None:
    """Fold the impressions stored until `LAG` before the due time into the rollups (at most
    `rollups.BATCH` per run: a backlog is caught up over the next runs, exact all along)."""
    folded = await rollups.refresh(ctx.session, up_to=due_at - rollups.LAG)
    log.info("analytics rollups: %d impressions folded", folded)
