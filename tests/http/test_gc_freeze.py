"""The app leaves what start-up built out of the cyclic collector's full passes (vantio/app.py):
a full pass over it took 160 ms, the p95 of the analytics answers at 1M impressions."""

import gc

from vantio.app import create_app
from vantio.config import Settings
from vantio.runtime import Runtime


async def test_what_start_up_built_is_frozen(settings: Settings, runtime: Runtime) -> None:
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    create_app(settings, runtime)
    # The modules, routes and runtime: far more than any request makes and drops.
    assert gc.get_freeze_count() > 50_000
