"""Domain randomisation: per-copy variants, reproducible, and really applied."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import SCENARIOS
from twin.errors import ScenarioError
from twin.interface import Commands
from twin.scenario import load_scenario
from twin.world import World

SMALL = SCENARIOS / "hotel_small.toml"


def scenario_with(tmp_path, section: str):
    path = tmp_path / "r.toml"
    path.write_text(SMALL.read_text() + "\n[randomization]\n" + section)
    return load_scenario(path)


def test_disabled_randomization_keeps_the_scenarios_building(tmp_path):
    w = World(load_scenario(SMALL), n_envs=2)
    w.reset([1, 2])
    np.testing.assert_array_equal(w.coef[0], w.building.coef)
    np.testing.assert_array_equal(w.coef[1], w.building.coef)
    assert all(v["envelope"] == 1.0 and v["sensor_delay_steps"] == 0 for v in w.variants)


def test_each_copy_draws_its_own_variant_reproducibly(tmp_path):
    s = scenario_with(tmp_path, "enabled = true\nsensor_delay_steps = [0, 3]\n")
    w = World(s, n_envs=3)
    w.reset([1, 2, 3])
    first = [dict(v) for v in w.variants]
    assert len({v["envelope"] for v in first}) == 3
    assert not np.array_equal(w.coef[0], w.coef[1])
    lo, hi = s.randomization.hvac_capacity_scale
    ratio = w.q_heat_max / w.building.q_heat_max
    assert np.all((ratio >= lo) & (ratio <= hi))
    w.reset([1, 2, 3])
    assert w.variants == first  # same seeds, same variants
    # A bigger envelope loss really shows in the physics: the steady-state heating need.
    heat = []
    for env in range(3):
        single = World(s, n_envs=1)
        single.reset([env + 1])
        a = Commands(*(np.full((1, single.nz), v) for v in (21.0, 24.0, 0.0, 3000.0)))
        for _ in range(96):
            single.step(a)
        heat.append(single.energy_hvac.sum())
    order = np.argsort([v["envelope"] * v["ventilation"] for v in first])
    assert heat[order[0]] < heat[order[-1]]


def test_sensors_are_delayed_and_noisy(tmp_path):
    s = scenario_with(
        tmp_path, "enabled = true\nsensor_noise_k = 0.0\nsensor_delay_steps = [2, 2]\n"
    )
    w = World(s, n_envs=1)
    w.reset([5])
    a = Commands(*(np.full((1, w.nz), v) for v in (21.0, 24.0, 300.0, 3000.0)))
    history = []
    for _ in range(6):
        w.step(a)
        history.append(w.air[0].copy())
    np.testing.assert_array_equal(w.measurements().temperature_c[0], history[-3])
    noisy = scenario_with(
        tmp_path, "enabled = true\nsensor_noise_k = 0.5\nsensor_delay_steps = [0, 0]\n"
    )
    w = World(noisy, n_envs=1)
    w.reset([5])
    w.step(a)
    error = w.measurements().temperature_c[0] - w.air[0]
    assert 0.2 < error.std() < 0.9


def test_inverted_range_is_rejected(tmp_path):
    with pytest.raises(ScenarioError, match="envelope_scale = \\[1.2, 0.9\\]"):
        scenario_with(tmp_path, "envelope_scale = [1.2, 0.9]\n")
