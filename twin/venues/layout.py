"""The zone-major layout of an observation and action, for policies shared by all zones.

A venue task whose observation is ``n_zones`` blocks of ``f_zone`` features followed by
``f_site`` site features, and whose action is ``n_zones`` blocks of ``n_act`` commands,
describes itself with a :class:`ZoneLayout`. A policy can then see every zone as its own
small problem (the zone's features plus the site's, the zone's commands) and share one
network across zones, as :mod:`policies.zone_env` trains it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from gymnasium import spaces


@dataclass(frozen=True)
class ZoneLayout:
    """Zone-major observation ``[zone block x n_zones, site block]`` and action layout."""

    n_zones: int
    f_zone: int
    f_site: int
    n_act: int
    low: np.ndarray  # (f_zone + f_site,) float32 bounds of one zone's view
    high: np.ndarray

    @property
    def zone_obs_size(self) -> int:
        """Length of one zone's view: its features, then the site's."""
        return self.f_zone + self.f_site

    def zone_view(self, obs: np.ndarray) -> np.ndarray:
        """Observations ``(B, obs_size)`` -> per-zone views ``(B * n_zones, f_zone + f_site)``."""
        b, nz, f = obs.shape[0], self.n_zones, self.f_zone
        zones = obs[:, : nz * f].reshape(b, nz, f)
        site = np.broadcast_to(obs[:, None, nz * f :], (b, nz, self.f_site))
        return np.concatenate([zones, site], axis=2).reshape(b * nz, f + self.f_site)

    def zone_space(self) -> spaces.Box:
        """Bounds of one zone's view."""
        return spaces.Box(self.low, self.high, dtype=np.float32)

    def action_space(self) -> spaces.Box:
        """One zone's commands in [-1, 1]."""
        return spaces.Box(-1.0, 1.0, (self.n_act,), np.float32)
