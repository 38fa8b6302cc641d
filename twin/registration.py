"""The ``twin/*`` Gymnasium ids, registered when ``twin`` is imported.

Registration names entry points as strings (as ``gymnasium/envs/__init__.py`` does), so
``import twin`` costs only Gymnasium's registry; an env's module is imported when
``gym.make`` or ``gym.make_vec`` first builds it.

>>> import gymnasium as gym
>>> import twin  # registers the ids below
>>> sorted(i for i in gym.registry if i.startswith("twin/"))
['twin/Home-v0', 'twin/Hotel-v0', 'twin/Store-v0']
"""

from __future__ import annotations

from typing import NamedTuple

from gymnasium.envs.registration import register, registry


class EnvEntry(NamedTuple):
    """How to build one registered env, and the small shipped scenario tests run it on."""

    entry_point: str
    vector_entry_point: str
    small_scenario: str


#: Every registered id.
ENVS: dict[str, EnvEntry] = {
    "twin/Hotel-v0": EnvEntry(
        "twin.envs.hotel:HotelEnv", "twin.envs.hotel:HotelVectorEnv", "hotel_small"
    ),
    "twin/Store-v0": EnvEntry(
        "twin.envs.store:StoreEnv", "twin.envs.store:StoreVectorEnv", "store_small"
    ),
    "twin/Home-v0": EnvEntry(
        "twin.envs.home:HomeEnv", "twin.envs.home:HomeVectorEnv", "homes_small"
    ),
}
ENV_IDS = tuple(ENVS)


def register_envs() -> None:
    """Register every id of :data:`ENVS` that is not registered yet (idempotent)."""
    for env_id, entry in ENVS.items():
        if env_id not in registry:
            register(
                id=env_id,
                entry_point=entry.entry_point,
                vector_entry_point=entry.vector_entry_point,
            )
