"""Sweep throughput on a local process pool: 2 workers against 1, in the same run.

The same sweep (the shipped hotel, two heat-pump COP limits x ``--seeds`` seeds x
``fixed`` and ``rule_based``) runs into two fresh directories, first on one worker
process, then on two, each after a warm-up sweep that compiles and caches the kernels.
Throughput is cells per second of the sweep's execution (the pool starting, every work
unit, every cell stored; from ``sweep.json``); the end-to-end time adds validation, the
results table, summary and plots (serial, the same for both). Both sweeps must give
byte-identical results tables.

On a shared machine the ratio says little unless both cores were free: the figures
include the cores the workers really got (their CPU seconds over the wall seconds, ideally
1.0 and 2.0) and the load average before and after, so a contended run shows as such.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
import time
from pathlib import Path

from benchmarks.common import machine, report
from twin.sweep import SweepSpec, run_sweep


def timed(spec: SweepSpec, out: Path, workers: int, block: int) -> dict[str, float]:
    """Execution and end-to-end wall seconds of one sweep."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    outcome = run_sweep(spec, out, workers=workers, block=block)
    total = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the pool's workers, ended
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    runs = json.loads((out / "sweep.json").read_text())["runs"]
    exec_s = runs[-1]["wall_time_s"]
    return {"exec_s": exec_s, "total_s": total, "cells": outcome.cells, "cores": cpu / exec_s}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks sweep")
    parser.add_argument("--scenario", default="hotel")
    parser.add_argument("--seeds", type=int, default=32, help="seeds per variation and policy")
    parser.add_argument("--block", type=int, default=4, help="seeds per work unit")
    args = parser.parse_args(argv)
    spec = SweepSpec(
        args.scenario,
        {"hvac.heat_pump.cop_max": (5.0, 7.0)},
        tuple(range(args.seeds)),
        ("fixed", "rule_based"),
    )
    root = Path(tempfile.mkdtemp(prefix="twin-sweep-bench-"))
    run_sweep(spec.replace(seeds=(0, 1)), root / "warmup", workers=0)  # compile, cache
    load_before = os.getloadavg()[0]
    one = timed(spec, root / "one", 1, args.block)
    two = timed(spec, root / "two", 2, args.block)
    same = (root / "one" / "results.parquet").read_bytes() == (
        root / "two" / "results.parquet"
    ).read_bytes()
    load_after = os.getloadavg()[0]
    cells = one["cells"]
    ratio = one["exec_s"] / two["exec_s"]
    figures = {
        "benchmark": "sweep",
        "scenario": args.scenario,
        "cells": cells,
        "block": args.block,
        "cells_per_s_1_worker": round(cells / one["exec_s"], 2),
        "cells_per_s_2_workers": round(cells / two["exec_s"], 2),
        "sweep_scaling_2_vs_1": round(ratio, 2),
        "end_to_end_scaling_2_vs_1": round(one["total_s"] / two["total_s"], 2),
        "end_to_end_s_1_worker": round(one["total_s"], 2),
        "end_to_end_s_2_workers": round(two["total_s"], 2),
        "identical_tables": same,
        "cores_used_1_worker": round(one["cores"], 2),
        "cores_used_2_workers": round(two["cores"], 2),
        "loadavg_1min_before": round(load_before, 2),
        "loadavg_1min_after": round(load_after, 2),
        **machine(),
    }
    rows = [
        (f"1 worker ({cells} cells)", f"{cells / one['exec_s']:.2f} cells/s",
         f"{one['exec_s']:.1f} s executing, {one['total_s']:.1f} s end to end"),
        (f"2 workers ({cells} cells)", f"{cells / two['exec_s']:.2f} cells/s",
         f"{two['exec_s']:.1f} s executing, {two['total_s']:.1f} s end to end"),
        ("scaling 2 vs 1", f"{ratio:.2f}x",
         f"target >= 1.7x; end to end {one['total_s'] / two['total_s']:.2f}x"),
        ("cores the workers got", f"{one['cores']:.2f} / {two['cores']:.2f}",
         f"ideal 1 / 2; load average {load_before:.1f} before, {load_after:.1f} after"),
        ("results tables", "identical" if same else "DIFFER", "byte for byte"),
    ]  # fmt: skip
    report(f"Sweep throughput ({args.scenario}, local process pool)", rows, figures)
    return 0 if same else 1
