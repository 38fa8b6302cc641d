"""Residual policy learning: the agent corrects a rule baseline instead of starting blank.

With ``action = clip(base(obs) + scale * agent_action)`` the untrained agent (whose
actions start near zero) already behaves like the baseline, and training spends its
budget on what the rules get wrong (Johannink et al., "Residual Reinforcement Learning
for Robot Control", 2019). The composite is what gets evaluated and deployed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from stable_baselines3.common.vec_env import VecEnv, VecEnvWrapper
from stable_baselines3.common.vec_env.base_vec_env import VecEnvObs, VecEnvStepReturn

from policies.base import Policy


class ResidualVecEnv(VecEnvWrapper):
    """Adds the agent's (scaled) action to a base policy's action on raw observations."""

    def __init__(self, venv: VecEnv, base: Policy, scale: float) -> None:
        super().__init__(venv)
        self.base = base
        self.scale = scale
        self._obs: np.ndarray | None = None

    def reset(self) -> VecEnvObs:
        """Reset and remember the raw observation for the base policy."""
        self._obs = np.asarray(self.venv.reset())
        return self._obs

    def step_async(self, actions: np.ndarray) -> None:
        """Compose base and residual actions and pass them on."""
        assert self._obs is not None, "reset first"
        base, _ = self.base.predict(self._obs)
        self.venv.step_async(np.clip(base + self.scale * np.asarray(actions), -1.0, 1.0))

    def step_wait(self) -> VecEnvStepReturn:
        """Step and remember the new raw observation."""
        obs, rewards, dones, infos = self.venv.step_wait()
        self._obs = np.asarray(obs)
        return obs, rewards, dones, infos

    def __getattr__(self, name: str) -> Any:
        return getattr(self.venv, name)
