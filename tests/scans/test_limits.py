"""The limit of new devices per poster and IP, as the process keeps it."""

import gc
from datetime import UTC, datetime, timedelta

from vantio.scans.limits import NewDeviceLimit


def test_the_windows_of_many_ips_leave_nothing_for_the_garbage_collector_to_walk() -> None:
    """One window per (poster, IP), kept a minute: at thousands of scans a second from as many
    IPs, GC-tracked windows (a deque each) made every full collection walk hundreds of thousands
    of objects with the event loop stopped (140 ms and more: the scans' p99)."""
    limit = NewDeviceLimit(30)
    start = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    for n in range(5000):
        at = start + timedelta(milliseconds=n)
        assert limit("poster_1", f"10.0.{n // 256}.{n % 256}", at)
    assert limit("poster_1", "10.0.0.1", start + timedelta(seconds=6))  # a second device
    batch = limit.batch()
    assert batch("poster_1", "10.0.0.2", start + timedelta(seconds=7))
    batch.undo()
    gc.collect()
    windows = list(limit._windows.values())
    assert len(windows) == 5000
    assert not [w for w in windows if gc.is_tracked(w)]
    assert limit._windows[("poster_1", "10.0.0.1")] == (
        (start + timedelta(milliseconds=1)).timestamp(),
        (start + timedelta(seconds=6)).timestamp(),
    )
    assert limit._windows[("poster_1", "10.0.0.2")] == (
        (start + timedelta(milliseconds=2)).timestamp(),
    )
