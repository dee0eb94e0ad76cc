"""Timing helpers shared by the benchmark scripts (best of repeats; ratios within one run)."""

from __future__ import annotations

import time
from collections.abc import Callable


def best_time(fn: Callable[[], object], repeats: int = 3, min_seconds: float = 0.0) -> float:
    """Best wall time of ``fn`` over ``repeats`` calls (after one warm-up if it is cheap)."""
    start = time.perf_counter()
    fn()
    first = time.perf_counter() - start
    if first > 5.0:
        repeats = 1  # expensive: the first call is the measurement
        return first
    best = first
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def markdown_table(header: list[str], rows: list[list[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        lines.append("| " + " | ".join(_fmt(v) for v in row) + " |")
    return "\n".join(lines)


def _fmt(v: object) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)
