"""The sweep's tidy results table and its summary with 95 % confidence intervals.

``results.parquet`` has one row per cell, sorted by the cell key (variation in the
order of the sweep, policy in the order given, seed), and only what the cell's result
depends on: ``variation``, one column per swept parameter (named by its path),
``policy``, ``seed``, ``reward``, the venue's KPIs (flat, ``NaN`` where a cell failed)
and ``error`` (empty when the cell ran). Wall times and the backend are provenance and
live apart (``timings.parquet``, ``sweep.json``), so the same sweep gives a
byte-identical table on any backend and after any interruption.

``summary.parquet`` (and ``.csv``) has per variation, policy and metric (the reward and
the venue's headline KPIs) the mean over seeds and its Student-t 95 % interval, over
the cells that ran.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["param_column", "summary_rows", "write_parquet"]


def param_column(values: Sequence[Any]) -> np.ndarray:
    """One swept parameter's values as a column: float64 if all numbers, else text."""
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return np.asarray(values, dtype=np.float64)
    if all(isinstance(v, str) for v in values):
        return np.asarray(values, dtype=object)
    return np.asarray([json.dumps(v) for v in values], dtype=object)


def write_parquet(path: Path, columns: dict[str, Any]) -> None:
    """Write columns as Parquet atomically (a temporary file renamed into place)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({k: np.asarray(v) if not isinstance(v, np.ndarray) else v
                      for k, v in columns.items()})  # fmt: skip
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, path)


def _float(value: Any) -> float:
    return np.nan if value is None else float(value)


def results_columns(
    rows: Sequence[dict[str, Any]], param_names: Sequence[str]
) -> dict[str, np.ndarray]:
    """The results table's columns from row dicts (``variation``, params, ``policy``, ...)."""
    kpis: list[str] = []
    for r in rows:
        kpis += [k for k in r["kpis"] if k not in kpis]
    cols: dict[str, Any] = {"variation": np.array([r["variation"] for r in rows], np.int64)}
    for name in param_names:
        cols[name] = param_column([r["params"][name] for r in rows])
    cols["policy"] = np.array([r["policy"] for r in rows], dtype=object)
    cols["seed"] = np.array([r["seed"] for r in rows], np.int64)
    cols["reward"] = np.array([r["reward"] for r in rows], np.float64)
    for k in kpis:
        # A KPI a cell cannot define (None, e.g. no guest checked out in a short episode)
        # is NaN, like a failed cell's.
        cols[k] = np.array([_float(r["kpis"].get(k)) for r in rows], np.float64)
    cols["error"] = np.array([r["error"] for r in rows], dtype=object)
    return cols


def summary_rows(
    rows: Sequence[dict[str, Any]],
    group: Sequence[str],
    metrics: Sequence[str],
) -> list[dict[str, Any]]:
    """Mean and 95 % CI per group of rows (keys in ``group``) and metric, over cells that ran.

    ``group`` names keys of a row or of its ``params``.
    """
    from policies.evaluation import summarise

    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for r in rows:
        key = tuple(json.dumps(r.get(g, r["params"].get(g))) for g in group)
        groups.setdefault(key, []).append(r)
    out = []
    for key, members in groups.items():
        ok = [{**m["kpis"], "reward": m["reward"]} for m in members if not m["error"]]
        stats = summarise(ok, [m for m in metrics if m != "reward"]) if ok else {}
        for metric in metrics:
            s = stats.get(metric)
            out.append({
                **{g: json.loads(k) for g, k in zip(group, key, strict=True)},
                "metric": metric,
                "mean": np.nan if s is None else s["mean"],
                "ci_low": np.nan if s is None else s["ci_low"],
                "ci_high": np.nan if s is None else s["ci_high"],
                "n": 0 if s is None else s["n"],
            })  # fmt: skip
    return out
