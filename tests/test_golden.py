"""The shipped hotel still produces exactly what it produced before the World refactor.

See :mod:`tests.golden` for what is frozen and why it must not be regenerated.
"""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest

from tests.golden import GOLDEN, POLICIES, SEEDS, canonical, env_steps, run_outputs


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("policy", POLICIES)
def test_hotel_runs_are_bit_identical_to_the_frozen_ones(policy, seed):
    frozen = json.loads(gzip.decompress((GOLDEN / f"run_{policy}_s{seed}.json.gz").read_bytes()))
    now = json.loads(canonical(run_outputs(seed, policy)))
    assert now["kpis"] == frozen["kpis"]
    assert now["reward"] == frozen["reward"]
    assert len(now["guests"]) == len(frozen["guests"])
    for i, (a, b) in enumerate(zip(now["guests"], frozen["guests"], strict=True)):
        assert a == b, f"guest record {i} differs"


@pytest.mark.parametrize("seed", SEEDS)
def test_hotel_env_steps_are_bit_identical_to_the_frozen_ones(seed):
    frozen = np.load(GOLDEN / f"env_s{seed}.npz")
    now = env_steps(seed)
    for key in ("observations", "rewards", "reward_terms"):
        a, b = now[key], frozen[key]
        assert a.shape == b.shape, key
        diff = np.flatnonzero(a.reshape(len(a), -1) != b.reshape(len(b), -1))
        if diff.size:  # name the first step and feature that moved
            step, col = np.unravel_index(diff[0], a.reshape(len(a), -1).shape)
            pytest.fail(
                f"{key}: step {step}, column {col}: {a.reshape(len(a), -1)[step, col]!r}"
                f" != frozen {b.reshape(len(b), -1)[step, col]!r}"
            )
