"""Sweeps: scenario variations x seeds x policies, on a process pool or a Ray cluster.

>>> from twin.sweep import SweepSpec
>>> spec = SweepSpec("hotel_small", {"hvac.capacity_scale": (0.8, 1.2)}, (0, 1), ("fixed",))
>>> spec.n_cells
4

See :mod:`twin.sweep.spec` (what a sweep is, the sweep file), :mod:`twin.sweep.params`
(field paths and derived knobs), :mod:`twin.sweep.cells` (cells, work units, the store
of finished cells), :mod:`twin.sweep.backends` (process pool, Ray),
:mod:`twin.sweep.results` (the tidy table) and :mod:`twin.sweep.runner` (the sweep
directory).
"""

from __future__ import annotations

from twin.sweep.params import DERIVED, apply_params
from twin.sweep.runner import SweepOutcome, run_sweep
from twin.sweep.spec import SweepSpec, load_sweep, parse_seeds

__all__ = [
    "DERIVED",
    "SweepOutcome",
    "SweepSpec",
    "apply_params",
    "load_sweep",
    "parse_seeds",
    "run_sweep",
]
