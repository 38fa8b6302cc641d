"""The one interface every policy implements, baselines and trained models alike.

It is Stable-Baselines3's ``predict`` signature, so ``evaluate_policy`` and twin's own
evaluation score a rule baseline and a PPO model the same way.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Policy(Protocol):
    """Maps observations to actions.

    ``uses_personal_data`` says whether the policy is shown consented personal
    preferences (the env hides them otherwise).
    """

    name: str
    uses_personal_data: bool

    def predict(
        self,
        observation: np.ndarray,
        state: Any = None,
        episode_start: np.ndarray | None = None,
        deterministic: bool = True,
    ) -> tuple[np.ndarray, Any]:
        """Actions for one observation ``(obs_size,)`` or a batch ``(n, obs_size)``."""
        ...
