"""Every zone as its own SB3 environment slot: parameter sharing with per-zone rewards.

The hotel reward is a sum over zones (:meth:`twin.envs.task.HotelTask.reward`), so a
policy shared by all zones can learn from each zone's *own* reward instead of one
hotel-wide number in which a room's effect is drowned by a hundred others' exploration
(the credit-assignment problem of parameter-sharing multi-agent RL; Gupta et al.,
"Cooperative Multi-agent Control Using Deep Reinforcement Learning", 2017). SB3 sees
``num_envs * n_zones`` small environments: observation = the zone's features plus the
global features, action = the zone's four commands.

The learned policy is then applied to every zone of the ordinary hotel env
(:class:`policies.trained.TrainedPolicy` with ``layout = "zone"``), and evaluated on the
ordinary hotel reward.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces
from stable_baselines3.common.vec_env.base_vec_env import VecEnv, VecEnvObs, VecEnvStepReturn

from policies.base import Policy
from policies.vec_env import NativeVecEnvMethods
from twin.envs.task import F_GLOBAL, F_ZONE, GLOBAL_BOUNDS, N_ACT, ZONE_BOUNDS
from twin.envs.vector import HotelVectorEnv


def zone_view(obs: np.ndarray, n_zones: int) -> np.ndarray:
    """Hotel observations ``(B, obs_size)`` -> per-zone observations ``(B * n_zones, F + G)``."""
    b = obs.shape[0]
    zones = obs[:, : n_zones * F_ZONE].reshape(b, n_zones, F_ZONE)
    glob = np.broadcast_to(obs[:, None, n_zones * F_ZONE :], (b, n_zones, F_GLOBAL))
    return np.concatenate([zones, glob], axis=2).reshape(b * n_zones, F_ZONE + F_GLOBAL)


def zone_observation_space() -> spaces.Box:
    """Bounds of one zone's observation (its features, then the global features)."""
    low = np.array([lo for lo, _ in ZONE_BOUNDS] + [lo for lo, _ in GLOBAL_BOUNDS], np.float32)
    high = np.array([hi for _, hi in ZONE_BOUNDS] + [hi for _, hi in GLOBAL_BOUNDS], np.float32)
    return spaces.Box(low, high, dtype=np.float32)


class ZoneVecEnv(NativeVecEnvMethods, VecEnv):
    """A :class:`HotelVectorEnv` seen by SB3 as ``num_envs * n_zones`` zone environments.

    Args:
        venv: the hotel vector env.
        base: optional rule baseline for residual learning (``None``: full actions).
        scale: residual scale (action = clip(base + scale * agent)).
    """

    def __init__(
        self, venv: HotelVectorEnv, base: Policy | None = None, scale: float = 1.0
    ) -> None:
        self.venv = venv
        self.n_zones = venv.task.nz
        self.base = base
        self.scale = scale
        self.render_mode = None
        act = spaces.Box(-1.0, 1.0, (N_ACT,), np.float32)
        super().__init__(venv.num_envs * self.n_zones, zone_observation_space(), act)
        self._full: np.ndarray | None = None
        self._action: np.ndarray | None = None

    def reset(self) -> VecEnvObs:
        """Reset the hotels; seeds given through :meth:`seed` go to the hotel copies."""
        seeds = self._seeds[:: self.n_zones]
        given = [int(s) for s in seeds if s is not None]
        seed = given if len(given) == len(seeds) else None
        self._full, _ = self.venv.reset(seed=seed)
        self._reset_seeds()
        self._reset_options()
        return zone_view(self._full, self.n_zones)

    def seed(self, seed: int | None = None) -> list[int | None]:
        """Seed hotel copy ``i`` with ``seed + i`` at the next reset."""
        if seed is None:
            return [None] * self.num_envs
        self._seeds = [seed + i // self.n_zones for i in range(self.num_envs)]
        return list(self._seeds)

    def step_async(self, actions: np.ndarray) -> None:
        """Collect the zones' actions into hotel actions (plus the base, if residual)."""
        assert self._full is not None, "reset first"
        action = np.asarray(actions, dtype=np.float32).reshape(self.venv.num_envs, -1)
        if self.base is not None:
            base, _ = self.base.predict(self._full)
            action = np.clip(base + self.scale * action, -1.0, 1.0)
        self._action = action

    def step_wait(self) -> VecEnvStepReturn:
        """Step the hotels; each zone gets its own share of its hotel's reward."""
        assert self._action is not None, "step_async must come first"
        obs, _, terminated, truncated, infos = self.venv.step(self._action)
        rewards = self.venv.task.zone_reward.ravel().astype(np.float32)
        nz = self.n_zones
        dones = np.repeat(terminated | truncated, nz)
        out: list[dict[str, Any]] = [{} for _ in range(self.num_envs)]
        if "final_obs" in infos:
            final = zone_view(infos["final_obs"], nz)
            for i in range(self.num_envs):
                out[i]["terminal_observation"] = final[i]
                out[i]["TimeLimit.truncated"] = bool(truncated[i // nz] and not terminated[i // nz])
        self._full = obs
        return zone_view(obs, nz), rewards, dones, out

    def close(self) -> None:
        """Nothing to release."""
