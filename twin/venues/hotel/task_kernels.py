"""Numba kernels of the hotel task: the flat observation and the per-zone reward.

:func:`encode_observation` writes the flat observation of every environment in one
pass from the Measurements and the hotel's context. It is the batched equivalent of
:func:`twin.venues.hotel.task.reference_observation` (the readable reference, tested to
agree exactly), including the consent rule: a stated
preference appears only for a checked-in guest who consented, or for the consenting
guest booked into an empty room within 24 h, and only if the policy may use personal
data. Building the dictionary and concatenating it cost about as much as the physics
and guest kernels together at 64 environments.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from twin.venues.rewards import building_coefficients, building_terms

# Zone-feature columns (see twin.venues.hotel.task.ZONE_FEATURES).
_TEMP, _OCC, _HEAT, _COOL, _LUX, _IS_ROOM, _SOLD, _PRESENT = 0, 1, 2, 3, 4, 5, 6, 7
_TO_ARR, _TO_DEP, _KNOWN, _PT, _PL, _PC, _FT, _FL = 8, 9, 10, 11, 12, 13, 14, 15
_AWAKE, _ASLEEP = 1, 2


@njit(cache=True, error_model="numpy")
def encode_observation(
    out: np.ndarray,
    known: np.ndarray,
    temp: np.ndarray,
    occupied: np.ndarray,
    heat_sp: np.ndarray,
    cool_sp: np.ndarray,
    lux: np.ndarray,
    room_zone: np.ndarray,
    active: np.ndarray,
    state: np.ndarray,
    consent: np.ndarray,
    next_consent: np.ndarray,
    next_arrival_s: np.ndarray,
    departure_s: np.ndarray,
    prefs: np.ndarray,
    next_prefs: np.ndarray,
    feedback: np.ndarray,
    glob: np.ndarray,
    defaults: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    now: float,
    personal_data: bool,
) -> None:
    """Fill ``out`` ``(ne, nz * F + G)`` float32 and ``known`` ``(ne, R)`` (disclosed rooms)."""
    ne, nz = temp.shape
    n_rooms = room_zone.shape[0]
    f = 16
    g0 = nz * f
    for e in range(ne):
        row = out[e]
        for z in range(nz):
            b = z * f
            row[b + _TEMP] = temp[e, z]
            row[b + _OCC] = 1.0 if occupied[e, z] else 0.0
            row[b + _HEAT] = heat_sp[e, z]
            row[b + _COOL] = cool_sp[e, z]
            row[b + _LUX] = lux[e, z]
            for j in range(_IS_ROOM, f):
                row[b + j] = 0.0
        for r in range(n_rooms):
            b = room_zone[r] * f
            sold = active[e, r] == 1
            to_arrival_s = next_arrival_s[e, r] - now
            known_now = personal_data and sold and consent[e, r] == 1
            known_next = (
                personal_data and not sold and next_consent[e, r] == 1
                and to_arrival_s <= 24.0 * 3600.0
            )  # fmt: skip
            k = known_now or known_next
            known[e, r] = k
            st = state[e, r]
            row[b + _IS_ROOM] = 1.0
            row[b + _SOLD] = 1.0 if sold else 0.0
            row[b + _PRESENT] = 1.0 if (st == _AWAKE or st == _ASLEEP) else 0.0
            row[b + _TO_ARR] = min(max(to_arrival_s / 3600.0, 0.0), 24.0)
            dep = min(max((departure_s[e, r] - now) / 3600.0, 0.0), 24.0)
            row[b + _TO_DEP] = dep if sold else 0.0
            row[b + _KNOWN] = 1.0 if k else 0.0
            # The checked-in guest's stated temperature, lux and CCT; else the arriving
            # guest's, stored only if they consented; else the house defaults. All are
            # loaded before one is chosen, so the choice compiles to selects: consent is
            # a coin flip that a branch predictor cannot learn.
            now_t, now_l, now_c = prefs[0, e, r], prefs[2, e, r], prefs[3, e, r]
            next_t, next_l, next_c = next_prefs[0, e, r], next_prefs[1, e, r], next_prefs[2, e, r]
            row[b + _PT] = now_t if known_now else (next_t if known_next else defaults[0])
            row[b + _PL] = now_l if known_now else (next_l if known_next else defaults[1])
            row[b + _PC] = now_c if known_now else (next_c if known_next else defaults[2])
            row[b + _FT] = feedback[0, e, r]
            row[b + _FL] = feedback[1, e, r]
        for j in range(glob.shape[1]):
            row[g0 + j] = glob[e, j]
        for i in range(row.shape[0]):  # np.clip; selects, so the loop vectorises
            v = row[i]
            v = low[i] if v < low[i] else v
            row[i] = high[i] if v > high[i] else v


@njit(cache=True, error_model="numpy")
def zone_rewards(
    zone_reward: np.ndarray,
    terms: np.ndarray,
    sat: np.ndarray,
    active: np.ndarray,
    room_zone: np.ndarray,
    excess: np.ndarray,
    power: np.ndarray,
    heat_sp: np.ndarray,
    cool_sp: np.ndarray,
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
    """Per-zone reward ``(ne, nz)`` and its weighted terms ``(5, ne)``, summed over zones.

    Terms, in order (weights likewise): satisfaction of the room's in-house guest per
    room and hour; Kh outside the comfort band per zone; electricity cost; K of
    set-point outside the safe band while occupied (per zone and hour); K of set-point
    change beyond the tolerance per zone. See :meth:`twin.venues.hotel.task.HotelTask.reward`.
    """
    ne, nz = excess.shape
    n_rooms = room_zone.shape[0]
    c_dis, c_cost, c_unsafe, c_osc = building_coefficients(
        weights[1], weights[2], weights[3], weights[4], price, dt_h, nz
    )
    c_sat = weights[0] * dt_h / n_rooms if n_rooms > 0 else 0.0
    for e in range(ne):
        t_dis = 0.0
        t_cost = 0.0
        t_unsafe = 0.0
        t_osc = 0.0
        for z in range(nz):
            dis, cost, unsafe, osc = building_terms(
                e, z, excess, power, heat_sp, cool_sp, prev_heat, prev_cool, occupied, c_dis,
                c_cost, c_unsafe, c_osc, safe_min, safe_max, osc_tol, have_prev,
            )  # fmt: skip
            zone_reward[e, z] = dis + cost + unsafe + osc
            t_dis += dis
            t_cost += cost
            t_unsafe += unsafe
            t_osc += osc
        t_sat = 0.0
        for r in range(n_rooms):
            value = c_sat * sat[e, r] * active[e, r]
            zone_reward[e, room_zone[r]] += value
            t_sat += value
        terms[0, e] = t_sat
        terms[1, e] = t_dis
        terms[2, e] = t_cost
        terms[3, e] = t_unsafe
        terms[4, e] = t_osc
