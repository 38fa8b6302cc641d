"""The store's rule-based baselines, reading the same flat observation an RL policy sees.

* :class:`FixedStorePolicy`: what most stores run. The thermostat's set-points and the
  house light while open (set back and dark when closed), the house playlist at a fixed
  volume in every zone, and promotions on a schedule (each display rotates through the
  catalogue hour by hour).
* :class:`RuleBasedStorePolicy`: personalisation by rules. Each zone's set-point, light
  level and colour, genre and volume follow the mean stated preferences of the
  consenting shoppers in it (the house settings where there are none); each display
  promotes the favourite category of the consenting shoppers near it.
* :class:`DiversityAwareStorePolicy`: the same ambience, but a display rotates through
  the few categories the shoppers near it like best instead of always showing their
  favourite, trading some relevance for a wider view of the catalogue (a rule against
  the filter bubble).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from twin.venues.store.task import STORE_FEATURES, StoreTask
from twin.world import SITE_FEATURES


class _StorePolicy:
    """Shared parsing of the store's flat observation into zone, display and global blocks."""

    name = "base"
    uses_personal_data = False

    def __init__(self, task: StoreTask) -> None:
        self.task = task
        enc = task.encoder
        self.nz, self.n_d, self.n_g, self.n_c = task.nz, task.n_d, task.n_g, task.n_c
        self.zi = {name: j for j, name in enumerate(enc.zone_features)}
        self.di = {name: j for j, name in enumerate(enc.display_features)}
        self.fz, self.fd = enc.f_z, enc.f_d
        s = task.world.scenario
        self.thermostat = s.thermostat
        self.house_genre = task.venue.house_genre
        self.house_volume = task.venue.house_volume
        self.n_site = len(SITE_FEATURES)
        self.open_col = self.n_site + [n for n, _ in STORE_FEATURES].index("open")

    def _split(self, obs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n = obs.shape[0]
        z_end = self.nz * self.fz
        d_end = z_end + self.n_d * self.fd
        zones = obs[:, :z_end].reshape(n, self.nz, self.fz).astype(np.float64)
        displays = obs[:, z_end:d_end].reshape(n, self.n_d, self.fd).astype(np.float64)
        return zones, displays, obs[:, d_end:].astype(np.float64)

    @staticmethod
    def _hour(glob: np.ndarray) -> np.ndarray:
        return (np.arctan2(glob[:, 0], glob[:, 1]) * 24.0 / (2 * np.pi)) % 24.0

    def _rotation(self, glob: np.ndarray) -> np.ndarray:
        """``(n, D)``: the scheduled category of each display (rotates every hour)."""
        hour = np.floor(self._hour(glob)).astype(np.int64)
        return (hour[:, None] + np.arange(self.n_d)[None, :]) % self.n_c

    def _house(self, zones: np.ndarray, glob: np.ndarray) -> tuple[np.ndarray, ...]:
        """The thermostat's set-points and house light, music and volume; set back when closed."""
        th = self.thermostat
        open_now = (glob[:, self.open_col] > 0.5)[:, None]
        shape = zones.shape[:2]
        heat = np.where(open_now, th.heating_setpoint_c, th.setback_heating_c) * np.ones(shape)
        cool = np.where(open_now, th.cooling_setpoint_c, th.setback_cooling_c) * np.ones(shape)
        lux = np.where(open_now, th.light_lux, 0.0) * np.ones(shape)
        cct = np.full(shape, th.light_cct_k)
        vol = np.full(shape, self.house_volume)
        genre = np.full(shape, self.house_genre, np.int64)
        return heat, cool, lux, cct, vol, genre, open_now

    def predict(
        self,
        observation: np.ndarray,
        state: Any = None,
        episode_start: np.ndarray | None = None,
        deterministic: bool = True,
    ) -> tuple[np.ndarray, Any]:
        """Actions in the env's normalised action space (batched like SB3)."""
        obs = np.asarray(observation)
        single = obs.ndim == 1
        zones, displays, glob = self._split(obs.reshape(-1, obs.shape[-1]))
        heat, cool, lux, cct, vol, genre, display = self._commands(zones, displays, glob)
        low, high = self.task.low, self.task.high
        h, c, li, ct, vo = (
            np.clip(x, low[:, j], high[:, j]) for j, x in enumerate((heat, cool, lux, cct, vol))
        )
        action = self.task.normalise(h, c, li, ct, vo, genre, display)
        return (action[0] if single else action), state

    def _commands(self, zones: np.ndarray, displays: np.ndarray, glob: np.ndarray) -> tuple:
        raise NotImplementedError


class FixedStorePolicy(_StorePolicy):
    """The thermostat, the house light and playlist, promotions on an hourly rotation."""

    name = "fixed"
    uses_personal_data = False

    def _commands(self, zones: np.ndarray, displays: np.ndarray, glob: np.ndarray) -> tuple:
        heat, cool, lux, cct, vol, genre, _ = self._house(zones, glob)
        return heat, cool, lux, cct, vol, genre, self._rotation(glob)


class RuleBasedStorePolicy(_StorePolicy):
    """Ambience from the consenting shoppers present; displays show their favourite.

    Args:
        task: the env's task (observation layout and action ranges).
        band_k: cooling starts this far above the heating set-point.
    """

    name = "rule_based"
    uses_personal_data = True

    def __init__(self, task: StoreTask, band_k: float = 2.0) -> None:
        super().__init__(task)
        self.band_k = band_k
        store = task.world.scenario.store
        assert store is not None
        first_genre = self.zi[f"liking_{store.music[0].name}"]
        self.liking = slice(first_genre, first_genre + self.n_g)
        self.near_aff = self.di[f"near_affinity_{store.categories[0].name}"]

    def _ambience(self, zones: np.ndarray, glob: np.ndarray) -> tuple:
        heat, cool, lux, cct, vol, genre, open_now = self._house(zones, glob)
        zi = self.zi
        known = (zones[..., zi["consented"]] > 0) & open_now
        heat = np.where(known, zones[..., zi["pref_temp_c"]], heat)
        cool = np.where(known, heat + self.band_k, cool)
        lux = np.where(known, zones[..., zi["pref_lux"]], lux)
        cct = np.where(known, zones[..., zi["pref_cct_k"]], cct)
        vol = np.where(known, zones[..., zi["pref_volume_db"]], vol)
        genre = np.where(known, zones[..., self.liking].argmax(axis=-1), genre)
        return heat, cool, lux, cct, vol, genre

    def _affinity_near(self, displays: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean affinity of the consenting shoppers near each display, and whether any are."""
        near = displays[..., self.di["near_consented"]] > 0
        return displays[..., self.near_aff : self.near_aff + self.n_c], near

    def _commands(self, zones: np.ndarray, displays: np.ndarray, glob: np.ndarray) -> tuple:
        affinity, near = self._affinity_near(displays)
        display = np.where(near, affinity.argmax(axis=-1), self._rotation(glob))
        return (*self._ambience(zones, glob), display)


class DiversityAwareStorePolicy(RuleBasedStorePolicy):
    """Rule-based ambience; displays rotate through the top liked categories near them.

    Args:
        task: the env's task.
        top_k: how many of the best-liked categories a display rotates through.
        period_min: minutes each of them is shown.
    """

    name = "diversity"
    uses_personal_data = True

    def __init__(self, task: StoreTask, top_k: int = 4, period_min: float = 10.0) -> None:
        super().__init__(task)
        self.top_k = min(top_k, self.n_c)
        self.period_min = period_min

    def _commands(self, zones: np.ndarray, displays: np.ndarray, glob: np.ndarray) -> tuple:
        affinity, near = self._affinity_near(displays)
        ranked = np.argsort(-affinity, axis=-1, kind="stable")[..., : self.top_k]
        minute = self._hour(glob) * 60.0
        turn = (np.floor(minute / self.period_min).astype(np.int64)[:, None]
                + np.arange(self.n_d)[None, :]) % self.top_k  # fmt: skip
        liked = np.take_along_axis(ranked, turn[..., None], axis=-1)[..., 0]
        display = np.where(near, liked, self._rotation(glob))
        return (*self._ambience(zones, glob), display)
