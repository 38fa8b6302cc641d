"""A venue's World as a Gymnasium environment: the base every ``twin/*`` env shares.

:class:`TwinEnv` wraps a one-copy :class:`~twin.world.World` and its venue's task
(observation encoder, action decoder, reward). The venue subclasses
(:class:`~twin.envs.hotel.HotelEnv`, :class:`~twin.envs.store.StoreEnv`) add their
shipped scenario, their documentation and their registered id; the behaviour is here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from twin.errors import ScenarioError
from twin.scenario import Scenario, load_scenario
from twin.world import World

ScenarioLike = str | Path | Scenario | None


def resolve_scenario(scenario: ScenarioLike, default: str, venue: str | None = None) -> Scenario:
    """A scenario object from a path, a shipped name, an object, or ``None`` (``default``).

    Raises:
        ScenarioError: the scenario is invalid, or its venue is not ``venue``.
    """
    if scenario is None:
        scenario = default
    s = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    if venue is not None and s.venue != venue:
        raise ScenarioError(
            f"scenario '{s.name}' has venue = {s.venue!r}; this env runs {venue!r} scenarios"
        )
    return s


class TwinEnv(gym.Env[np.ndarray, np.ndarray]):
    """One copy of a venue scenario as a Gymnasium env (see the venue subclasses' docs).

    Args:
        scenario: path, shipped name or :class:`~twin.scenario.Scenario` (default: the
            venue's shipped scenario).
        personal_data: whether consented personal preferences are observed (and
            counted in the ``personal_data_used`` KPI).
    """

    metadata = {"render_modes": []}
    #: The venue this env runs (``None``: whatever the scenario says).
    venue: ClassVar[str | None] = None
    #: Shipped scenario used when none is given.
    default_scenario: ClassVar[str] = "hotel"

    def __init__(self, scenario: ScenarioLike = None, personal_data: bool = True) -> None:
        self.scenario = resolve_scenario(scenario, self.default_scenario, self.venue)
        self.world = World(self.scenario, n_envs=1)
        self.task = self.world.venue.task(personal_data)
        self.observation_space = spaces.Box(self.task.obs_low, self.task.obs_high, dtype=np.float32)
        self.action_space = spaces.Box(-1.0, 1.0, (self.task.act_size,), np.float32)
        self._obs: np.ndarray | None = None

    def __getstate__(self) -> dict[str, Any]:
        # Running SimPy processes hold callbacks and generators that cannot be pickled: an
        # env pickles as its configuration (like a spec) and must be reset after unpickling.
        return {"scenario": self.scenario, "personal_data": self.task.personal_data}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["scenario"], state["personal_data"])  # type: ignore[misc]

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Start a new episode; the World's root seed is drawn from ``self.np_random``."""
        super().reset(seed=seed)
        world_seed = int(self.np_random.integers(0, 2**31 - 1))
        self.world.reset([world_seed])
        self.task.reset_reward()
        obs, self._known = self.task.observe()
        self._obs = obs
        return obs[0], {"world_seed": world_seed}

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Apply the action for one control step."""
        if self._obs is None:
            raise gym.error.ResetNeeded("call reset() before step()")
        act = self.task.decode(np.asarray(action)[None])
        self.world.step(act, disclosed=self._known)
        reward, terms = self.task.reward(act)
        obs, self._known = self.task.observe()
        self._obs = obs
        truncated = self.world.done
        info: dict[str, Any] = {
            "reward_terms": {k: float(terms[k][0]) for k in self.task.reward_terms}
        }
        if truncated:
            info["kpis"] = self.world.kpis(0)
        return obs[0], float(reward[0]), False, truncated, info
