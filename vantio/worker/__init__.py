"""The background worker: jobs are database rows, written in the caller's transaction.

Declare a job kind in your domain's `jobs` module and enqueue it from a service, inside the
request's (or job's) transaction; it exists, and runs, only if that transaction commits::

    from datetime import time, timedelta
    from typing import Any

    from vantio.worker import jobs

    @jobs.handler("vouchers.expire_one", max_attempts=10)
    async def expire_one(ctx: jobs.JobContext, payload: dict[str, Any]) -> None:
        voucher = await voucher_service.get(ctx.session, ...)   # ctx.session: the job's transaction
        ...                                                       # ctx.runtime: the Runtime

    await jobs.enqueue(session, name="vouchers.expire_one", payload={"voucher_id": v.id},
                       run_at=None, dedupe_key=f"expire:{v.id}")   # run_at None = now

    @jobs.periodic("vouchers.expire", every=timedelta(minutes=1))   # or daily_at=time(2, 0), UTC
    async def expire(ctx: jobs.JobContext, due_at: datetime) -> None: ...

The worker imports no domain: it runs the jobs of its runtime's `JobRegistry`, which the
composition root fills. A new domain's `jobs` module goes into `JOB_MODULES` in
`vantio/composition.py`.

Semantics:

- A handler runs in `ctx.session`; the runner commits that transaction together with the removal
  of the job row, so its database work happens once. It is retried when it raises (backoff
  `worker_retry_base_seconds * 2**(attempt-1)`, capped at 1 h) up to `max_attempts`, then kept
  with state `failed` and its traceback in `last_error`. `raise jobs.RetryLater(timedelta(...))`
  reschedules without counting a failure.
- Delivery is at least once: a worker that dies mid-job loses its lease
  (`worker_lease_seconds`, extended by a heartbeat while the job runs) and the job runs again,
  so make handlers idempotent. Two workers never run the same job at the same time.
- `ctx.session` begins its transaction at its first statement. Never hold it across network I/O
  (SQLite has one writer): do the I/O first, reading what it needs through
  `async with ctx.snapshot() as s:` (a separate, short transaction), then write through
  `ctx.session`.
- `dedupe_key`: while a queued job holds the key, enqueueing another is a no-op (returns None).
- Periodic jobs: due times are aligned on the epoch (`every`) or a UTC time of day (`daily_at`);
  exactly one run per due time across all workers; due times missed while no worker ran collapse
  into one run (for the latest). The handler gets the due time.
- Tests: `await vantio.worker.runner.run_due(runtime, names={"vouchers.expire_one"})` runs every
  due job in the calling task (freeze `kit.time` to make future jobs due). A test's own jobs go
  into a registry of its own: `dataclasses.replace(runtime, jobs=JobRegistry(my_job))`.

Run workers with `vantio worker` (as many processes as you like); `vantio serve` runs one in its
own process unless `--no-worker` is given.
"""
