"""Gymnasium environments of twin, registered explicitly here.

>>> import gymnasium as gym
>>> import twin.envs  # registers the ids below
>>> env = gym.make("twin/Hotel-v0", scenario="scenarios/hotel_small.toml")
>>> obs, info = env.reset(seed=0)
>>> obs.shape == env.observation_space.shape
True
>>> envs = gym.make_vec("twin/Hotel-v0", num_envs=4, vectorization_mode="vector_entry_point",
...                     scenario="scenarios/hotel_small.toml")
>>> envs.reset(seed=0)[0].shape
(4, 234)
"""

from __future__ import annotations

from gymnasium.envs.registration import register, registry

from twin.envs.hotel import HotelEnv
from twin.envs.vector import HotelVectorEnv

__all__ = ["ENV_IDS", "HotelEnv", "HotelVectorEnv"]

ENV_IDS = ("twin/Hotel-v0",)

if "twin/Hotel-v0" not in registry:
    register(
        id="twin/Hotel-v0",
        entry_point="twin.envs.hotel:HotelEnv",
        vector_entry_point="twin.envs.vector:HotelVectorEnv",
    )
