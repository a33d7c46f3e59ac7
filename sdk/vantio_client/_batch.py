"""``client.batch``: run one call per item with bounded concurrency, keeping input order."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Generic, TypeVar

I = TypeVar("I")  # noqa: E741
R = TypeVar("R")


@dataclass(frozen=True)
class BatchItemError(Generic[I]):
    """One item whose call raised: its position in the input, the item, and the exception."""

    index: int
    item: I
    error: Exception


@dataclass
class BatchResult(Generic[I, R]):
    """The outcome of :meth:`Vantio.batch`.

    ``results[i]`` is the return value for ``items[i]`` (``None`` where that item failed);
    ``errors`` lists the failed items in input order.
    """

    results: list[R | None] = field(default_factory=list)
    errors: list[BatchItemError[I]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether every item succeeded."""
        return not self.errors

    def succeeded(self) -> list[R]:
        """The results of the items that succeeded, in input order."""
        failed = {e.index for e in self.errors}
        return [r for i, r in enumerate(self.results) if i not in failed]  # type: ignore[misc]


def _check(concurrency: int) -> None:
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")


def run_sync(items: Iterable[I], fn: Callable[[I], R], concurrency: int) -> BatchResult[I, R]:
    """Call ``fn(item)`` for every item on at most ``concurrency`` threads."""
    _check(concurrency)
    inputs = list(items)
    result: BatchResult[I, R] = BatchResult(results=[None] * len(inputs))
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="vantio-batch") as pool:
        futures = [pool.submit(fn, item) for item in inputs]
        for index, future in enumerate(futures):
            error = future.exception()
            if error is None:
                result.results[index] = future.result()
            elif isinstance(error, Exception):
                result.errors.append(BatchItemError(index, inputs[index], error))
            else:
                raise error
    return result


async def run_async(
    items: Iterable[I], fn: Callable[[I], Awaitable[R]], concurrency: int
) -> BatchResult[I, R]:
    """Await ``fn(item)`` for every item, at most ``concurrency`` at a time."""
    _check(concurrency)
    inputs = list(items)
    result: BatchResult[I, R] = BatchResult(results=[None] * len(inputs))
    semaphore = asyncio.Semaphore(concurrency)

    async def one(index: int, item: I) -> None:
        async with semaphore:
            try:
                result.results[index] = await fn(item)
            except Exception as error:
                result.errors.append(BatchItemError(index, item, error))

    await asyncio.gather(*(one(i, item) for i, item in enumerate(inputs)))
    result.errors.sort(key=lambda e: e.index)
    return result
