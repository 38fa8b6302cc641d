"""The hotel env beyond the conformance suite: its observation kernel, buffers, make_vec."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from tests.conftest import SCENARIOS
from twin.envs.hotel import HotelVectorEnv

SMALL = SCENARIOS / "hotel_small.toml"


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
