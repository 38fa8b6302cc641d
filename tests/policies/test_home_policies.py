"""The homes' baselines: the shipped program, and the learning thermostat's decisions."""

from __future__ import annotations

import numpy as np
import pytest

from policies import baseline_names, make_policy
from policies.home import FixedProgramPolicy, LearningThermostatPolicy
from policies.rollout import run_copies
from twin.scenario import load_scenario
from twin.venues.home.task import HOME_INDEX, ZONE_INDEX, HomeTask
from twin.venues.home.task_kernels import F_ZONE
from twin.world import World

SMALL = load_scenario("homes_small")


@pytest.fixture(scope="module")
def task() -> HomeTask:
    w = World(SMALL, n_envs=1)
    w.reset([0])
    return HomeTask(w)


def obs_of(task: HomeTask, **zone0: float) -> np.ndarray:
    """One observation: a learned, consenting home at 20 C, zone 0's features as given."""
    th = SMALL.thermostat
    o = np.zeros(task.obs_size, np.float32)
    for z in range(task.nz):
        b = z * F_ZONE
        o[b + ZONE_INDEX["temp_c"]] = 20.0
        o[b + ZONE_INDEX["program_heat_c"]] = th.heating_setpoint_c
        o[b + ZONE_INDEX["learned_setpoint_c"]] = 21.5
        o[b + ZONE_INDEX["p_occupied_now"]] = 1.0
        o[b + ZONE_INDEX["heat_rate_k_h"]] = 2.0
        o[b + ZONE_INDEX["hours_to_empty"]] = 24.0
    for name, value in zone0.items():
        o[ZONE_INDEX[name]] = value
    h = task.nz * F_ZONE
    o[h + HOME_INDEX["learning_allowed"]] = 1.0
    o[h + HOME_INDEX["confidence"]] = 1.0
    return o


def heat_of(task: HomeTask, policy, obs: np.ndarray) -> float:
    action, _ = policy.predict(obs)
    lo, hi = task.low[0, 0], task.high[0, 0]
    return float(lo + (action[0] + 1.0) * 0.5 * (hi - lo))


def test_the_homes_have_their_two_baselines():
    assert baseline_names("home") == ("fixed", "learning_thermostat")


def test_the_fixed_program_ignores_the_household(task):
    fixed = FixedProgramPolicy(task)
    th = SMALL.thermostat
    assert heat_of(
        task, fixed, obs_of(task, p_occupied_now=0.0, hours_to_occupied=9.0)
    ) == pytest.approx(th.heating_setpoint_c, abs=1e-4)
    night = obs_of(task, program_heat_c=th.setback_heating_c)
    assert heat_of(task, fixed, night) == pytest.approx(th.setback_heating_c, abs=1e-4)
    assert not fixed.uses_personal_data


def test_the_learning_thermostat_sets_back_pre_heats_and_serves_what_it_learned(task):
    lt = LearningThermostatPolicy(task, eco_heat_c=16.0, margin_h=1.0)
    assert lt.uses_personal_data
    away = dict(p_occupied_now=0.0, temp_c=17.0)
    # predicted back in 5 h, heating needs (21.5 - 17) / 2 + 1 = 3.25 h: still eco
    assert heat_of(task, lt, obs_of(task, **away, hours_to_occupied=5.0)) == pytest.approx(
        16.0, abs=1e-4
    )
    # back in 3 h: pre-heat to the learned set-point now
    assert heat_of(task, lt, obs_of(task, **away, hours_to_occupied=3.0)) == pytest.approx(
        21.5, abs=1e-4
    )
    # somebody is home although the routine says otherwise: served
    assert heat_of(
        task, lt, obs_of(task, **away, hours_to_occupied=9.0, occupied=1.0)
    ) == pytest.approx(21.5, abs=1e-4)
    # the routine says home: served, unless nobody was there for hours of it (Auto-Away)
    assert heat_of(task, lt, obs_of(task, absent_h=0.5, hours_to_occupied=0.0)) == pytest.approx(
        21.5, abs=1e-4
    )
    gone = obs_of(task, p_occupied_now=1.0, absent_h=3.0, hours_to_occupied=0.0)
    assert heat_of(task, lt, gone) == pytest.approx(16.0, abs=1e-4)
    # absent through whole evenings: a trip, no pre-heating for the usual arrival either
    trip = obs_of(task, p_occupied_now=0.0, absent_h=12.0, hours_to_occupied=0.5)
    assert heat_of(task, lt, trip) == pytest.approx(16.0, abs=1e-4)


def test_without_consent_or_a_learned_routine_it_runs_the_program(task):
    lt = LearningThermostatPolicy(task)
    th = SMALL.thermostat
    declined = obs_of(task, p_occupied_now=0.0, hours_to_occupied=9.0)
    declined[task.nz * F_ZONE + HOME_INDEX["learning_allowed"]] = 0.0
    assert heat_of(task, lt, declined) == pytest.approx(th.heating_setpoint_c, abs=1e-4)
    early = obs_of(task, p_occupied_now=0.0, hours_to_occupied=9.0)
    early[task.nz * F_ZONE + HOME_INDEX["confidence"]] = 0.5
    assert heat_of(task, lt, early) == pytest.approx(th.heating_setpoint_c, abs=1e-4)


def test_over_ten_days_the_learning_thermostat_saves_energy_and_uses_personal_data():
    s = SMALL.model_copy(
        update={
            "simulation": SMALL.simulation.model_copy(update={"horizon_days": 10.0}),
            "home": SMALL.home.model_copy(update={"n_homes": 12}),
        }
    )
    fixed, _ = run_copies(s, lambda t: make_policy("fixed", t), seed=3)
    lt, _ = run_copies(s, lambda t: make_policy("learning_thermostat", t), seed=3)
    assert fixed.kpis["personal_data_used"] == 0.0
    assert lt.kpis["personal_data_used"] > 0.0
    assert lt.kpis["energy_kwh"] < 0.97 * fixed.kpis["energy_kwh"]
    assert lt.kpis["homes"] == 12 and len(lt.records) == lt.kpis["residents"]


def test_ppo_trains_as_a_residual_on_the_learning_thermostat_and_loads_for_evaluation(tmp_path):
    from policies.training import TrainConfig, Trainer

    for layout in ("flat", "full"):
        cfg = TrainConfig(
            scenario="homes_small", layout=layout, total_steps=1024, n_envs=4,
            residual="learning_thermostat", checkpoint_every=0, eval_every=0,
        )  # fmt: skip
        Trainer.create(cfg, tmp_path / layout).run(progress_bar=False)
        w = World(SMALL, n_envs=2)
        w.reset([1, 2])
        task = HomeTask(w)
        policy = make_policy(str(tmp_path / layout / "policy.zip"), task)
        action, _ = policy.predict(task.observe()[0])
        assert action.shape == (2, task.act_size) and np.all(np.abs(action) <= 1.0)
