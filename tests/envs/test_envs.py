"""Conformance of every registered env: Gymnasium and SB3 checkers, seeding, vector == single."""

from __future__ import annotations

import pickle
import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env as gym_check_env
from gymnasium.utils.env_checker import data_equivalence
from stable_baselines3.common.env_checker import check_env as sb3_check_env

import twin.envs
from tests.conftest import SCENARIOS
from twin.envs.hotel import HotelEnv, HotelVectorEnv

SMALL = SCENARIOS / "hotel_small.toml"


@pytest.mark.parametrize("env_id", twin.envs.ENV_IDS)
def test_gymnasium_and_sb3_checkers_pass_without_warnings(env_id):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        env = gym.make(env_id)  # the registered default scenario (the shipped hotel)
        gym_check_env(env.unwrapped)
        sb3_check_env(env.unwrapped, warn=True)
        env.close()


@pytest.mark.parametrize("env_id", twin.envs.ENV_IDS)
def test_seeded_rollouts_are_identical_and_seeds_matter(env_id):
    def rollout(seed: int, steps: int = 40):
        env = gym.make(env_id, scenario=SMALL)
        env.action_space.seed(seed)
        out = [env.reset(seed=seed)]
        for _ in range(steps):
            out.append(env.step(env.action_space.sample()))
        return out

    a, b, c = rollout(1), rollout(1), rollout(2)
    assert data_equivalence(a, b)
    assert not data_equivalence(a, c)


def test_env_pickles_as_its_configuration():
    env = HotelEnv(SMALL, personal_data=False)
    obs, _ = env.reset(seed=3)
    clone = pickle.loads(pickle.dumps(env))
    assert clone.task.personal_data is False
    again, _ = clone.reset(seed=3)
    np.testing.assert_array_equal(obs, again)


def test_episode_is_truncated_not_terminated_at_the_horizon():
    env = HotelEnv(SMALL)
    env.reset(seed=0)
    zero = np.zeros(env.action_space.shape, np.float32)
    for t in range(env.world.n_steps):
        _, _, terminated, truncated, info = env.step(zero)
        assert not terminated
        assert truncated == (t == env.world.n_steps - 1)
    assert "kpis" in info and set(info["reward_terms"]) == {
        "satisfaction", "discomfort", "energy_cost", "unsafe", "oscillation"
    }  # fmt: skip
    with pytest.raises(gym.error.ResetNeeded):
        HotelEnv(SMALL).step(zero)


def test_vector_env_equals_single_envs_with_the_same_seeds_through_autoreset():
    seeds = [5, 6, 7]
    vec = HotelVectorEnv(len(seeds), SMALL)
    singles = [HotelEnv(SMALL) for _ in seeds]
    vobs, _ = vec.reset(seed=seeds)
    sobs = np.stack([e.reset(seed=s)[0] for e, s in zip(singles, seeds, strict=True)])
    np.testing.assert_array_equal(vobs, sobs)
    rng = np.random.default_rng(0)
    steps = vec.world.n_steps + 30  # crosses the end of the first episode
    for t in range(steps):
        act = rng.uniform(-1, 1, (len(seeds), vec.single_action_space.shape[0])).astype(np.float32)
        vobs, vrew, vterm, vtrunc, vinfo = vec.step(act)
        for i, env in enumerate(singles):
            obs, rew, term, trunc, info = env.step(act[i])
            assert (term, trunc) == (vterm[i], vtrunc[i])
            assert rew == vrew[i]
            if trunc:
                np.testing.assert_array_equal(obs, vinfo["final_obs"][i])
                assert info["kpis"] == vinfo["final_info"]["kpis"][i]
                obs, _ = env.reset()
            np.testing.assert_array_equal(obs, vobs[i], err_msg=f"env {i}, step {t}")


def test_vector_env_writing_into_a_buffer_gives_the_same_trajectory():
    seeds = [3, 4]
    plain, buffered = HotelVectorEnv(2, SMALL), HotelVectorEnv(2, SMALL)
    buffer = np.full((2, buffered.task.obs_size), np.nan, np.float32)
    buffered.write_observations_to(buffer)
    a, _ = plain.reset(seed=seeds)
    b, _ = buffered.reset(seed=seeds)
    assert b is buffer
    np.testing.assert_array_equal(a, buffer)
    rng = np.random.default_rng(2)
    for _ in range(plain.world.n_steps + 3):  # through the autoreset
        act = rng.uniform(-1, 1, (2, plain.single_action_space.shape[0])).astype(np.float32)
        a, ra, _, _, ia = plain.step(act)
        b, rb, _, _, ib = buffered.step(act)
        assert b is buffer
        np.testing.assert_array_equal(a, buffer)
        np.testing.assert_array_equal(ra, rb)
        if "final_obs" in ia:  # the last observation survives the reset that follows it
            assert not np.shares_memory(ib["final_obs"], buffer)
            np.testing.assert_array_equal(ia["final_obs"], ib["final_obs"])
    with pytest.raises(ValueError, match="C-contiguous float32"):
        buffered.write_observations_to(np.zeros((2, 3), np.float32))


def test_make_vec_uses_the_native_vector_env():
    envs = gym.make_vec(
        "twin/Hotel-v0", num_envs=3, vectorization_mode="vector_entry_point", scenario=SMALL
    )
    assert isinstance(envs, HotelVectorEnv)
    obs, _ = envs.reset(seed=0)
    assert obs.shape == (3, *envs.single_observation_space.shape)
    assert envs.observation_space.contains(obs)


def test_observations_stay_inside_the_observation_space():
    env = HotelEnv(SMALL)
    obs, _ = env.reset(seed=4)
    env.action_space.seed(4)
    for _ in range(120):
        assert env.observation_space.contains(obs)
        obs, *_ = env.step(env.action_space.sample())


@pytest.mark.parametrize("personal_data", [True, False])
@pytest.mark.parametrize("randomize", [False, True])
def test_observation_kernel_equals_the_readable_reference(tmp_path, personal_data, randomize):
    from twin.scenario import load_scenario

    text = SMALL.read_text()
    if randomize:
        text += "\n[randomization]\nenabled = true\nsensor_delay_steps = [0, 2]\n"
    path = tmp_path / "s.toml"
    path.write_text(text)
    vec = HotelVectorEnv(3, load_scenario(path), personal_data=personal_data)
    vec.reset(seed=0)
    rng = np.random.default_rng(1)
    for _ in range(80):
        vec.step(rng.uniform(-1, 1, (3, vec.single_action_space.shape[0])).astype(np.float32))
        fast, known = vec.task.observe()
        reference = vec.task.reference()
        np.testing.assert_array_equal(fast, vec.task.encoder.encode_reference(reference))
        np.testing.assert_array_equal(known, vec.task.disclosed(reference))


def test_sharded_vector_env_equals_the_native_one_and_closes_cleanly():
    from twin.envs.sharded import ShardedVectorEnv

    native = HotelVectorEnv(4, SMALL)
    with ShardedVectorEnv(4, SMALL, workers=2) as sharded:
        a, _ = sharded.reset(seed=[9, 10, 11, 12])
        b, _ = native.reset(seed=[9, 10, 11, 12])
        np.testing.assert_array_equal(a, b)
        rng = np.random.default_rng(0)
        held = [(a, a.copy())]  # what step returns is the caller's: later steps leave it be
        for _ in range(native.world.n_steps + 10):  # through the autoreset
            act = rng.uniform(-1, 1, (4, native.single_action_space.shape[0])).astype(np.float32)
            sa, sr, st, su, si = sharded.step(act)
            na, nr, nt, nu, ni = native.step(act)
            np.testing.assert_array_equal(sa, na)
            np.testing.assert_array_equal(sr, nr)
            np.testing.assert_array_equal(su, nu)
            for key, value in ni["reward_terms"].items():
                np.testing.assert_array_equal(si["reward_terms"][key], value)
            held = [*held[-2:], (sa, sa.copy())]
            for returned, as_returned in held:
                np.testing.assert_array_equal(returned, as_returned)
            if "final_obs" in ni:
                np.testing.assert_array_equal(si["final_obs"], ni["final_obs"])
                assert si["final_info"]["kpis"] == ni["final_info"]["kpis"]
        procs = list(sharded._procs)
    assert all(not p.is_alive() for p in procs)
    sharded.close()  # idempotent
