"""The ``twin/*`` Gymnasium ids, registered when ``twin`` is imported.

Registration names entry points as strings (as ``gymnasium/envs/__init__.py`` does), so
``import twin`` costs only Gymnasium's registry; an env's module is imported when
``gym.make`` or ``gym.make_vec`` first builds it.

>>> import gymnasium as gym
>>> import twin  # registers the ids below
>>> sorted(i for i in gym.registry if i.startswith("twin/"))
['twin/Hotel-v0']
"""

from __future__ import annotations

from gymnasium.envs.registration import register, registry

#: Every registered id: entry point and native vector entry point.
ENVS: dict[str, tuple[str, str]] = {
    "twin/Hotel-v0": ("twin.envs.hotel:HotelEnv", "twin.envs.hotel:HotelVectorEnv"),
}
ENV_IDS = tuple(ENVS)


def register_envs() -> None:
    """Register every id of :data:`ENVS` that is not registered yet (idempotent)."""
    for env_id, (entry, vector_entry) in ENVS.items():
        if env_id not in registry:
            register(id=env_id, entry_point=entry, vector_entry_point=vector_entry)
