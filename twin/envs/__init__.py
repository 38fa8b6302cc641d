"""Gymnasium environments of twin, registered explicitly here.

>>> import gymnasium as gym
>>> import twin.envs  # registers the ids below
>>> env = gym.make("twin/Hotel-v0", scenario="scenarios/hotel_small.toml")
>>> obs, info = env.reset(seed=0)
>>> obs.shape == env.observation_space.shape
True
"""

from __future__ import annotations

from gymnasium.envs.registration import register, registry

from twin.envs.hotel import HotelEnv

__all__ = ["HotelEnv", "ENV_IDS"]

ENV_IDS = ("twin/Hotel-v0",)

if "twin/Hotel-v0" not in registry:
    register(id="twin/Hotel-v0", entry_point="twin.envs.hotel:HotelEnv")
