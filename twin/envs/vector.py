"""A native batched ``gymnasium.vector.VectorEnv`` over one World of N venue copies.

Instead of N Python envs, one :class:`~twin.world.World` holds all copies: physics and
people advance in one Numba call per step; only the venues' discrete events (SimPy)
run per copy, and only where an event is due. Copy ``i`` seeded ``s_i`` follows exactly
the trajectory of a single env (e.g. :class:`~twin.envs.hotel.HotelEnv`) reset with
``seed=s_i``.

Autoreset is ``SAME_STEP``: when the episodes end (all copies share the horizon), the
returned observation is already the next episode's first, and the last one is in
``infos["final_obs"]`` (with ``infos["final_info"]``), which is what Stable-Baselines3's
``terminal_observation`` needs.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from twin.envs.core import ScenarioLike, resolve_scenario
from twin.world import World


class TwinVectorEnv(VectorEnv):
    """``num_envs`` copies of a venue scenario stepped as one batch.

    Args:
        num_envs: number of copies.
        scenario: path, shipped name or :class:`~twin.scenario.Scenario` (default: the
            venue's shipped scenario).
        personal_data: whether consented personal preferences are observed.
    """

    metadata = {"render_modes": [], "autoreset_mode": AutoresetMode.SAME_STEP}
    #: The venue this env runs (``None``: whatever the scenario says).
    venue: ClassVar[str | None] = None
    #: Shipped scenario used when none is given.
    default_scenario: ClassVar[str] = "hotel"

    def __init__(
        self,
        num_envs: int = 8,
        scenario: ScenarioLike = None,
        personal_data: bool = True,
    ) -> None:
        if num_envs < 1:
            raise ValueError(f"num_envs = {num_envs} must be >= 1")
        self.scenario = resolve_scenario(scenario, self.default_scenario, self.venue)
        self.num_envs = num_envs
        self.world = World(self.scenario, n_envs=num_envs)
        self.task = self.world.venue.task(personal_data)
        self.single_observation_space = spaces.Box(
            self.task.obs_low, self.task.obs_high, dtype=np.float32
        )
        self.single_action_space = spaces.Box(-1.0, 1.0, (self.task.act_size,), np.float32)
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self.action_space = batch_space(self.single_action_space, num_envs)
        self._np_randoms = [seeding.np_random(None)[0] for _ in range(num_envs)]
        self._obs: np.ndarray | None = None
        #: Where observations are written (see :meth:`write_observations_to`).
        self._obs_buffer: np.ndarray | None = None

    def write_observations_to(self, buffer: np.ndarray | None) -> None:
        """Encode observations straight into ``buffer`` ``(num_envs, obs_size)`` float32.

        For :class:`~twin.envs.sharded.ShardedVectorEnv`, whose shards write into
        shared memory: the arrays ``reset`` and ``step`` return are then ``buffer``
        itself, overwritten by the next call (``final_obs`` is still a copy). ``None``
        goes back to a new array per call.
        """
        shape = (self.num_envs, self.task.obs_size)
        if buffer is not None and (
            buffer.shape != shape or buffer.dtype != np.float32 or not buffer.flags.c_contiguous
        ):
            raise ValueError(f"observation buffer must be C-contiguous float32 {shape}")
        self._obs_buffer = buffer

    def _start_episodes(self) -> tuple[np.ndarray, dict[str, Any]]:
        seeds = [int(r.integers(0, 2**31 - 1)) for r in self._np_randoms]
        self.world.reset(seeds)
        self.task.reset_reward()
        self._obs, self._known = self.task.observe(self._obs_buffer)
        return self._obs, {"world_seed": np.array(seeds)}

    def reset(
        self, *, seed: int | list[int] | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Reset every copy; ``seed`` is one int (copies get seed, seed+1, ...) or a list."""
        if seed is not None:
            seeds = [seed + i for i in range(self.num_envs)] if isinstance(seed, int) else seed
            if len(seeds) != self.num_envs:
                raise ValueError(f"reset got {len(seeds)} seeds for {self.num_envs} envs")
            self._np_randoms = [seeding.np_random(int(s))[0] for s in seeds]
        return self._start_episodes()

    def step(
        self, actions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """Step every copy; on the last step the episodes restart in the same call."""
        if self._obs is None:
            raise RuntimeError("call reset() before step()")
        act = self.task.decode(actions)
        self.world.step(act, disclosed=self._known)
        reward, terms = self.task.reward(act)
        obs, self._known = self.task.observe(self._obs_buffer)
        self._obs = obs
        n = self.num_envs
        terminated = np.zeros(n, dtype=bool)
        truncated = np.full(n, self.world.done)
        infos: dict[str, Any] = {"reward_terms": terms}
        if self.world.done:
            final_info = {"kpis": [self.world.kpis(e) for e in range(n)]}
            final_obs = obs if self._obs_buffer is None else obs.copy()
            obs, reset_info = self._start_episodes()
            infos.update(reset_info)
            infos["final_obs"] = final_obs
            infos["final_info"] = final_info
            infos["_final_obs"] = np.ones(n, dtype=bool)
        return obs, reward.astype(np.float64), terminated, truncated, infos
