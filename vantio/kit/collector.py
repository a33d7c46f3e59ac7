"""The garbage collector of a long-running process, told what lives for good.

After start-up the heap holds a few hundred thousand objects that live as long as the process
(modules, FastAPI's routes, SQLAlchemy's mappers, Pydantic's validators). Python's collector
re-examined all of them in every full collection: measured under load on validate, each took
about 75 ms (a request's whole budget, and its p99) and they cost about 0.4 ms per request on
average; at 1M impressions a full pass took 160 ms and set the p95 of /analytics/posters (237 ms,
87 ms frozen). `gc.freeze()` moves them out of the collector's sight; a larger first threshold makes
the young collections rarer for a request's short-lived objects.
"""

import gc

# Allocations (less deallocations) between two young collections; Python's default is 700.
YOUNG_THRESHOLD = 7000


_settled = False


def settle() -> None:
    """Once start-up has built what the process keeps: collect, then freeze what survived.

    Once per process: an app started again in the same process (the tests) freezes nothing more."""
    global _settled
    if _settled:
        return
    _settled = True
    gc.collect()
    gc.freeze()
    _young, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
