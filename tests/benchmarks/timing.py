"""Benchmarks' timing: repeated calls after a warm-up, and one line of figures per case."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def cpu_seconds() -> float:
    """This process's CPU time and that of its import workers (which read JSON-lines files)."""
    from services.ingest.parallel_read import worker_cpu_seconds

    return time.process_time() + worker_cpu_seconds()


def timed_ms(function: Callable[[], object], runs: int) -> list[float]:
    """Milliseconds of each of `runs` calls, after one warm-up call (imports, caches, a first connection)."""
    function()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return times


def report(name: str, times: list[float]) -> None:
    """Print the median and the worst of `times`."""
    print(f"{name:<44} median {statistics.median(times):7.1f} ms   worst {max(times):7.1f} ms")
