"""What a learning thermostat learns about its home, from its own readings.

A learning thermostat keeps, per home, a model built from what its sensors and its own
log report (:class:`~twin.interface.Measurements` plus who commanded each zone):

* the **occupancy pattern**: per zone, kind of day (weekday, weekend) and time slot of
  the day, how often the presence sensor saw somebody, from which it predicts whether
  the zone will be occupied now, in an hour, when it next will be, and when it next
  will be empty (slots seen fewer than :data:`CONFIDENT_DAYS` times count as
  occupied: the thermostat does not set back on a guess);
* the **preferred set-points**: per zone, a running mean of the heating set-points the
  residents chose when they overrode it, starting from the program's value;
* **unexpected absence**: per zone, the hours it has been empty while the routine said
  it would be occupied, since somebody was last seen there (for an Auto-Away: a
  household out when it is usually home, or away on a trip);
* the **thermal response**: per zone, how fast the sensed temperature rises while the
  heating catches up with a set-point above the last reading (K/h), a running mean.

The routine and the set-points residents choose are personal data: they are learned
only for households that consented, and only while the policy may use personal data
(each such step is one occupancy-hour learned, the ``personal_data_used`` KPI). The
thermal response is a property of the building and is learned for every home. The
same module runs on a real thermostat's readings (it sees only Measurements and the
thermostat's log), so a policy meets on hardware the features it was trained on.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from twin.arbitration import SOURCES

#: Observations of a slot after which its learned frequency is trusted fully.
CONFIDENT_DAYS = 2.0
#: A zone counts as predicted occupied at this learned probability.
OCCUPIED_P = 0.5
#: Prior of the heating rate before anything was seen (K/h), and its learning rate.
PRIOR_RATE_K_H, RATE_GAIN = 2.0, 0.1
#: The heating is catching up when its set-point exceeds the reading by this much (K).
CATCHING_UP_K = 0.5
#: The prior set-point counts as this many overrides (one override does not rewrite it),
#: and a new override weighs at least this much once many were seen.
SP_PRIOR_WEIGHT, SP_GAIN_MIN = 2.0, 0.2
_OVERRIDE = SOURCES.index("override")


@njit(cache=True, error_model="numpy")
def learn(
    slot: int,
    weekend: bool,
    dt_h: float,
    allowed: np.ndarray,
    presence: np.ndarray,
    temp: np.ndarray,
    heat_sp: np.ndarray,
    source: np.ndarray,
    n_obs: np.ndarray,
    n_occ: np.ndarray,
    sp: np.ndarray,
    n_sp: np.ndarray,
    was_override: np.ndarray,
    rate: np.ndarray,
    prev_temp: np.ndarray,
    prev_heat: np.ndarray,
    have_prev: np.ndarray,
    since: np.ndarray,
    disclosed: np.ndarray,
) -> None:
    """Add one reading of every home to its learned model (in place).

    Args:
        slot: time slot of the day of the reading; weekend: its kind of day.
        dt_h: hours between readings.
        allowed: ``(ne,)`` the routine of this home may be learned (consent, and the
            policy may use personal data).
        presence, temp, heat_sp: ``(ne, nz)`` presence, sensed temperature and heating
            set-point in force; source: ``(ne, nz)`` who commands the heating set-point.
        n_obs: ``(ne, 2, S)`` readings per kind of day and slot; n_occ: ``(ne, nz, 2,
            S)`` of which the zone was occupied.
        sp, n_sp: ``(ne, nz)`` learned set-point and the overrides it came from;
            was_override: ``(ne, nz)`` an override held the zone at the last reading.
        rate: ``(ne, nz)`` learned heating rate (K/h); prev_temp, prev_heat: the last
            reading; have_prev: ``(ne,)`` there is one.
        since: ``(ne, nz)`` hours the zone was empty while predicted occupied, since it
            was last seen occupied (0 when occupied now).
        disclosed: ``(ne,)`` out: the home's occupancy was learned from this reading.
    """
    ne, nz = temp.shape
    d = 1 if weekend else 0
    for e in range(ne):
        ok = allowed[e]
        disclosed[e] = ok
        if ok:
            n_obs[e, d, slot] += 1.0
        for z in range(nz):
            override = source[e, z] == _OVERRIDE
            if presence[e, z] or not ok:
                since[e, z] = 0.0
            elif occupied_p(n_obs, n_occ, e, z, d, slot) >= OCCUPIED_P:
                since[e, z] += dt_h
            if ok:
                if presence[e, z]:
                    n_occ[e, z, d, slot] += 1.0
                # A new override, or a changed one: the residents' choice is a sample.
                if override and (not was_override[e, z] or heat_sp[e, z] != prev_heat[e, z]):
                    n_sp[e, z] += 1.0
                    gain = max(1.0 / (n_sp[e, z] + SP_PRIOR_WEIGHT), SP_GAIN_MIN)
                    sp[e, z] += gain * (heat_sp[e, z] - sp[e, z])
            was_override[e, z] = override
            if have_prev[e] and heat_sp[e, z] - prev_temp[e, z] > CATCHING_UP_K:
                rise = (temp[e, z] - prev_temp[e, z]) / dt_h
                if rise > 0.0:
                    rate[e, z] += RATE_GAIN * (rise - rate[e, z])
            prev_temp[e, z] = temp[e, z]
            prev_heat[e, z] = heat_sp[e, z]
        have_prev[e] = True


@njit(cache=True, inline="always", error_model="numpy")
def occupied_p(n_obs: np.ndarray, n_occ: np.ndarray, e: int, z: int, d: int, s: int) -> float:
    """Learned chance that zone ``z`` is occupied in slot ``s`` of kind of day ``d``.

    The observed frequency, blended with "occupied" while the slot was seen fewer than
    :data:`CONFIDENT_DAYS` times.
    """
    seen = n_obs[e, d, s]
    c = min(seen / CONFIDENT_DAYS, 1.0)
    freq = n_occ[e, z, d, s] / seen if seen > 0 else 1.0
    return c * freq + (1.0 - c)


@njit(cache=True, error_model="numpy")
def predictions(
    slot: int,
    weekday: int,
    e: int,
    z: int,
    n_obs: np.ndarray,
    n_occ: np.ndarray,
    dt_h: float,
) -> tuple[float, float, float, float]:
    """Zone ``z`` of home ``e``: ``(p_now, p_in_1h, hours_to_occupied, hours_to_empty)``.

    Hours to occupied (empty) are until the first slot, from now, predicted occupied
    (empty) at :data:`OCCUPIED_P`, scanning one day ahead (24 when none is); weekday 5
    and 6 are weekends, and the scan crosses into the next day's kind of day.
    """
    n_slots = n_obs.shape[2]
    p_now = 0.0
    p_1h = 0.0
    to_occ = 24.0
    to_empty = 24.0
    ahead_1h = int(round(1.0 / dt_h))
    for k in range(n_slots):
        s = slot + k
        day = weekday + s // n_slots
        d = 1 if (day % 7) >= 5 else 0
        p = occupied_p(n_obs, n_occ, e, z, d, s % n_slots)
        if k == 0:
            p_now = p
        if k == ahead_1h:
            p_1h = p
        if p >= OCCUPIED_P and to_occ == 24.0:
            to_occ = k * dt_h
        if p < OCCUPIED_P and to_empty == 24.0:
            to_empty = k * dt_h
    return p_now, p_1h, to_occ, to_empty


@njit(cache=True, error_model="numpy")
def confidence(slot: int, weekend: bool, e: int, n_obs: np.ndarray) -> float:
    """How much of the current slot's pattern is learned (0: nothing, 1: enough days)."""
    return min(n_obs[e, 1 if weekend else 0, slot] / CONFIDENT_DAYS, 1.0)


class ThermostatLearning:
    """The learned model of every home of a batch (see the module docstring).

    Args:
        n_homes: homes in the batch; n_zones: zones per home.
        dt_h: hours between readings (one slot of the day each).
        prior_sp: ``(nz,)`` set-points assumed before any override (the program's).
    """

    def __init__(self, n_homes: int, n_zones: int, dt_h: float, prior_sp: np.ndarray) -> None:
        self.ne, self.nz, self.dt_h = n_homes, n_zones, dt_h
        self.n_slots = int(round(24.0 / dt_h))
        self.prior_sp = np.asarray(prior_sp, dtype=np.float64)
        self.reset()

    def reset(self) -> None:
        """Forget everything (a new home, or a new episode)."""
        ne, nz, s = self.ne, self.nz, self.n_slots
        self.n_obs = np.zeros((ne, 2, s))
        self.n_occ = np.zeros((ne, nz, 2, s))
        self.sp = np.tile(self.prior_sp, (ne, 1))
        self.n_sp = np.zeros((ne, nz))
        self.was_override = np.zeros((ne, nz), np.bool_)
        self.rate = np.full((ne, nz), PRIOR_RATE_K_H)
        self.prev_temp = np.zeros((ne, nz))
        self.prev_heat = np.zeros((ne, nz))
        self.have_prev = np.zeros(ne, np.bool_)
        self.since = np.zeros((ne, nz))
        self.disclosed = np.zeros(ne, np.bool_)

    def slot_of(self, hour: float) -> int:
        """The time slot of the day holding local ``hour``."""
        return min(int(hour / self.dt_h + 1e-9), self.n_slots - 1)

    def learn(
        self,
        hour: float,
        weekday: int,
        allowed: np.ndarray,
        presence: np.ndarray,
        temp: np.ndarray,
        heat_sp: np.ndarray,
        source: np.ndarray,
    ) -> np.ndarray:
        """Add one reading of every home; which homes' occupancy it learned (``(ne,)``)."""
        learn(
            self.slot_of(hour), weekday >= 5, self.dt_h, allowed, presence, temp, heat_sp,
            source, self.n_obs, self.n_occ, self.sp, self.n_sp, self.was_override, self.rate,
            self.prev_temp, self.prev_heat, self.have_prev, self.since, self.disclosed,
        )  # fmt: skip
        return self.disclosed

    def pattern(self, e: int, z: int) -> np.ndarray:
        """``(2, S)``: the learned occupancy chance of zone ``z`` per kind of day and slot."""
        out = np.empty((2, self.n_slots))
        for d in range(2):
            for s in range(self.n_slots):
                out[d, s] = occupied_p(self.n_obs, self.n_occ, e, z, d, s)
        return out
