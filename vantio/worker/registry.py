"""Every module that registers jobs, imported once by the worker (and by `serve`).

Add one import line for your domain's jobs module; keep them sorted.
"""

# ruff: noqa: F401

import vantio.analytics.jobs
import vantio.campaigns.jobs
import vantio.payouts.jobs
import vantio.voucher_analytics.jobs
import vantio.vouchers.jobs
import vantio.webhooks.jobs
