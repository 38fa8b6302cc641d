"""The home task: what the thermostat learns, the consent rule, actions and reward."""

from __future__ import annotations

import numpy as np
import pytest

from twin.arbitration import SOURCES
from twin.scenario import load_scenario
from twin.venues.home.learning import (
    CONFIDENT_DAYS,
    SP_PRIOR_WEIGHT,
    ThermostatLearning,
    predictions,
)
from twin.venues.home.task import HOME_INDEX, ZONE_INDEX, HomeTask
from twin.venues.home.task_kernels import F_ZONE
from twin.world import World

SMALL = load_scenario("homes_small")
OVERRIDE = SOURCES.index("override")
POLICY = SOURCES.index("policy")


def evenings(learning: ThermostatLearning, days: int, start_h: float, end_h: float) -> None:
    """Feed ``days`` weekdays on which zone 0 of home 0 is occupied from start to end."""
    nz = learning.nz
    for day in range(days):
        for s in range(learning.n_slots):
            hour = s * learning.dt_h
            presence = np.zeros((1, nz), bool)
            presence[0, 0] = start_h <= hour < end_h
            temp = np.full((1, nz), 20.0)
            learning.learn(hour, day % 5, np.array([True]), presence, temp, temp,
                           np.full((1, nz), POLICY, np.int8))  # fmt: skip


def test_the_learned_routine_predicts_occupancy_arrivals_and_departures():
    ln = ThermostatLearning(1, 2, 0.25, np.array([21.0, 18.0]))
    evenings(ln, int(CONFIDENT_DAYS), 18.0, 23.0)
    noon = predictions(ln.slot_of(12.0), 2, 0, 0, ln.n_obs, ln.n_occ, 0.25)
    assert noon == (0.0, 0.0, pytest.approx(6.0), 0.0)
    evening = predictions(ln.slot_of(19.0), 2, 0, 0, ln.n_obs, ln.n_occ, 0.25)
    assert evening[0] == 1.0 and evening[3] == pytest.approx(4.0)
    # weekends were never seen: counted as occupied (no setback on a guess)
    friday_night = predictions(ln.slot_of(23.5), 4, 0, 0, ln.n_obs, ln.n_occ, 0.25)
    assert friday_night[0] == 0.0 and friday_night[2] == pytest.approx(0.5)  # Saturday 00:00
    # one day seen only: half trusted
    ln2 = ThermostatLearning(1, 2, 0.25, np.array([21.0, 18.0]))
    evenings(ln2, 1, 18.0, 23.0)
    assert predictions(ln2.slot_of(12.0), 1, 0, 0, ln2.n_obs, ln2.n_occ, 0.25)[0] == pytest.approx(
        1.0 - 1.0 / CONFIDENT_DAYS
    )


def test_set_points_are_learned_from_overrides_and_nothing_personal_without_consent():
    ln = ThermostatLearning(2, 1, 0.25, np.array([21.0]))
    allowed = np.array([True, False])
    presence = np.ones((2, 1), bool)
    src = np.full((2, 1), POLICY, np.int8)
    temp = np.full((2, 1), 20.0)
    ln.learn(8.0, 0, allowed, presence, temp, np.full((2, 1), 21.0), src)
    src[:] = OVERRIDE
    ln.learn(8.25, 0, allowed, presence, temp, np.full((2, 1), 23.0), src)
    ln.learn(8.5, 0, allowed, presence, temp, np.full((2, 1), 23.0), src)  # the same hold
    expected = 21.0 + (23.0 - 21.0) / (1 + SP_PRIOR_WEIGHT)
    assert ln.sp[0, 0] == pytest.approx(expected) and ln.n_sp[0, 0] == 1
    assert ln.sp[1, 0] == 21.0 and ln.n_obs[1].sum() == 0 and ln.n_occ[1].sum() == 0
    assert ln.n_obs[0].sum() == 3 and ln.disclosed.tolist() == [True, False]
    # the heating rate (a property of the building) is learned for every home
    ln.learn(8.75, 0, allowed, presence, np.full((2, 1), 21.0), np.full((2, 1), 23.0), src)
    assert np.all(ln.rate > 2.0)


def test_the_observation_shows_a_routine_only_with_consent_and_permission():
    w = World(SMALL, n_envs=6)
    w.reset(list(range(100, 106)))
    task = HomeTask(w, personal_data=True)
    obs, known = task.observe()
    consent = w.venue.slots.consent == 1
    assert consent.any() and not consent.all()
    np.testing.assert_array_equal(known, consent)
    ln = task.learning
    ln.n_obs[:] = 5.0  # pretend a routine was learned for every home (it never is without consent)
    ln.n_occ[:] = 0.0
    ln.sp[:] = 25.0
    obs, _ = task.observe()
    allowed = obs[:, 2 * F_ZONE + HOME_INDEX["learning_allowed"]]
    np.testing.assert_array_equal(allowed, consent.astype(np.float32))
    for z in range(w.nz):
        col = lambda name, z=z: obs[:, z * F_ZONE + ZONE_INDEX[name]]  # noqa: E731
        np.testing.assert_array_equal(col("p_occupied_now")[~consent], 1.0)
        np.testing.assert_array_equal(col("hours_to_occupied")[~consent], 0.0)
        np.testing.assert_array_equal(col("learned_setpoint_c")[~consent], task.prior_sp[z])
        np.testing.assert_array_equal(col("learned_setpoint_c")[consent], 25.0)
        np.testing.assert_array_equal(col("p_occupied_now")[consent], 0.0)
    assert (
        task.obs_size == obs.shape[1]
        and np.all(obs >= task.obs_low)
        and np.all(obs <= task.obs_high)
    )
    blind = HomeTask(w, personal_data=False)
    obs, known = blind.observe()
    assert not known.any() and not obs[:, 2 * F_ZONE + HOME_INDEX["learning_allowed"]].any()


def test_a_new_episode_starts_a_new_learned_model():
    w = World(SMALL, n_envs=2)
    w.reset([1, 2])
    task = HomeTask(w)
    task.observe()
    for _ in range(5):
        a = np.zeros((2, task.act_size), np.float32)
        w.step(task.decode(a))
        task.observe()
    assert task.learning.n_obs.sum() > 0 or not (w.venue.slots.consent == 1).any()
    task.observe()  # the same reading again: nothing new learned
    before = task.learning.n_obs.sum()
    task.observe()
    assert task.learning.n_obs.sum() == before
    w.reset([1, 2])
    task.observe()
    assert task.learning.n_obs.sum() <= (w.venue.slots.consent == 1).sum()


def test_actions_map_to_set_points_and_back_and_lights_stay_with_the_residents():
    w = World(SMALL, n_envs=3)
    w.reset([1, 2, 3])
    task = HomeTask(w)
    c = SMALL.control
    cmd = task.decode(np.array([[-1, 1, 0, 0.5]] * 3, np.float32))
    assert (
        cmd.heat_setpoint_c[0, 0] == c.setpoint_min_c
        and cmd.cool_setpoint_c[0, 0] == c.setpoint_max_c
    )
    assert np.isnan(cmd.light_lux).all() and np.isnan(cmd.light_cct_k).all()
    back = task.normalise(cmd.heat_setpoint_c, cmd.cool_setpoint_c)
    np.testing.assert_allclose(back, [[-1, 1, 0, 0.5]] * 3, atol=1e-6)
    with pytest.raises(ValueError, match="outside the action range"):
        task.normalise(np.full((3, 2), 40.0), np.full((3, 2), 41.0))


def test_the_reward_is_the_sum_of_its_zone_shares_and_of_its_terms():
    w = World(SMALL, n_envs=3)
    w.reset([4, 5, 6])
    task = HomeTask(w)
    task.reset_reward()
    g = np.random.default_rng(0)
    for _ in range(60):
        cmd = task.decode(g.uniform(-1, 1, (3, task.act_size)).astype(np.float32))
        w.step(cmd)
        reward, terms = task.reward(cmd)
        np.testing.assert_allclose(task.zone_reward.sum(axis=1), reward, atol=1e-12)
        np.testing.assert_allclose(sum(terms.values()), reward, atol=1e-12)
        assert np.all(terms["comfort"] <= 0) and np.all(terms["energy_cost"] <= 0)
        over = w.venue.state.n_over.sum(axis=1)
        np.testing.assert_allclose(terms["overrides"], -SMALL.home.reward.override * over)
