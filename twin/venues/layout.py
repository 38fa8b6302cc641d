"""Per-zone views of an observation and action, for policies shared by all zones.

A venue task whose observation and action split into the same small problem per zone
(the zone's features plus what the whole site shares; the zone's commands) describes
that split with a :class:`ZoneLayout`. A policy can then see every zone as its own small
problem and share one network across zones, trained on each zone's own share of the
reward, as :mod:`policies.zone_env` does.

The split is two index tables: ``gather`` picks each zone's view out of the observation
and ``scatter`` puts each zone's action back into the full action. The hotel's layout is
zone-major (:meth:`ZoneLayout.zone_major`); the store's gathers each zone's displays
too, padding zones with fewer displays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from gymnasium import spaces

#: ``gather`` entries that read a constant instead of an observation column.
ZERO, ONE = -1, -2


@dataclass(frozen=True, eq=False)
class ZoneLayout:
    """How a flat observation and action split into per-zone views and actions.

    Attributes:
        n_zones: zones (views per observation).
        gather: ``(n_zones, view)`` observation column of each view entry, or
            :data:`ZERO` / :data:`ONE` for a constant (padding, presence flags).
        scatter: ``(n_zones, n_act)`` full-action index each zone action entry goes to,
            -1 for padding that goes nowhere; every full-action index appears once.
        act_size: length of the full action.
        low, high: ``(view,)`` float32 bounds of one zone's view.
        zone_major: the observation is ``[zone block x n_zones, site block]`` and the
            action ``[zone block x n_zones]`` (what the per-zone actor of
            :mod:`policies.networks` assumes); ``f_zone``/``f_site`` then describe it.
    """

    n_zones: int
    gather: np.ndarray
    scatter: np.ndarray
    act_size: int
    low: np.ndarray
    high: np.ndarray
    zone_major: bool = False
    f_zone: int = 0
    f_site: int = 0

    @classmethod
    def zone_major_layout(
        cls, n_zones: int, f_zone: int, f_site: int, n_act: int, low: np.ndarray,
        high: np.ndarray,
    ) -> ZoneLayout:  # fmt: skip
        """``[zone block x n_zones, site block]`` with ``n_act`` commands per zone."""
        site = n_zones * f_zone + np.arange(f_site)
        gather = np.array(
            [np.r_[z * f_zone + np.arange(f_zone), site] for z in range(n_zones)], np.int64
        )
        scatter = np.arange(n_zones * n_act, dtype=np.int64).reshape(n_zones, n_act)
        return cls(n_zones, gather, scatter, n_zones * n_act, low, high, True, f_zone, f_site)

    @property
    def zone_obs_size(self) -> int:
        """Length of one zone's view."""
        return int(self.gather.shape[1])

    @property
    def n_act(self) -> int:
        """Length of one zone's action."""
        return int(self.scatter.shape[1])

    def zone_view(self, obs: np.ndarray) -> np.ndarray:
        """Observations ``(B, obs_size)`` -> per-zone views ``(B * n_zones, view)``."""
        b = obs.shape[0]
        padded = np.concatenate(
            [obs, np.ones((b, 1), obs.dtype), np.zeros((b, 1), obs.dtype)], axis=1
        )  # column -2 is ONE, -1 is ZERO
        return padded[:, self.gather].reshape(b * self.n_zones, -1)

    def full_action(self, zone_actions: np.ndarray) -> np.ndarray:
        """Per-zone actions ``(B * n_zones, n_act)`` -> full actions ``(B, act_size)``."""
        per = np.asarray(zone_actions).reshape(-1, self.n_zones, self.n_act)
        full = np.zeros((per.shape[0], self.act_size), per.dtype)
        valid = self.scatter >= 0
        full[:, self.scatter[valid]] = per[:, valid]
        return full

    def zone_space(self) -> spaces.Box:
        """Bounds of one zone's view."""
        return spaces.Box(self.low, self.high, dtype=np.float32)

    def action_space(self) -> spaces.Box:
        """One zone's commands in [-1, 1]."""
        return spaces.Box(-1.0, 1.0, (self.n_act,), np.float32)
