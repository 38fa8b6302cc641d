"""Numba kernels of the home task: the flat observation and the per-zone reward.

:func:`encode_observation` writes every home's observation in one pass from the
Measurements, the thermostat's context and its learned model
(:mod:`twin.venues.home.learning`), with the consent rule: the learned routine and
set-points appear only for homes whose household consented, and only when the policy
may use personal data; other homes show what a thermostat without them assumes.
:func:`zone_rewards` scores the step per zone.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from agents.kernels import ASLEEP, AWAKE
from twin.venues.home.learning import confidence, predictions
from twin.venues.rewards import setpoint_terms

# Zone-feature columns (see twin.venues.home.task.ZONE_FEATURES).
(_TEMP, _OCC, _HEAT, _COOL, _BED, _OVR, _PROG, _SP, _P_NOW, _P_1H, _TO_OCC, _TO_EMPTY, _SINCE,
 _RATE) = range(14)  # fmt: skip
F_ZONE = 14
F_HOME = 3
_OVERRIDE = 0  # twin.arbitration.SOURCES.index("override")


@njit(cache=True, error_model="numpy")
def encode_observation(
    out: np.ndarray,
    temp: np.ndarray,
    presence: np.ndarray,
    heat_sp: np.ndarray,
    cool_sp: np.ndarray,
    source: np.ndarray,
    is_bedroom: np.ndarray,
    program_heat: float,
    allowed: np.ndarray,
    prior_sp: np.ndarray,
    sp: np.ndarray,
    rate: np.ndarray,
    since: np.ndarray,
    n_obs: np.ndarray,
    n_occ: np.ndarray,
    slot: int,
    weekday: int,
    dt_h: float,
    site: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
) -> None:
    """Fill ``out`` ``(ne, nz * F_ZONE + F_HOME + G)`` float32, clipped to its bounds."""
    ne, nz = temp.shape
    weekend = weekday >= 5
    h0 = nz * F_ZONE
    g0 = h0 + F_HOME
    for e in range(ne):
        row = out[e]
        ok = allowed[e]
        for z in range(nz):
            b = z * F_ZONE
            row[b + _TEMP] = temp[e, z]
            row[b + _OCC] = 1.0 if presence[e, z] else 0.0
            row[b + _HEAT] = heat_sp[e, z]
            row[b + _COOL] = cool_sp[e, z]
            row[b + _BED] = is_bedroom[z]
            row[b + _OVR] = 1.0 if source[e, z] == _OVERRIDE else 0.0
            row[b + _PROG] = program_heat
            row[b + _RATE] = rate[e, z]
            if ok:
                p_now, p_1h, to_occ, to_empty = predictions(slot, weekday, e, z, n_obs, n_occ, dt_h)
                row[b + _SP] = sp[e, z]
                row[b + _SINCE] = since[e, z]
            else:  # nothing learned may be shown: occupied, always, at the program's value
                p_now, p_1h, to_occ, to_empty = 1.0, 1.0, 0.0, 24.0
                row[b + _SP] = prior_sp[z]
                row[b + _SINCE] = 0.0
            row[b + _P_NOW] = p_now
            row[b + _P_1H] = p_1h
            row[b + _TO_OCC] = to_occ
            row[b + _TO_EMPTY] = to_empty
        row[h0] = 1.0 if ok else 0.0
        row[h0 + 1] = confidence(slot, weekend, e, n_obs) if ok else 0.0
        row[h0 + 2] = 1.0 if weekend else 0.0
        for j in range(site.shape[1]):
            row[g0 + j] = site[e, j]
        for i in range(row.shape[0]):
            v = row[i]
            v = low[i] if v < low[i] else v
            row[i] = high[i] if v > high[i] else v


@njit(cache=True, error_model="numpy")
def zone_rewards(
    zone_reward: np.ndarray,
    terms: np.ndarray,
    state: np.ndarray,
    thermal: np.ndarray,
    excess: np.ndarray,
    bed: np.ndarray,
    living: int,
    power: np.ndarray,
    n_over: np.ndarray,
    heat_cmd: np.ndarray,
    cool_cmd: np.ndarray,
    prev_heat: np.ndarray,
    prev_cool: np.ndarray,
    occupied: np.ndarray,
    weights: np.ndarray,
    price: float,
    dt_h: float,
    safe_min: float,
    safe_max: float,
    osc_tol: float,
    have_prev: bool,
) -> None:
    """Per-zone reward ``(ne, nz)`` and its weighted terms ``(6, ne)``, summed over zones.

    Terms, in order (weights likewise), all about what the thermostat controls: thermal
    comfort (minus ``1 - exp(-(x / tol)^2 / 2)`` per present resident-hour, ``x`` the
    resident's own temperature error, in their zone), discomfort (kelvin-hours present
    residents spend outside their own comfort range), electricity cost, residents'
    overrides, K of the policy's set-points outside the safe band while occupied (per
    zone and hour), K of the policy's set-point changes beyond the tolerance per zone.
    """
    ne, nz = power.shape
    n_slots = state.shape[1]
    c_comfort = -weights[0] * dt_h
    c_dis = -weights[1] * dt_h
    c_cost = -weights[2] * price * dt_h / 1000.0
    c_over = -weights[3]
    c_unsafe = -weights[4] * dt_h / nz
    c_osc = -weights[5] / nz
    for e in range(ne):
        t = np.zeros(6)
        for z in range(nz):
            cost = c_cost * power[e, z]
            over = c_over * n_over[e, z]
            unsafe, osc = setpoint_terms(
                e, z, heat_cmd, cool_cmd, prev_heat, prev_cool, occupied, c_unsafe, c_osc,
                safe_min, safe_max, osc_tol, have_prev,
            )  # fmt: skip
            zone_reward[e, z] = cost + over + unsafe + osc
            t[2] += cost
            t[3] += over
            t[4] += unsafe
            t[5] += osc
        for r in range(n_slots):
            st = state[e, r]
            if st == AWAKE or st == ASLEEP:
                z = living if st == AWAKE else bed[e, r]
                comfort = c_comfort * (1.0 - thermal[e, r])
                dis = c_dis * excess[e, r]
                zone_reward[e, z] += comfort + dis
                t[0] += comfort
                t[1] += dis
        for j in range(6):
            terms[j, e] = t[j]
