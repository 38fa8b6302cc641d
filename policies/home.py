"""The homes' rule baselines, reading the same flat observation an RL policy sees.

* :class:`FixedProgramPolicy` (``fixed``): the program a thermostat ships with, the
  same in every home: comfort from 06:00 to 23:00 and a night setback (the scenario's
  ``[thermostat]``), in every zone, whoever lives there and whenever they are home.
* :class:`LearningThermostatPolicy` (``learning_thermostat``): a learning thermostat in
  the manner of the Nest Learning Thermostat (Auto-Schedule, Auto-Away, Early-On). For a
  household that consented, its thermostat has learned when each zone is occupied, the
  set-points the residents choose when they override it, and how fast the home heats
  (:mod:`twin.venues.home.learning`, shown in the observation); the policy keeps each
  zone at the learned set-point while it is, or is predicted to be, occupied, starts
  heating early enough to be there when the residents are predicted back (the time the
  learned heating rate needs, plus a margin for the walls and furniture, which warm more
  slowly than the air the thermostat senses), and sets back to an eco temperature while
  the zone is predicted empty. While the routine at this time of day is not learned
  yet, and for households that declined, it runs the shipped program.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from twin.venues.home.task import F_HOME, F_ZONE, HOME_INDEX, ZONE_INDEX, HomeTask

_J, _H = ZONE_INDEX, HOME_INDEX


class _HomePolicy:
    """Shared parsing of a home observation into zone, home and site features."""

    name = "base"
    uses_personal_data = False

    def __init__(self, task: HomeTask) -> None:
        self.task = task
        self.nz = task.nz
        self.thermostat = task.world.scenario.thermostat

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
        batch = obs.reshape(-1, obs.shape[-1]).astype(np.float64)
        zones = batch[:, : self.nz * F_ZONE].reshape(-1, self.nz, F_ZONE)
        home = batch[:, self.nz * F_ZONE : self.nz * F_ZONE + F_HOME]
        heat, cool = self._setpoints(zones, home)
        lo, hi = self.task.low[:, 0], self.task.high[:, 0]
        action = self.task.normalise(np.clip(heat, lo, hi), np.clip(cool, lo, hi))
        return (action[0] if single else action), state

    def _program(self, zones: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The shipped program's set-points now, ``(n, n_zones)`` each."""
        th = self.thermostat
        heat = zones[..., _J["program_heat_c"]]
        comfort = heat >= th.heating_setpoint_c - 1e-6
        cool = np.where(comfort, th.cooling_setpoint_c, th.setback_cooling_c)
        return heat, cool

    def _setpoints(self, zones: np.ndarray, home: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError


class FixedProgramPolicy(_HomePolicy):
    """The thermostat's shipped program in every home: comfort by day, setback by night."""

    name = "fixed"
    uses_personal_data = False

    def _setpoints(self, zones: np.ndarray, home: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self._program(zones)


class LearningThermostatPolicy(_HomePolicy):
    """Learned occupancy, early pre-heating, setback when away, learned set-points.

    Args:
        task: the env's task (observation layout and action ranges).
        eco_heat_c, eco_cool_c: set-points while a zone is predicted empty.
        occupied_p: a zone counts as occupied at this learned chance.
        margin_h: heating starts this much earlier than the learned heating rate alone
            says (surfaces lag the air).
        min_rate_k_h: the heating rate assumed at least (K/h).
        cool_band_k: cooling starts this far above the heating set-point when occupied.
        auto_away_h: a zone empty this long while the routine says it is occupied is set
            back (Auto-Away: the household is out when it is usually home).
        trip_h: after this long an unexpected absence is a trip: the zone is not
            pre-heated for the usual arrivals either, heating starts when somebody is back.
    """

    name = "learning_thermostat"
    uses_personal_data = True

    def __init__(
        self,
        task: HomeTask,
        eco_heat_c: float = 16.0,
        eco_cool_c: float = 28.0,
        occupied_p: float = 0.35,
        margin_h: float = 1.0,
        min_rate_k_h: float = 0.5,
        cool_band_k: float = 3.0,
        auto_away_h: float = 2.0,
        trip_h: float = 6.0,
    ) -> None:
        super().__init__(task)
        self.eco_heat_c, self.eco_cool_c = eco_heat_c, eco_cool_c
        self.occupied_p = occupied_p
        self.margin_h = margin_h
        self.min_rate_k_h = min_rate_k_h
        self.cool_band_k = cool_band_k
        self.auto_away_h = auto_away_h
        self.trip_h = trip_h

    def _setpoints(self, zones: np.ndarray, home: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        prog_heat, prog_cool = self._program(zones)
        learned = (home[:, _H["learning_allowed"]] > 0.5) & (home[:, _H["confidence"]] >= 1.0)
        target = zones[..., _J["learned_setpoint_c"]]
        present = zones[..., _J["occupied"]] > 0.5
        absent = zones[..., _J["absent_h"]]
        expected = (zones[..., _J["p_occupied_now"]] >= self.occupied_p) & (
            absent < self.auto_away_h
        )
        rate = np.maximum(zones[..., _J["heat_rate_k_h"]], self.min_rate_k_h)
        lead_h = np.maximum(target - zones[..., _J["temp_c"]], 0.0) / rate + self.margin_h
        to_occupied = zones[..., _J["hours_to_occupied"]]
        arriving = (to_occupied > 0.0) & (to_occupied <= lead_h) & (absent < self.trip_h)
        comfort = present | expected | arriving
        heat = np.where(comfort, target, self.eco_heat_c)
        cool_on = np.maximum(self.thermostat.cooling_setpoint_c, target + self.cool_band_k)
        cool = np.where(comfort, cool_on, self.eco_cool_c)
        use = learned[:, None]
        return np.where(use, heat, prog_heat), np.where(use, cool, prog_cool)
