"""The conformance suite (:mod:`twin.testing`) over every registered env."""

from __future__ import annotations

import pytest

from twin import testing
from twin.registration import ENVS

IDS = list(ENVS)


def small(env_id: str) -> dict[str, str]:
    return {"scenario": ENVS[env_id].small_scenario}


@pytest.mark.parametrize("env_id", IDS)
def test_checkers_pass_on_the_shipped_scenario_without_warnings(env_id):
    testing.check_checkers(env_id)  # the registered default: the venue's shipped scenario


@pytest.mark.parametrize("env_id", IDS)
def test_seeded_rollouts_are_identical_and_seeds_matter(env_id):
    testing.check_determinism(env_id, **small(env_id))


@pytest.mark.parametrize("env_id", IDS)
def test_episode_is_truncated_not_terminated_at_the_horizon(env_id):
    testing.check_episode_end(env_id, **small(env_id))


@pytest.mark.parametrize("env_id", IDS)
def test_env_pickles_as_its_configuration(env_id):
    testing.check_pickle(env_id, **small(env_id))


@pytest.mark.parametrize("env_id", IDS)
def test_vector_env_equals_single_envs_through_autoreset(env_id):
    testing.check_vector_equals_single(env_id, **small(env_id))


@pytest.mark.parametrize("env_id", IDS)
def test_sharded_vector_env_equals_the_native_one_and_closes_cleanly(env_id):
    testing.check_sharded_equals_native(env_id, **small(env_id))


@pytest.mark.parametrize("env_id", IDS)
def test_ppo_learns_256_steps(env_id):
    testing.check_ppo_smoke(env_id, **small(env_id))


def test_the_suite_catches_a_nondeterministic_env(monkeypatch):
    """A check that cannot fail is no check: break determinism and watch it fail."""
    import numpy as np

    from twin.envs.core import TwinEnv

    original = TwinEnv.reset

    def reset(self, *, seed=None, options=None):
        obs, info = original(self, seed=seed, options=options)
        return obs + np.float32(np.random.default_rng().uniform(0, 1e-3)), info

    monkeypatch.setattr(TwinEnv, "reset", reset)
    with pytest.raises(AssertionError, match="same seed gave different trajectories"):
        testing.check_determinism("twin/Hotel-v0", steps=2, **small("twin/Hotel-v0"))
