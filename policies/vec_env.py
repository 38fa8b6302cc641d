"""Stable-Baselines3 ``VecEnv`` adapter for twin's native vector env.

SB3 expects ``done = terminated or truncated``, ``info["terminal_observation"]`` and
``info["TimeLimit.truncated"]`` per environment, and seeds handed over through
``seed()``; :class:`~twin.envs.vector.TwinVectorEnv` provides the same facts in Gymnasium's
batched form.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from stable_baselines3.common.vec_env.base_vec_env import VecEnv, VecEnvObs, VecEnvStepReturn

from twin.envs.vector import TwinVectorEnv


class NativeVecEnvMethods:
    """SB3's attribute plumbing for adapters around one native vector env (``self.venv``)."""

    venv: Any
    num_envs: int
    _get_indices: Any  # provided by VecEnv, which follows this mixin in the MRO

    def get_attr(self, attr_name: str, indices: Any = None) -> list[Any]:
        """The attribute of the vector env, once per selected slot."""
        value = None if attr_name == "render_mode" else getattr(self.venv, attr_name)
        return [value] * len(self._get_indices(indices))

    def set_attr(self, attr_name: str, value: Any, indices: Any = None) -> None:
        """Set an attribute on the vector env (shared by all slots)."""
        setattr(self.venv, attr_name, value)

    def env_method(
        self, method_name: str, *args: Any, indices: Any = None, **kwargs: Any
    ) -> list[Any]:
        """Call a method of the vector env once."""
        return [getattr(self.venv, method_name)(*args, **kwargs)]

    def env_is_wrapped(self, wrapper_class: type, indices: Any = None) -> list[bool]:
        """No Gymnasium wrappers sit inside the native vector env."""
        return [False] * len(self._get_indices(indices))


class SB3VecEnv(NativeVecEnvMethods, VecEnv):
    """Expose a native vector env (any venue) to SB3 without N Python envs."""

    def __init__(self, venv: TwinVectorEnv) -> None:
        self.venv = venv
        self.render_mode = None
        super().__init__(venv.num_envs, venv.single_observation_space, venv.single_action_space)
        self._actions: np.ndarray | None = None

    def reset(self) -> VecEnvObs:
        """Reset every copy, using seeds set by :meth:`seed` once."""
        given = [s for s in self._seeds if s is not None]
        seeds = given if len(given) == self.num_envs else None
        obs, info = self.venv.reset(seed=seeds)
        self.reset_infos = [{"world_seed": int(s)} for s in info["world_seed"]]
        self._reset_seeds()
        self._reset_options()
        return obs

    def step_async(self, actions: np.ndarray) -> None:
        """Remember the actions for :meth:`step_wait`."""
        self._actions = np.asarray(actions, dtype=np.float32)

    def step_wait(self) -> VecEnvStepReturn:
        """Step the batch; finished copies carry their terminal observation in ``info``."""
        assert self._actions is not None, "step_async must come first"
        obs, rewards, terminated, truncated, infos = self.venv.step(self._actions)
        dones = terminated | truncated
        out: list[dict[str, Any]] = [
            {"reward_terms": {k: float(v[i]) for k, v in infos["reward_terms"].items()}}
            for i in range(self.num_envs)
        ]
        if "final_obs" in infos:
            for i in range(self.num_envs):
                out[i]["terminal_observation"] = infos["final_obs"][i]
                out[i]["TimeLimit.truncated"] = bool(truncated[i] and not terminated[i])
                out[i]["kpis"] = infos["final_info"]["kpis"][i]
            self.reset_infos = [{"world_seed": int(s)} for s in infos["world_seed"]]
        return obs, rewards.astype(np.float32), dones, out

    def close(self) -> None:
        """Nothing to release (no worker processes)."""
