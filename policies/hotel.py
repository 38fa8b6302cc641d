"""The hotel's rule-based baselines, reading the same flat observation an RL policy sees.

* :class:`FixedSchedulePolicy`: what most hotels run today. The same set-point in every
  zone around the clock, and the same light level and colour wherever people are
  present during the day. It never looks at who is in a room.
* :class:`RuleBasedPolicy`: personalisation by rules. Sold rooms get the guest's
  consented stated preferences (the house default otherwise), a little cooler at night
  and set back while the guest is out; unsold rooms are set back and pre-conditioned
  before a booked arrival; lights follow presence and preference.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from twin.calendar import in_window
from twin.venues.hotel.task import F_ZONE, ZONE_INDEX, HotelTask

_J = ZONE_INDEX


class _FeaturePolicy:
    """Shared parsing of the flat observation into per-zone and global features."""

    name = "base"
    uses_personal_data = False

    def __init__(self, task: HotelTask) -> None:
        self.task = task
        self.nz = task.nz
        s = task.world.scenario
        self.thermostat = s.thermostat
        kinds = np.array(task.world.building.group_kinds)[task.world.building.group_index]
        self.is_lobby = kinds == "lobby"

    def _split(self, obs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        zones = obs[:, : self.nz * F_ZONE].reshape(-1, self.nz, F_ZONE).astype(np.float64)
        return zones, obs[:, self.nz * F_ZONE :].astype(np.float64)

    @staticmethod
    def _hour(glob: np.ndarray) -> np.ndarray:
        return (np.arctan2(glob[:, 0], glob[:, 1]) * 24.0 / (2 * np.pi)) % 24.0

    def _in_day(self, hour: np.ndarray) -> np.ndarray:
        return in_window(hour, self.thermostat.occupied_hours)[:, None]

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
        zones, glob = self._split(obs.reshape(-1, obs.shape[-1]))
        action = self.task.normalise(*self._commands(zones, glob))
        return (action[0] if single else action), state

    def _commands(self, zones: np.ndarray, glob: np.ndarray):
        """(heating set-point, cooling set-point, lux, CCT), each ``(n, n_zones)``."""
        raise NotImplementedError


class FixedSchedulePolicy(_FeaturePolicy):
    """One set-point for every zone, always; standard lighting where people are by day."""

    name = "fixed"
    uses_personal_data = False

    def _commands(self, zones: np.ndarray, glob: np.ndarray):
        th = self.thermostat
        heat = np.full(zones.shape[:2], th.heating_setpoint_c)
        cool = np.full_like(heat, th.cooling_setpoint_c)
        lit = (zones[..., _J["occupied"]] > 0.5) & self._in_day(self._hour(glob))
        lux = np.where(lit, th.light_lux, 0.0)
        return heat, cool, np.minimum(lux, self.task.high[:, 2]), np.full_like(heat, th.light_cct_k)


class RuleBasedPolicy(_FeaturePolicy):
    """Consented preferences, pre-conditioning before arrivals, setback of unsold rooms.

    Args:
        task: the env's task (observation layout and action ranges).
        precondition_h: hours before a booked arrival when an empty room starts heading
            for the arriving guest's (consented) preference.
        away_setback_k: set-point reduction while the guest of a sold room is out.
        night_offset_k: set-point change at night (outside the thermostat's occupied
            hours), when most guests sleep and prefer it cooler.
        band_k: cooling starts this far above the guest's preference.
    """

    name = "rule_based"
    uses_personal_data = True

    def __init__(
        self,
        task: HotelTask,
        precondition_h: float = 2.0,
        away_setback_k: float = 2.0,
        night_offset_k: float = -1.0,
        band_k: float = 2.0,
    ) -> None:
        super().__init__(task)
        self.band_k = band_k
        self.precondition_h = precondition_h
        self.away_setback_k = away_setback_k
        self.night_offset_k = night_offset_k

    def _commands(self, zones: np.ndarray, glob: np.ndarray):
        th = self.thermostat
        hour = self._hour(glob)
        day = self._in_day(hour)
        is_room = zones[..., _J["is_room"]] > 0.5
        sold = zones[..., _J["sold"]] > 0.5
        arriving = zones[..., _J["hours_to_arrival"]] <= self.precondition_h
        present = zones[..., _J["occupied"]] > 0.5
        pref_t = zones[..., _J["pref_temp_c"]] + np.where(day, 0.0, self.night_offset_k)
        away = sold & ~present & day
        # Rooms: the guest's (or arriving guest's) preference, else set back; the band
        # around the preference widens while the guest is away.
        setback = self.away_setback_k * away
        served = sold | arriving
        room_heat = np.where(served, pref_t - setback, th.setback_heating_c)
        room_cool = np.where(served, pref_t + self.band_k + setback, th.setback_cooling_c)
        # Other zones: the thermostat schedule; the lobby is always staffed.
        staffed = day | self.is_lobby
        other_heat = np.where(staffed, th.heating_setpoint_c, th.setback_heating_c)
        other_cool = np.where(staffed, th.cooling_setpoint_c, th.setback_cooling_c)
        heat = np.where(is_room, room_heat, other_heat)
        cool = np.where(is_room, room_cool, other_cool)
        lit = present & day
        lux = np.where(is_room, zones[..., _J["pref_lux"]], th.light_lux) * lit
        cct = np.where(is_room, zones[..., _J["pref_cct_k"]], th.light_cct_k)
        low, high = self.task.low, self.task.high
        return tuple(
            np.clip(x, low[:, j], high[:, j]) for j, x in enumerate((heat, cool, lux, cct))
        )
