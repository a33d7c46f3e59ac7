"""The figures every process shares, read from the database when `/metrics` is scraped: the job
queue (how many, how late) and the worker's heartbeat. Counting them in the database rather than
in each process makes them right however many API and worker processes run."""

from collections.abc import Iterator
from dataclasses import dataclass

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from vantio.kit.time import utc_now
from vantio.observability.health import age_seconds, worker_heartbeat
from vantio.worker.models import Job


@dataclass
class QueueFigures:
    # (job name, state) -> rows
    jobs: dict[tuple[str, str], int]
    # job name -> seconds since the oldest queued job of that name became due (0 when none is)
    oldest_due_age: dict[str, float]
    worker_heartbeat_age: float | None


async def read_queue(engine: AsyncEngine) -> QueueFigures:
    now = utc_now()
    async with engine.connect() as connection:
        counts = (
            await connection.execute(
                select(Job.name, Job.state, func.count()).group_by(Job.name, Job.state)
            )
        ).all()
        oldest = (
            await connection.execute(
                select(Job.name, func.min(Job.run_at))
                .where(Job.state == "queued", Job.run_at <= now)
                .group_by(Job.name)
            )
        ).all()
    heartbeat = await worker_heartbeat(engine)
    return QueueFigures(
        jobs={(name, state): count for name, state, count in counts},
        oldest_due_age={name: age_seconds(due) or 0.0 for name, due in oldest},
        worker_heartbeat_age=age_seconds(heartbeat),
    )


class QueueCollector(Collector):
    """Hands figures read beforehand (`read_queue`, async) to a synchronous registry."""

    def __init__(self, figures: QueueFigures) -> None:
        self.figures = figures

    def collect(self) -> Iterator[GaugeMetricFamily]:
        jobs = GaugeMetricFamily(
            "vantio_jobs",
            "Job rows, by job name and state (queued, failed).",
            labels=["name", "state"],
        )
        for (name, state), count in sorted(self.figures.jobs.items()):
            jobs.add_metric([name, state], count)
        yield jobs
        age = GaugeMetricFamily(
            "vantio_jobs_oldest_due_age_seconds",
            "How long the oldest due, queued job of each name has waited for a worker.",
            labels=["name"],
        )
        for name, seconds in sorted(self.figures.oldest_due_age.items()):
            age.add_metric([name], seconds)
        yield age
        if self.figures.worker_heartbeat_age is not None:
            yield GaugeMetricFamily(
                "vantio_worker_heartbeat_age_seconds",
                "Seconds since a worker last scheduled the periodic jobs (a worker's sign of life).",
                value=self.figures.worker_heartbeat_age,
            )
