"""Gymnasium environments of twin (ids registered by :mod:`twin.registration`).

>>> import gymnasium as gym
>>> import twin  # registers the ids
>>> env = gym.make("twin/Hotel-v0", scenario="hotel_small")
>>> obs, info = env.reset(seed=0)
>>> obs.shape == env.observation_space.shape
True
>>> envs = gym.make_vec("twin/Hotel-v0", num_envs=4, vectorization_mode="vector_entry_point",
...                     scenario="hotel_small")
>>> envs.reset(seed=0)[0].shape
(4, 234)
"""

from __future__ import annotations

from twin.registration import ENV_IDS, register_envs

__all__ = ["ENV_IDS"]

register_envs()
