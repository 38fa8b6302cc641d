"""Tuning (``twin tune``): a grid of ``twin train`` settings x seeds, with ASHA early stopping.

Each trial is a normal training run directory; trials run one after another locally or
in parallel under Ray Tune's ``ASHAScheduler``. See :mod:`twin.tune.spec` (the tune
file, validation) and :mod:`twin.tune.runner` (the tune directory, resuming, ASHA).
"""

from __future__ import annotations

from twin.tune.runner import TuneOutcome, run_tune
from twin.tune.spec import TuneSpec, load_tune

__all__ = ["TuneOutcome", "TuneSpec", "load_tune", "run_tune"]
