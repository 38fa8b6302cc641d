"""The hotel as a Gymnasium environment (``twin/Hotel-v0``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from twin.envs.task import F_GLOBAL, F_ZONE, REWARD_TERMS, ZONE_FEATURES, HotelTask
from twin.scenario import Scenario, load_scenario
from twin.world import GLOBAL_FEATURES, World

DEFAULT_SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "hotel.toml"


def resolve_scenario(scenario: str | Path | Scenario | None) -> Scenario:
    """A scenario object from a path, an object, or ``None`` (the shipped hotel)."""
    if scenario is None:
        scenario = DEFAULT_SCENARIO
    if isinstance(scenario, Scenario):
        return scenario
    return load_scenario(scenario)


def _doc_table() -> tuple[str, str]:
    rows = [f"    | {j} | ``{n}`` | {u} | {d} |" for j, (n, u, d) in enumerate(ZONE_FEATURES)]
    glob = [f"    | {j} | ``{n}`` | {u} |" for j, (n, u) in enumerate(GLOBAL_FEATURES)]
    return "\n".join(rows), "\n".join(glob)


class HotelEnv(gym.Env[np.ndarray, np.ndarray]):
    """Personalise the rooms of a hotel for the guests staying in them.

    Each step is one control step of the scenario (e.g. 5 minutes); an episode is the
    scenario's horizon. The hotel's guests arrive, queue, go out and sleep on their own
    schedule; the agent sets every zone's air set-point and lighting.

    ## Observation Space

    ``Box(low, high, (n_zones * 16 + 10,), float32)``, bounded by each feature's
    physical range: for each zone ``z`` the 16 features below at ``obs[16 z + j]``,
    then the 10 global features. Only what a real
    deployment could sense: sensors, the thermostat, the property-management system and,
    for guests who consented (and only if ``personal_data=True``), their stated
    preferences.

    | j | feature | unit | meaning |
    |---|---|---|---|
    ZONE_TABLE

    Global features (after the zone block):

    | j | feature | unit |
    |---|---|---|
    GLOBAL_TABLE

    ## Action Space

    ``Box(-1, 1, (4 * n_zones,), float32)``, zone-major: for zone ``z``,
    ``action[4 z]`` and ``action[4 z + 1]`` are the heating and cooling set-points,
    mapped onto ``[control.setpoint_min_c, control.setpoint_max_c]`` (deg C; the cooling
    set-point is raised to at least 0.5 K above the heating one), ``action[4 z + 2]`` the
    light level onto ``[0, lighting.max_lux]`` (lx; daylight is harvested first) and
    ``action[4 z + 3]`` the colour temperature onto ``[cct_min_k, cct_max_k]`` (K).

    ## Rewards

    Weighted sum of five terms from the scenario's ``[control.reward]``, each reported in
    ``info["reward_terms"]``: guest satisfaction (in-house guests, per room and hour),
    thermal discomfort (Kh per zone), electricity cost, unsafe set-points in occupied
    zones (K outside the safe band), and set-point oscillation (K of change beyond a
    tolerance).

    ## Episode End

    Never ``terminated`` (a hotel has no terminal state); ``truncated`` at the end of
    the scenario horizon.

    ## Arguments

    ``scenario``: path or :class:`~twin.scenario.Scenario` (default: the shipped hotel);
    ``personal_data``: whether consented stated preferences are observed (and counted in
    the ``personal_data_used`` KPI).

    ## Version History

    * v0: first release.
    """

    metadata = {"render_modes": []}

    def __init__(
        self, scenario: str | Path | Scenario | None = None, personal_data: bool = True
    ) -> None:
        self.scenario = resolve_scenario(scenario)
        self.world = World(self.scenario, n_envs=1)
        self.task = HotelTask(self.world, personal_data=personal_data)
        self.observation_space = spaces.Box(self.task.obs_low, self.task.obs_high, dtype=np.float32)
        self.action_space = spaces.Box(-1.0, 1.0, (self.task.act_size,), np.float32)
        self._obs: np.ndarray | None = None

    def __getstate__(self) -> dict[str, Any]:
        # Running SimPy processes are generators and cannot be pickled: an env pickles as
        # its configuration (like a spec) and must be reset after unpickling.
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
        info: dict[str, Any] = {"reward_terms": {k: float(terms[k][0]) for k in REWARD_TERMS}}
        if truncated:
            info["kpis"] = self.world.kpis(0)
        return obs[0], float(reward[0]), False, truncated, info


HotelEnv.__doc__ = (
    (HotelEnv.__doc__ or "")
    .replace("    ZONE_TABLE", _doc_table()[0])
    .replace("    GLOBAL_TABLE", _doc_table()[1])
)
assert F_ZONE == 16 and F_GLOBAL == 10
