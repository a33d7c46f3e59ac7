"""Every module that registers jobs, imported once by the worker (and by `serve`).

Add one import line for your domain's jobs module; keep them sorted.
"""

import vantio.payouts.jobs  # noqa: F401
