"""How many new devices one IP may add to a poster's count: a sliding window per (poster, IP).

Rotating the user agent (or dropping the device cookie) makes every request a new device; this
caps what that buys. A campus NAT puts a class of students behind one IP, each on their own phone:
they count one each as long as fewer than the limit arrive in any minute. Only the counting
stops: a refused scan is still redirected, without an impression (and without its event).

The windows live in the process (the scan writer's): several server processes each admit the
limit. Decisions are taken in the scans' own timestamps (`Visit.at`), so tests move time with
`vantio.kit.time.freeze` instead of sleeping.
"""

from datetime import datetime

WINDOW_SECONDS = 60.0
# Windows idle for a whole window are dropped at most this often (seconds of scan time).
_PRUNE_EVERY = 60.0


class NewDeviceLimit:
    """At most `per_minute` new devices per (poster, IP) in any 60 seconds; 0 means no limit."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        # Each window is a tuple of the times it admitted, oldest first: a tuple of floats is
        # nothing for the garbage collector to walk (it stops tracking it), where a deque per
        # window (one per client IP and poster, a minute long: 240,000 of them at 4,000 scans a
        # second from as many IPs) made each full collection walk them all, the event loop stopped.
        self._windows: dict[tuple[str, str], tuple[float, ...]] = {}
        self._pruned_at = 0.0

    def __call__(self, poster_id: str, ip_address: str | None, at: datetime) -> bool:
        """Count one new device of `poster_id` from `ip_address` at `at`, if the limit allows."""
        return self.admit((poster_id, ip_address or ""), at.timestamp())

    def batch(self) -> "Admissions":
        """The limit for one transaction: what it admitted is taken back if the transaction
        fails (its new devices were not counted after all)."""
        return Admissions(self)

    def admit(self, key: tuple[str, str], now: float) -> bool:
        if self.per_minute <= 0:
            return True
        window = self._windows.get(key, ())
        start = now - WINDOW_SECONDS
        if window and window[0] <= start:
            window = tuple(t for t in window if t > start)
        if len(window) >= self.per_minute:
            self._windows[key] = window
            return False
        self._windows[key] = (*window, now)
        if now - self._pruned_at >= _PRUNE_EVERY:
            self._prune(now)
        return True

    def forget(self, key: tuple[str, str], now: float) -> None:
        window = self._windows.get(key)
        if window is not None and now in window:
            index = window.index(now)
            self._windows[key] = window[:index] + window[index + 1 :]

    def _prune(self, now: float) -> None:
        self._pruned_at = now
        idle = [key for key, w in self._windows.items() if not w or w[-1] <= now - WINDOW_SECONDS]
        for key in idle:
            del self._windows[key]

    def __len__(self) -> int:
        """The (poster, IP) pairs whose window is kept."""
        return len(self._windows)


class Admissions:
    """`NewDeviceLimit` for one transaction: remembers what it admitted, to `undo` it."""

    def __init__(self, limit: NewDeviceLimit) -> None:
        self._limit = limit
        self._admitted: list[tuple[tuple[str, str], float]] = []

    def __call__(self, poster_id: str, ip_address: str | None, at: datetime) -> bool:
        key, now = (poster_id, ip_address or ""), at.timestamp()
        if not self._limit.admit(key, now):
            return False
        self._admitted.append((key, now))
        return True

    def undo(self) -> None:
        for key, now in self._admitted:
            self._limit.forget(key, now)
        self._admitted.clear()
