"""Conformance suite for twin's environments.

As Gymnasium's env checker and PettingZoo's test suite are for theirs: every registered
``twin/*`` env, and any env a researcher adds, must pass :func:`check_conformance`:
Gymnasium's and SB3's ``check_env`` without warnings, the same seed giving the same
trajectory (and another seed another), observations inside the observation space,
truncation (never termination) at the horizon, pickling as its configuration, the
native vector env equal to single envs through the autoreset, the sharded vector env
equal to the native one, and a PPO smoke run. ``tests/envs`` runs it over the registry;
each check is also callable on its own.

>>> from twin.testing import check_determinism
>>> check_determinism("twin/Hotel-v0", scenario="hotel_small", steps=5)
"""

from __future__ import annotations

import pickle
import warnings
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.utils.env_checker import check_env as gym_check_env
from gymnasium.utils.env_checker import data_equivalence

import twin  # noqa: F401 - registers the twin/* ids

__all__ = [
    "check_checkers",
    "check_conformance",
    "check_determinism",
    "check_episode_end",
    "check_pickle",
    "check_ppo_smoke",
    "check_sharded_equals_native",
    "check_vector_equals_single",
]


def _make(env_id: str, **kwargs: Any) -> Any:
    return gym.make(env_id, **kwargs).unwrapped


def _make_vec(env_id: str, n: int, **kwargs: Any) -> Any:
    return gym.make_vec(env_id, num_envs=n, vectorization_mode="vector_entry_point", **kwargs)


def _actions(rng: np.random.Generator, space: gym.spaces.Box, n: int | None = None) -> Any:
    shape = space.shape if n is None else (n, *space.shape)
    return rng.uniform(space.low.min(), space.high.max(), shape).astype(np.float32)


def check_checkers(env_id: str, **kwargs: Any) -> None:
    """Gymnasium's and Stable-Baselines3's env checkers pass, with warnings as errors."""
    from stable_baselines3.common.env_checker import check_env as sb3_check_env

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        env = _make(env_id, **kwargs)
        gym_check_env(env)
        sb3_check_env(env, warn=True)
        env.close()


def check_determinism(env_id: str, steps: int = 40, **kwargs: Any) -> None:
    """The same seed gives the same trajectory; another seed gives another one."""

    def rollout(seed: int) -> list[Any]:
        env = _make(env_id, **kwargs)
        rng = np.random.default_rng(seed)
        out: list[Any] = [env.reset(seed=seed)]
        for _ in range(steps):
            out.append(env.step(_actions(rng, env.action_space)))
            assert env.observation_space.contains(out[-1][0]), "observation outside its space"
        return out

    a, b, c = rollout(1), rollout(1), rollout(2)
    assert data_equivalence(a, b), f"{env_id}: the same seed gave different trajectories"
    assert not data_equivalence(a, c), f"{env_id}: different seeds gave the same trajectory"


def check_episode_end(env_id: str, **kwargs: Any) -> None:
    """Episodes are truncated (not terminated) exactly at the horizon.

    The last step's ``info`` carries the KPIs; stepping before ``reset`` raises
    ``ResetNeeded``; rewards are finite and observations inside their space throughout.
    """
    env = _make(env_id, **kwargs)
    zero = np.zeros(env.action_space.shape, np.float32)
    try:
        env.step(zero)
        raise AssertionError(f"{env_id}: step before reset did not raise")
    except gym.error.ResetNeeded:
        pass
    obs, _ = env.reset(seed=0)
    n = env.world.n_steps
    for t in range(n):
        obs, reward, terminated, truncated, info = env.step(zero)
        assert np.isfinite(reward), f"{env_id}: reward {reward} at step {t}"
        assert env.observation_space.contains(obs), f"{env_id}: observation outside its space"
        assert not terminated
        assert truncated == (t == n - 1), f"{env_id}: truncated={truncated} at step {t} of {n}"
    assert set(info["reward_terms"]) == set(env.task.reward_terms)
    assert "kpis" in info and "energy_kwh" in info["kpis"]


def check_pickle(env_id: str, **kwargs: Any) -> None:
    """An env pickles as its configuration and gives the same episode after unpickling."""
    env = _make(env_id, personal_data=False, **kwargs)
    obs, _ = env.reset(seed=3)
    clone = pickle.loads(pickle.dumps(env))
    assert clone.task.personal_data is False
    again, _ = clone.reset(seed=3)
    np.testing.assert_array_equal(obs, again)


def check_vector_equals_single(
    env_id: str, seeds: tuple[int, ...] = (5, 6, 7), extra_steps: int = 30, **kwargs: Any
) -> None:
    """The native vector env equals one single env per copy, step for step.

    Through the autoreset at the end of the first episode, ``final_obs`` and KPIs included.
    """
    vec = _make_vec(env_id, len(seeds), **kwargs)
    singles = [_make(env_id, **kwargs) for _ in seeds]
    vobs, _ = vec.reset(seed=list(seeds))
    sobs = np.stack([e.reset(seed=s)[0] for e, s in zip(singles, seeds, strict=True)])
    np.testing.assert_array_equal(vobs, sobs)
    rng = np.random.default_rng(0)
    for t in range(vec.world.n_steps + extra_steps):
        act = _actions(rng, vec.single_action_space, len(seeds))
        vobs, vrew, vterm, vtrunc, vinfo = vec.step(act)
        for i, env in enumerate(singles):
            obs, rew, term, trunc, info = env.step(act[i])
            assert (term, trunc) == (vterm[i], vtrunc[i])
            assert rew == vrew[i], f"{env_id}: copy {i}, step {t}: reward {rew} != {vrew[i]}"
            if trunc:
                np.testing.assert_array_equal(obs, vinfo["final_obs"][i])
                assert info["kpis"] == vinfo["final_info"]["kpis"][i]
                obs, _ = env.reset()
            np.testing.assert_array_equal(obs, vobs[i], err_msg=f"{env_id}: copy {i}, step {t}")


def check_sharded_equals_native(env_id: str, n: int = 4, **kwargs: Any) -> None:
    """The vector env sharded over two processes equals the native one.

    Step for step through the autoreset; its processes are gone after ``close``.
    """
    from twin.envs.sharded import ShardedVectorEnv

    native = _make_vec(env_id, n, **kwargs)
    seeds = list(range(9, 9 + n))
    with ShardedVectorEnv(n, native.scenario, workers=2) as sharded:
        np.testing.assert_array_equal(sharded.reset(seed=seeds)[0], native.reset(seed=seeds)[0])
        rng = np.random.default_rng(0)
        for _ in range(native.world.n_steps + 5):
            act = _actions(rng, native.single_action_space, n)
            sa, sr, _, su, si = sharded.step(act)
            na, nr, _, nu, ni = native.step(act)
            np.testing.assert_array_equal(sa, na)
            np.testing.assert_array_equal(sr, nr)
            np.testing.assert_array_equal(su, nu)
            if "final_obs" in ni:
                np.testing.assert_array_equal(si["final_obs"], ni["final_obs"])
                assert si["final_info"]["kpis"] == ni["final_info"]["kpis"]
        procs = list(sharded._procs)
    assert all(not p.is_alive() for p in procs), f"{env_id}: shard processes left running"


def check_ppo_smoke(env_id: str, steps: int = 256, **kwargs: Any) -> None:
    """Stable-Baselines3's PPO learns ``steps`` steps on the native vector env."""
    from stable_baselines3 import PPO
    from stable_baselines3.common.vec_env import VecNormalize

    from policies.vec_env import SB3VecEnv

    venv = VecNormalize(SB3VecEnv(_make_vec(env_id, 2, **kwargs)))
    model = PPO("MlpPolicy", venv, n_steps=64, batch_size=64, device="cpu", seed=0)
    model.learn(steps)
    assert model.num_timesteps == steps


def check_conformance(env_id: str, **kwargs: Any) -> None:
    """Every check of this module on one env (``kwargs`` go to ``gym.make``)."""
    check_checkers(env_id, **kwargs)
    check_determinism(env_id, **kwargs)
    check_episode_end(env_id, **kwargs)
    check_pickle(env_id, **kwargs)
    check_vector_equals_single(env_id, **kwargs)
    check_sharded_equals_native(env_id, **kwargs)
    check_ppo_smoke(env_id, **kwargs)
