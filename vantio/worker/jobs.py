"""The public face of the worker: declare job kinds and periodic jobs, enqueue jobs.

See the package docstring (`vantio.worker`) for the usage.
"""

import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from time import time_ns
from types import ModuleType
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Connection, Table, event, insert, make_url, select, text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from vantio.db.session import transaction
from vantio.kit.ids import new_id, new_ids
from vantio.kit.time import utc_now
from vantio.worker.models import QUEUED, Job

if TYPE_CHECKING:
    from vantio.runtime import Runtime

log = logging.getLogger("vantio.worker")

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class RetryLater(Exception):
    """Raised by a handler: run this job again after `delay`, without counting a failure."""

    def __init__(self, delay: timedelta, *, count_attempt: bool = False) -> None:
        super().__init__(f"retry in {delay.total_seconds()} s")
        self.delay = delay
        self.count_attempt = count_attempt


class LeaseExpired(Exception):
    """This worker may no longer hold the job (it stalled): stop; another worker will run it."""


@dataclass
class JobContext:
    """What a running job gets.

    `session` is the job's own transaction: the runner commits it together with the removal of
    the job row, so the job's database work happens exactly once. Its transaction starts at its
    first statement, so do network I/O (an HTTP call) before touching it; read what that I/O needs
    through `snapshot()`, a short separate transaction that is closed before the I/O starts.
    """

    runtime: "Runtime"
    session: AsyncSession
    job_id: str
    name: str
    attempt: int
    worker_id: str
    resources: dict[str, Any] = field(default_factory=dict)
    lease_remaining: Callable[[], float] = lambda: float("inf")

    def check_lease(self, at_least: float) -> None:
        """Raise `LeaseExpired` unless this worker surely holds the job for `at_least` seconds
        more: call it before a side effect that must not happen twice at once (an HTTP call)."""
        if self.lease_remaining() < at_least:
            raise LeaseExpired(self.job_id)

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[AsyncSession]:
        """A short transaction of its own (commits at the end); never use it while `session` is open."""
        async with transaction(self.runtime.sessionmaker) as session:
            yield session

    def resource(self, key: str, factory: Callable[[], Any]) -> Any:
        """An object shared by the jobs of one worker (an HTTP client); closed when it stops."""
        if key not in self.resources:
            self.resources[key] = factory()
        return self.resources[key]


Handler = Callable[[JobContext, dict[str, Any]], Awaitable[None]]
PeriodicHandler = Callable[[JobContext, datetime], Awaitable[None]]


@dataclass(frozen=True)
class JobKind:
    name: str
    fn: Handler
    max_attempts: int


@dataclass(frozen=True)
class Periodic:
    """A job that runs once per due time: every `every` (aligned on the epoch) or daily at `daily_at` UTC."""

    name: str
    fn: PeriodicHandler
    every: timedelta | None
    daily_at: time | None
    max_attempts: int

    def _daily(self) -> time:
        if self.daily_at is None:
            raise ValueError(f"periodic job {self.name} has no schedule")
        return self.daily_at

    @property
    def spec(self) -> str:
        if self.every is not None:
            return f"every {self.every.total_seconds():g}s"
        return f"daily {self._daily().isoformat()}"

    def latest_due(self, now: datetime) -> datetime:
        """The last due time at or before `now`."""
        if self.every is not None:
            periods = (now - _EPOCH) // self.every
            return _EPOCH + periods * self.every
        today = datetime.combine(now.date(), self._daily().replace(tzinfo=UTC))
        return today if today <= now else today - timedelta(days=1)

    def next_due(self, now: datetime) -> datetime:
        """The first due time strictly after `now`."""
        if self.every is not None:
            return self.latest_due(now) + self.every
        return self.latest_due(now) + timedelta(days=1)


def handler(name: str, *, max_attempts: int = 10) -> Callable[[Handler], JobKind]:
    """Declare a named job kind (it runs once a registry holds it: see `JobRegistry`).

    A handler that raises is retried with backoff, then kept as failed."""

    def declare(fn: Handler) -> JobKind:
        return JobKind(name, fn, max_attempts)

    return declare


def periodic(
    name: str,
    *,
    every: timedelta | None = None,
    daily_at: time | None = None,
    max_attempts: int = 3,
) -> Callable[[PeriodicHandler], Periodic]:
    """Declare a periodic job; exactly one run per due time across all workers."""
    if (every is None) == (daily_at is None):
        raise ValueError("give exactly one of every= or daily_at=")
    if every is not None and every <= timedelta(0):
        raise ValueError("every= must be positive")

    def declare(fn: PeriodicHandler) -> Periodic:
        return Periodic(name, fn, every, daily_at, max_attempts)

    return declare


class JobRegistry:
    """The job kinds and periodic jobs a worker runs, by name.

    The worker knows jobs only through the registry of its runtime; it imports no domain. The
    composition root (`vantio.composition`) fills it from each domain's `jobs` module, and a
    test builds its own, so nothing registered by one test is seen by another.
    """

    def __init__(self, *declared: JobKind | Periodic) -> None:
        self.handlers: dict[str, JobKind] = {}
        self.periodics: dict[str, Periodic] = {}
        self.add(*declared)

    @classmethod
    def from_modules(cls, *modules: ModuleType) -> "JobRegistry":
        """Every job declared at the top level of these modules (`@jobs.handler`, `@jobs.periodic`)."""
        declared: dict[int, JobKind | Periodic] = {}
        for module in modules:
            for value in vars(module).values():
                if isinstance(value, JobKind | Periodic):
                    declared[id(value)] = value  # a job re-exported by two modules counts once
        return cls(*declared.values())

    def add(self, *declared: JobKind | Periodic) -> None:
        for job in declared:
            if job.name in self:
                raise ValueError(f"a job named {job.name!r} is already registered")
            if isinstance(job, Periodic):
                self.periodics[job.name] = job
            else:
                self.handlers[job.name] = job

    def __contains__(self, name: object) -> bool:
        return name in self.handlers or name in self.periodics

    def __len__(self) -> int:
        return len(self.handlers) + len(self.periodics)

    def names(self) -> set[str]:
        return set(self.handlers) | set(self.periodics)

    def max_attempts(self, name: str) -> int:
        job = self.handlers.get(name) or self.periodics.get(name)
        return job.max_attempts if job is not None else 1


async def enqueue(
    session: AsyncSession,
    *,
    name: str,
    payload: dict[str, Any],
    run_at: datetime | None = None,
    dedupe_key: str | None = None,
) -> str | None:
    """Add a job in the caller's transaction: it exists, and runs, only if that transaction commits.

    With a `dedupe_key`, nothing is added while a queued job holds the same key (returns None).
    """
    job = Job(
        id=new_id("job"),
        name=name,
        payload=payload,
        state=QUEUED,
        run_at=run_at or utc_now(),
        attempts=0,
        dedupe_key=dedupe_key,
    )
    if dedupe_key is None:
        session.add(job)
    else:
        existing = await session.scalar(select(Job.id).where(Job.dedupe_key == dedupe_key))
        if existing is not None:
            return None
        # A concurrent transaction may add the same key: a savepoint keeps the caller's work.
        try:
            async with session.begin_nested():
                session.add(job)
        except Exception as exc:
            from vantio.db.types import is_unique_violation

            if not is_unique_violation(exc):
                raise
            return None
    await _wake_after_commit(session)
    return job.id


def add_many(connection: Connection, jobs: Sequence[tuple[str, dict[str, Any]]]) -> None:
    """`enqueue` for many jobs due now, on a blocking Core connection: one INSERT in the
    connection's transaction, and the NOTIFY that wakes other processes' workers at its commit.

    The event writer adds its delivery jobs here, in request transactions and in the scan's
    batches alike. A caller that has a Session also calls `wake_local_workers_at_commit`.
    """
    if not jobs:
        return
    now = utc_now()
    connection.execute(
        _INSERT_JOBS,
        [
            {
                "id": job_id,
                "name": name,
                "payload": payload,
                "state": QUEUED,
                "run_at": now,
                "attempts": 0,
                "dedupe_key": None,
                "created_at": now,
            }
            for job_id, (name, payload) in zip(new_ids("job", len(jobs)), jobs, strict=True)
        ],
    )
    if _first_notify(connection):
        connection.execute(_NOTIFY)


# Workers of this process wake at once when a transaction that enqueued a job commits. Workers
# of other processes: on PostgreSQL the NOTIFY wakes them; on SQLite the commit touches a signal
# file beside the database (`sqlite_signal_path`), whose modification time they watch.
_local_wakers: set[Callable[[], None]] = set()
_signal_paths: dict[str | URL, str | None] = {}


def sqlite_signal_path(database_url: str | URL) -> str | None:
    """The file beside a SQLite database that a commit enqueuing jobs touches (None: not a
    SQLite file)."""
    found = _signal_paths.get(database_url)
    if found is None and database_url not in _signal_paths:
        url = make_url(database_url)
        database = url.database
        if url.get_backend_name() == "sqlite" and database and database != ":memory:":
            found = f"{database}-jobs"
        _signal_paths[database_url] = found
    return found


def signal_other_processes(database_url: str | URL) -> None:
    """Tell workers of other processes that jobs were committed (SQLite; a no-op otherwise)."""
    path = sqlite_signal_path(database_url)
    if path is None:
        return
    try:
        with open(path, "ab"):
            # An explicit time, to the nanosecond: the kernel's own stamps move once a tick,
            # so two commits within one tick would look like one.
            stamp = time_ns()
            os.utime(path, ns=(stamp, stamp))
    except OSError as exc:  # they still find the jobs at their next poll
        log.debug("could not touch %s: %r", path, exc)


def _on_commit(session: Session) -> None:
    for wake in list(_local_wakers):
        wake()
    bind = session.bind
    if bind is not None and bind.dialect.name == "sqlite":
        signal_other_processes(bind.engine.url)


NOTIFY_CHANNEL = "vantio_jobs"
_NOTIFY = text(f"NOTIFY {NOTIFY_CHANNEL}")
_NOTIFIED = "vantio_jobs_notified"
_INSERT_JOBS = insert(cast(Table, Job.__table__))


def wake_local_workers_at_commit(session: Session) -> None:
    if not event.contains(session, "after_commit", _on_commit):
        event.listen(session, "after_commit", _on_commit)


def _first_notify(connection: Connection) -> bool:
    """Whether this transaction still needs its NOTIFY (marked sent when it does).

    PostgreSQL delivers a NOTIFY when (and only if) the transaction commits: workers of other
    processes wake at once instead of at their next poll. Once per transaction is enough.
    """
    if connection.dialect.name != "postgresql":
        return False
    current = connection.get_transaction()
    if current is not None and connection.info.get(_NOTIFIED) is current:
        return False
    connection.info[_NOTIFIED] = current
    return True


async def _wake_after_commit(session: AsyncSession) -> None:
    wake_local_workers_at_commit(session.sync_session)
    connection = await session.connection()
    if connection.sync_connection is not None and _first_notify(connection.sync_connection):
        await connection.execute(_NOTIFY)
