"""Outages logged once: one line when a dependency starts failing, one when it works again.

A worker polling every half second, or a server answering hundreds of requests a second, meets
the same failure again and again while a database or Redis is down. Logging each would bury the
one line an operator needs; logging none would hide the outage. `Outage` keeps the state:

    database = Outage(log, "database")
    try:
        ...
    except Exception as exc:
        database.failed(exc)      # logs "database lost: ..." the first time only
    else:
        database.recovered()      # logs "database recovered after 4.1 s (12 failures)" once
"""

import logging
import random
import time


class Outage:
    def __init__(self, log: logging.Logger, what: str, *, traceback: bool = False) -> None:
        self.log = log
        self.what = what
        # Whether the "lost" line carries the traceback (for failures that may be bugs).
        self.traceback = traceback
        self.since: float | None = None
        self.failures = 0

    @property
    def down(self) -> bool:
        return self.since is not None

    def failed(self, error: BaseException) -> None:
        self.failures += 1
        if self.since is not None:
            self.log.debug("%s still failing: %s", self.what, describe(error))
            return
        self.since = time.monotonic()
        self.log.error(
            "%s lost: %s", self.what, describe(error), exc_info=error if self.traceback else None
        )

    def recovered(self) -> None:
        if self.since is None:
            return
        self.log.warning(
            "%s recovered after %.1f s (%d failures)",
            self.what,
            time.monotonic() - self.since,
            self.failures,
        )
        self.since = None
        self.failures = 0


def describe(error: BaseException) -> str:
    """The error's class and the first line of its text (a database error's SQL follows it)."""
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


def backoff(failures: int, *, base: float, cap: float) -> float:
    """Seconds to wait after the `failures`-th failure in a row: exponential, capped, with full
    jitter (a random part), so that workers that lost the database together do not retry in step."""
    ceiling: float = min(cap, base * 2.0 ** max(0, failures - 1))
    jitter: float = random.uniform(0, ceiling / 2)  # noqa: S311 - not for security
    return ceiling / 2 + jitter
