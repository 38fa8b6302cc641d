"""Run a sweep into its directory: resumable, backend-neutral, written atomically.

A sweep directory::

    spec.json          the sweep (written first; a rerun must ask the same question)
    cells/             one JSON per finished cell (the staging area; see twin.sweep.cells)
    results.parquet    the tidy results table (twin.sweep.results), written atomically
    summary.parquet    mean and 95 % CI per variation, policy and metric (and summary.csv)
    timings.parquet    wall seconds per cell (provenance: differs run to run)
    plots/<metric>.png mean and 95 % CI against each swept parameter, a line per policy
    sweep.json         provenance: backend, workers, cells computed and reused, wall time

Running the same sweep into the same directory again computes only the cells that are
not finished (cells that failed are tried again) and rewrites the table.
"""

from __future__ import annotations

import json
import math
import os
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from twin.errors import RunDirectoryError, TwinError
from twin.rundir import atomic_write, open_spec_dir
from twin.sweep.backends import run_inline, run_pool, run_ray
from twin.sweep.cells import CellStore, _policy_digest, cell_key, default_block, plan_units
from twin.sweep.results import results_columns, summary_rows, write_parquet
from twin.sweep.spec import SweepSpec

__all__ = ["SweepOutcome", "run_sweep"]

Backend = Literal["local", "ray"]


@dataclass(frozen=True)
class SweepOutcome:
    """What a run of a sweep did."""

    out: Path
    cells: int
    computed: int
    reused: int
    failed: int
    wall_s: float


def run_sweep(
    spec: SweepSpec,
    out: Path,
    backend: Backend = "local",
    workers: int | None = None,
    address: str | None = None,
    block: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SweepOutcome:
    """Run every missing cell of ``spec`` and write the sweep directory ``out``.

    Args:
        spec: the sweep (validated here before anything runs).
        out: the sweep directory (created, or resumed if it holds this sweep).
        backend: ``local`` (a process pool; ``workers = 0`` runs in this process) or
            ``ray``.
        workers: local processes (default: the machine's cores), or CPUs of a local Ray
            cluster started for the sweep.
        address: a Ray cluster to use (``--backend ray`` only).
        block: seeds per work unit (default: about four units per worker).
        progress: called with (cells finished, cells in all) as cells finish.

    Raises:
        TwinError: a bad spec (one line per problem) or a directory holding another sweep.
    """
    if backend not in ("local", "ray"):
        raise TwinError(f"--backend {backend!r}: use local or ray")
    if address is not None and backend != "ray":
        raise TwinError("--address needs --backend ray")
    base = spec.check()
    variations = spec.variations(base)
    out = Path(out)
    open_spec_dir(out, spec.to_json(), "sweep")
    store = CellStore(out / "cells")
    digests = {p: _policy_digest(p) for p in spec.policies}
    order = [(v.index, p, s) for v in variations for p in spec.policies for s in spec.seeds]
    keys = {c: cell_key(variations[c[0]].key, digests[c[1]], c[2]) for c in order}
    finished = store.done()
    todo = [c for c in order if keys[c] not in finished]
    n_workers = (os.cpu_count() or 1) if workers is None else workers
    size = block or default_block(len(todo), len(variations) * len(spec.policies),
                                  max(1, n_workers))  # fmt: skip
    units = plan_units(todo, [v.scenario_json for v in variations], size)
    count = {"done": len(order) - len(todo), "failed": 0}
    if progress is not None:
        progress(count["done"], len(order))

    def on_result(payload: dict[str, Any], results: list[dict[str, Any]]) -> None:
        for r in results:
            store.put(keys[(payload["variation"], payload["policy"], r["seed"])], r)
            count["done"] += 1
            count["failed"] += bool(r["error"])
        if progress is not None:
            progress(count["done"], len(order))

    t0 = time.perf_counter()
    cluster: dict[str, Any] = {}
    payloads = [u.payload() for u in units]
    if payloads:
        if backend == "ray":
            cluster = run_ray(payloads, on_result, address, workers)
        elif n_workers == 0:
            run_inline(payloads, on_result)
        else:
            run_pool(payloads, on_result, min(n_workers, len(payloads)))
    wall = time.perf_counter() - t0
    failed = write_results(out, spec, variations, store, keys, order)
    meta = {
        "backend": backend, "workers": n_workers, "address": address, "block": size,
        "units": len(units), "cells": len(order), "computed": len(todo),
        "reused": len(order) - len(todo), "failed": failed, "wall_time_s": round(wall, 3),
        "python": platform.python_version(), **cluster,
    }  # fmt: skip
    history = []
    if (out / "sweep.json").is_file():
        history = json.loads((out / "sweep.json").read_text()).get("runs", [])
    atomic_write(out / "sweep.json", json.dumps({"runs": [*history, meta]}, indent=2) + "\n")
    return SweepOutcome(out, len(order), len(todo), len(order) - len(todo), failed, wall)


def write_results(
    out: Path,
    spec: SweepSpec,
    variations: list[Any],
    store: CellStore,
    keys: dict[tuple[int, str, int], str],
    order: list[tuple[int, str, int]],
) -> int:
    """Write the results table, summary, timings and plots; returns the failed cells."""
    from twin.sweep.plots import plot_sweep
    from twin.venues import venue_class

    rows = []
    for c in order:
        r = store.get(keys[c])
        if r is None:  # pragma: no cover - every cell was run above
            raise RunDirectoryError(f"{out}: cell {keys[c]} has no result")
        v, p, s = c
        rows.append({"variation": v, "params": variations[v].params, "policy": p, "seed": s,
                     "reward": r["reward"], "kpis": r["kpis"], "error": r["error"],
                     "wall_s": r.get("wall_s", math.nan)})  # fmt: skip
    names = list(spec.params)
    write_parquet(out / "results.parquet", results_columns(rows, names))
    metrics = ["reward", *venue_class(spec.base().venue).headline_kpis]
    summary = summary_rows(rows, ["variation", *names, "policy"], metrics)
    from twin.sweep.results import param_column

    cols: dict[str, Any] = {"variation": [r["variation"] for r in summary]}
    for name in names:
        cols[name] = param_column([r[name] for r in summary])
    for key in ("policy", "metric", "mean", "ci_low", "ci_high", "n"):
        cols[key] = [r[key] for r in summary]
    write_parquet(out / "summary.parquet", cols)
    _write_csv(out / "summary.csv", cols)
    write_parquet(out / "timings.parquet", {
        "variation": [r["variation"] for r in rows], "policy": [r["policy"] for r in rows],
        "seed": [r["seed"] for r in rows], "wall_s": [r["wall_s"] for r in rows],
    })  # fmt: skip
    plot_sweep(out / "plots", rows, dict(spec.params), spec.policies, metrics)
    return sum(bool(r["error"]) for r in rows)


def _write_csv(path: Path, cols: dict[str, Any]) -> None:
    import csv
    import io

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(cols)
    for row in zip(*cols.values(), strict=True):
        writer.writerow([f"{x:.6g}" if isinstance(x, float) else x for x in row])
    atomic_write(path, buf.getvalue())
