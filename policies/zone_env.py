"""Every zone as its own SB3 environment slot: parameter sharing with per-zone rewards.

A venue task with a zone-major layout (:class:`twin.venues.layout.ZoneLayout`) whose
reward is a sum over zones (the hotel's, :meth:`twin.venues.hotel.task.HotelTask.reward`,
kept per zone in ``task.zone_reward``) lets a policy shared by all zones learn from each
zone's *own* reward instead of one building-wide number in which a room's effect is
drowned by a hundred others' exploration
(the credit-assignment problem of parameter-sharing multi-agent RL; Gupta et al.,
"Cooperative Multi-agent Control Using Deep Reinforcement Learning", 2017). SB3 sees
``num_envs * n_zones`` small environments: observation = the zone's features plus the
site features, action = the zone's commands.

The learned policy is then applied to every zone of the ordinary env
(:class:`policies.trained.TrainedPolicy` with ``layout = "zone"``), and evaluated on the
ordinary reward.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from stable_baselines3.common.vec_env.base_vec_env import VecEnv, VecEnvObs, VecEnvStepReturn

from policies.base import Policy
from policies.vec_env import NativeVecEnvMethods
from twin.envs.vector import TwinVectorEnv
from twin.errors import PolicyError


class ZoneVecEnv(NativeVecEnvMethods, VecEnv):
    """A native vector env seen by SB3 as ``num_envs * n_zones`` zone environments.

    Args:
        venv: the vector env (its task must have a ``zone_layout`` and ``zone_reward``).
        base: optional rule baseline for residual learning (``None``: full actions).
        scale: residual scale (action = clip(base + scale * agent)).
    """

    def __init__(self, venv: TwinVectorEnv, base: Policy | None = None, scale: float = 1.0) -> None:
        layout = getattr(venv.task, "zone_layout", None)
        if layout is None:
            raise PolicyError(
                f"the {venv.scenario.venue} task has no zone layout: train it with --layout flat"
            )
        self.venv = venv
        self.layout = layout
        self.n_zones = layout.n_zones
        self.base = base
        self.scale = scale
        self.render_mode = None
        super().__init__(venv.num_envs * self.n_zones, layout.zone_space(), layout.action_space())
        self._full: np.ndarray | None = None
        self._action: np.ndarray | None = None

    def reset(self) -> VecEnvObs:
        """Reset the copies; seeds given through :meth:`seed` go to the venue copies."""
        seeds = self._seeds[:: self.n_zones]
        given = [int(s) for s in seeds if s is not None]
        seed = given if len(given) == len(seeds) else None
        self._full, _ = self.venv.reset(seed=seed)
        self._reset_seeds()
        self._reset_options()
        return self.layout.zone_view(self._full)

    def seed(self, seed: int | None = None) -> list[int | None]:
        """Seed copy ``i`` with ``seed + i`` at the next reset."""
        if seed is None:
            return [None] * self.num_envs
        self._seeds = [seed + i // self.n_zones for i in range(self.num_envs)]
        return list(self._seeds)

    def step_async(self, actions: np.ndarray) -> None:
        """Collect the zones' actions into each copy's action (plus the base, if residual)."""
        assert self._full is not None, "reset first"
        action = self.layout.full_action(np.asarray(actions, dtype=np.float32))
        if self.base is not None:
            base, _ = self.base.predict(self._full)
            action = np.clip(base + self.scale * action, -1.0, 1.0)
        self._action = action

    def step_wait(self) -> VecEnvStepReturn:
        """Step the copies; each zone gets its own share of its copy's reward."""
        assert self._action is not None, "step_async must come first"
        obs, _, terminated, truncated, infos = self.venv.step(self._action)
        rewards = self.venv.task.zone_reward.ravel().astype(np.float32)
        nz = self.n_zones
        dones = np.repeat(terminated | truncated, nz)
        out: list[dict[str, Any]] = [{} for _ in range(self.num_envs)]
        if "final_obs" in infos:
            final = self.layout.zone_view(infos["final_obs"])
            for i in range(self.num_envs):
                out[i]["terminal_observation"] = final[i]
                out[i]["TimeLimit.truncated"] = bool(truncated[i // nz] and not terminated[i // nz])
        self._full = obs
        return self.layout.zone_view(obs), rewards, dones, out

    def close(self) -> None:
        """Nothing to release."""
