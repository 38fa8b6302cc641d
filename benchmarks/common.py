"""Helpers shared by the benchmarks: timing and the output format."""

from __future__ import annotations

import json
import platform
import time
from collections.abc import Callable
from typing import Any

import numba
from rich.console import Console
from rich.table import Table


def best_of(fn: Callable[[], Any], repeat: int = 3) -> float:
    """Smallest wall time of ``repeat`` calls (s): the least disturbed measurement."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    return {
        "cpu": platform.processor() or platform.machine(),
        "threads": numba.get_num_threads(),
        "python": platform.python_version(),
        "numba": numba.__version__,
    }


def report(title: str, rows: list[tuple[str, str, str]], figures: dict[str, Any]) -> None:
    """Print the table (what, value, note) and then the figures as the last line, JSON."""
    table = Table(title=title)
    table.add_column("measurement")
    table.add_column("value", justify="right")
    table.add_column("note")
    for row in rows:
        table.add_row(*row)
    Console().print(table)
    print(json.dumps(figures, sort_keys=True))
