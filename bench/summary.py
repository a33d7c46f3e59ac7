"""The one line every benchmark ends with, per figure, so that a script can read them all:

    <backend> <path>: ratio R (p99 X ms)

R is the figure against its baseline measured in the same run (what bench/README.md says for each
path: higher is better); X the 99th percentile latency of that path in milliseconds.
"""

import re
import statistics
from collections.abc import Sequence

LINE = re.compile(
    r"^(?P<backend>\S+) (?P<path>[^:]+): ratio (?P<ratio>[\d.]+) \(p99 (?P<p99>[\d.]+) ms\)$"
)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) of the values, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def line(backend: str, path: str, ratio: float, p99_ms: float) -> str:
    return f"{backend} {path}: ratio {ratio:.3f} (p99 {p99_ms:.1f} ms)"


def median(values: Sequence[float]) -> float:
    return statistics.median(values)
