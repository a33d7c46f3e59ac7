"""The composition root: the one module that puts every domain together into a running process.

Nothing below it knows all the domains. Here every model is mapped (`vantio.models`) and the
worker's job registry is filled from each domain's `jobs` module; `create_app`, `vantio serve`,
`vantio worker`, the other commands and the tests build their runtime with `create_runtime`.
"""

import vantio.models  # noqa: F401  (every table mapped before the first query)
from vantio.analytics import jobs as analytics_jobs
from vantio.campaigns import jobs as campaign_jobs
from vantio.config import Settings
from vantio.events import jobs as event_jobs
from vantio.payouts import jobs as payout_jobs
from vantio.runtime import Runtime
from vantio.voucher_analytics import jobs as voucher_analytics_jobs
from vantio.vouchers import jobs as voucher_jobs
from vantio.worker.jobs import JobRegistry

# Every module that declares jobs (`@jobs.handler`, `@jobs.periodic`). A new domain with jobs
# adds its `jobs` module here; a test checks that none is left out.
JOB_MODULES = (
    analytics_jobs,
    campaign_jobs,
    event_jobs,
    payout_jobs,
    voucher_analytics_jobs,
    voucher_jobs,
)


def job_registry() -> JobRegistry:
    """Every job of the server, in a new registry (so a test may add its own to its copy)."""
    return JobRegistry.from_modules(*JOB_MODULES)


def create_runtime(settings: Settings) -> Runtime:
    """The runtime of a server or worker process, knowing every job of the server."""
    return Runtime.create(settings, jobs=job_registry())
