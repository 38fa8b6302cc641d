"""Numba kernels of the residents: the day's routines, and the per-step update.

:func:`draw_days` runs once per local midnight for every home (one SimPy event for the
whole World): each resident's times for the day vary around their usual weekday or
weekend times, with home-office days and days without going out. :func:`routine_state`
reads where a resident is at an hour from those four times. :func:`resident_update` is
the per-step update of every resident of a span of homes: where they are, how their
zone feels to *them* (the shared occupant-experience kernels of :mod:`agents.kernels`
with their own preferences, and ISO 7730 PMV/PPD evaluated for all present residents
together in :func:`twin.physics.comfort.pmv_ppd_warm_into`), satisfaction with memory,
and the manual thermostat overrides of uncomfortable residents (logistic in their
discomfort, :func:`override_chances`). :mod:`agents.home.reference` is the same update
for one Mesa agent in plain Python.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from agents.home.population import C_AWAY_WD, C_OFFICE, C_SD_WD, ordered_day
from agents.home.rng import normal_pair, uniform
from agents.home.slots import (
    A_AWAKE,
    A_DISCOMFORT,
    A_OVERRIDES,
    A_PPD,
    A_PPD_ASLEEP,
    A_PRESENT,
    A_SAT,
    T_CLO,
    T_LUX,
    T_MET,
    T_PREF,
    T_SLEEP,
    T_TOL,
    Residents,
)
from agents.kernels import (
    ASLEEP,
    AWAKE,
    CLO_SLEEP,
    MET_SLEEP,
    N_PARAMS,
    OUT,
    P_MEMORY_H,
    P_RH,
    P_VR,
    comfort_from_terms,
    comfort_terms,
)
from twin.physics.comfort import put_lane, score_lanes
from twin.physics.vexp import exp

# The residents' parameter vector: the shared occupant parameters (agents.kernels P_*,
# with P_SLEEP_OFFSET = 0: each resident brings their own), then the homes' own.
Q_A_INC, Q_B_INC, Q_A_DEC, Q_B_DEC, Q_ASLEEP, Q_STEP = range(N_PARAMS, N_PARAMS + 6)
Q_SP_MIN, Q_SP_MAX, Q_PREF_CCT = N_PARAMS + 6, N_PARAMS + 7, N_PARAMS + 8
N_HOME_PARAMS = N_PARAMS + 9
#: Smallest gap between heating and cooling set-points a resident leaves (K).
OVERRIDE_DEADBAND_K = 0.5
#: Lanes of the routine draws per resident and day (uniforms and normal pairs).
_DAY_LANES = 8


@njit(cache=True, error_model="numpy")
def draw_days(
    day: int,
    weekend: bool,
    key_day: np.ndarray,
    params: np.ndarray,
    active: np.ndarray,
    role: np.ndarray,
    usual: np.ndarray,
    today: np.ndarray,
) -> None:
    """Every resident's wake, leave, return and sleep hours for day ``day``.

    Each time is the resident's usual time for the kind of day plus the role's
    day-to-day spread times a standard normal; on a weekday the resident works from
    home with the role's home-office share, otherwise goes out with the role's chance
    for the kind of day (:func:`agents.home.population.ordered_day` keeps the day
    consistent). Draws hash ``(home key, day, resident lane)``
    (:mod:`agents.home.rng`), so a home's days do not depend on any other home.
    """
    ne, n_slots = active.shape
    d = 1 if weekend else 0
    counter = np.uint64(day)
    for e in range(ne):
        key = key_day[e]
        for r in range(n_slots):
            if active[e, r] == 0:
                continue
            p = params[role[e, r]]
            lane = np.uint64(r * _DAY_LANES)
            u_office = uniform(key, counter, lane)
            u_out = uniform(key, counter, lane + np.uint64(1))
            z0, z1 = normal_pair(key, counter, lane + np.uint64(2))
            z2, z3 = normal_pair(key, counter, lane + np.uint64(4))
            at_home_office = (not weekend) and u_office < p[C_OFFICE]
            goes_out = (not at_home_office) and u_out < p[C_AWAY_WD + d]
            sd = p[C_SD_WD + d]
            today[0, e, r], today[1, e, r], today[2, e, r], today[3, e, r] = ordered_day(
                usual[4 * d, e, r] + sd * z0, usual[4 * d + 1, e, r] + sd * z1,
                usual[4 * d + 2, e, r] + sd * z2, usual[4 * d + 3, e, r] + sd * z3, goes_out,
            )  # fmt: skip


@njit(cache=True, inline="always", error_model="numpy")
def routine_state(hour: float, wake: float, leave: float, back: float, sleep: float) -> int:
    """Where a resident is at local ``hour`` on a day with these times (h).

    The day is a circle starting at waking: awake at home until leaving, out until
    returning, awake at home until bedtime, asleep until the next waking. Times after
    midnight (24 + h) wrap, so a night shift (out 21:00-07:00) reads the same way.
    """
    off = hour - wake
    if off < 0.0:
        off += 24.0
    if off < leave - wake:
        return AWAKE
    if off < back - wake:
        return OUT
    if off < sleep - wake:
        return AWAKE
    return ASLEEP


@njit(cache=True, inline="always", error_model="numpy")
def override_chances(cold_k: float, asleep: bool, dt_h: float, p: np.ndarray):
    """Chances within a step that a resident turns the thermostat up, and down.

    ``cold_k`` is how far the zone's operative temperature lies below the resident's
    own target (negative when above). Per hour the chances are logistic,
    ``1 / (1 + exp(-(a + b x)))`` (the occupant model CityLearn adopted, Kaspar et al.
    2024), with ``x = cold_k`` for up and ``-cold_k`` for down, less likely asleep; a
    step of ``dt_h`` hours keeps the hourly hazard: ``1 - (1 - p_hour) ** dt_h``.
    """
    adj = p[Q_ASLEEP] if asleep else 0.0
    x_up = p[Q_A_INC] + p[Q_B_INC] * cold_k + adj
    x_down = p[Q_A_DEC] - p[Q_B_DEC] * cold_k + adj
    # 1 - p_hour = 1 / (1 + exp(x)), so 1 - (1 - p_hour) ** dt = 1 - (1 + exp(x)) ** -dt.
    up = 1.0 - (1.0 + exp(x_up)) ** (-dt_h)
    down = 1.0 - (1.0 + exp(x_down)) ** (-dt_h)
    return up, down


@njit(cache=True, inline="always", error_model="numpy")
def override_bound(cold_k: float, asleep: bool, p: np.ndarray) -> float:
    """An upper bound of both :func:`override_chances` for steps of at most an hour.

    Within a step of ``dt_h <= 1`` hours the chance ``1 - (1 - p) ** dt_h`` is at most
    the hourly chance ``p``; a draw at or above both hourly chances (a little above, for
    rounding) means no change, without the step conversion's powers.
    """
    adj = p[Q_ASLEEP] if asleep else 0.0
    x_up = p[Q_A_INC] + p[Q_B_INC] * cold_k + adj
    x_down = p[Q_A_DEC] - p[Q_B_DEC] * cold_k + adj
    hour = max(1.0 / (1.0 + exp(-x_up)), 1.0 / (1.0 + exp(-x_down)))
    return hour * (1.0 + 1e-9) + 1e-300


@njit(cache=True, inline="always", error_model="numpy")
def override_value(
    up: bool, target: float, heat_now: float, cool_now: float, p: np.ndarray
) -> tuple[float, float]:
    """The (heating, cooling) set-points a resident holds: ``(heat, NaN)`` when turning up.

    Up: a step above what is in force, but between their target plus one and plus two
    steps (``step_k``): nobody sets a thermostat far from what they want, however cold
    the walls still feel; ``(NaN, NaN)`` (no change) when that is not above what is in
    force. Down: likewise below, between their target minus one and minus two steps,
    with cooling from their target plus a step. All within the thermostat's range.
    """
    step = p[Q_STEP]
    lo, hi = p[Q_SP_MIN], p[Q_SP_MAX]
    if up:
        heat = min(max(max(target + step, min(heat_now + step, target + 2.0 * step)), lo), hi)
        return (heat, math.nan) if heat > heat_now else (math.nan, math.nan)
    heat = min(target - step, max(heat_now - step, target - 2.0 * step))
    heat = min(max(heat, lo), hi)
    cool = min(max(min(cool_now, target + step), heat + OVERRIDE_DEADBAND_K), hi)
    return heat, cool


@njit(cache=True, error_model="numpy")
def resident_update(
    e0: int,
    e1: int,
    step: int,
    hour: float,
    dt_h: float,
    p: np.ndarray,
    rs: Residents,
    living: int,
    air: np.ndarray,
    op: np.ndarray,
    lux: np.ndarray,
    cct: np.ndarray,
    heat_now: np.ndarray,
    cool_now: np.ndarray,
    ov_heat: np.ndarray,
    ov_cool: np.ndarray,
    held: np.ndarray,
    n_over: np.ndarray,
) -> None:
    """Advance the residents of homes ``[e0, e1)`` by one step of ``dt_h`` hours.

    Args:
        e0, e1: the span of homes (copies).
        step: the step's index (the counter of the override draws).
        hour: local hour of day at the start of the step.
        dt_h: step length (h).
        p: ``(N_HOME_PARAMS,)`` parameters (the ``P_*`` and ``Q_*`` indices).
        rs: the resident arrays (:class:`agents.home.slots.Residents`).
        living: zone index of the day zone (residents awake at home are there; asleep,
            in their ``bed`` zone).
        air, op, lux, cct: ``(ne, nz)`` the zones' air and operative temperature,
            illuminance and colour temperature over the step.
        heat_now, cool_now: ``(ne, nz)`` set-points in force this step.
        ov_heat, ov_cool: ``(ne, nz)`` the override level of the heating and cooling
            set-points' priority arrays: an overriding resident writes there (in force
            from the next step).
        held: ``(ne, nz)`` bool, a resident's override holds the zone (set here).
        n_over: ``(ne, nz)`` overrides this step (at most one per zone: the first
            resident in slot order who acts), added to.
    """
    n_slots = rs.active.shape[1]
    pull = 1.0 - math.exp(-dt_h / p[P_MEMORY_H])
    cap = (e1 - e0) * n_slots
    # Lane rows: ta, tr, vr, rh, met, clo, wme, tcl guess in; pmv, ppd, tcl out.
    lanes = np.empty((11, cap))
    lane_e = np.empty(cap, np.int64)
    lane_r = np.empty(cap, np.int64)
    lane_z = np.empty(cap, np.int64)
    n = 0
    for e in range(e0, e1):
        away = rs.away[e] == 1
        for r in range(rs.size[e]):  # residents hold the first slots; the rest stay VACANT
            st = OUT
            if not away:
                st = routine_state(
                    hour, rs.today[0, e, r], rs.today[1, e, r], rs.today[2, e, r],
                    rs.today[3, e, r],
                )  # fmt: skip
            rs.state[e, r] = st
            if st == OUT:
                rs.ppd_now[e, r] = math.nan
                rs.score_now[e, r] = math.nan
                rs.thermal_now[e, r] = math.nan
                rs.excess_now[e, r] = 0.0
                continue
            z = living if st == AWAKE else rs.bed[e, r]
            ta = air[e, z]
            if st == ASLEEP:
                put_lane(lanes, n, ta, op[e, z], MET_SLEEP, CLO_SLEEP, rs.tcl[e, r])
            else:
                met, clo = rs.traits[T_MET, e, r], rs.traits[T_CLO, e, r]
                put_lane(lanes, n, ta, op[e, z], met, clo, rs.tcl[e, r])
            lane_e[n] = e
            lane_r[n] = r
            lane_z[n] = z
            n += 1
    score_lanes(lanes, n, p[P_VR], p[P_RH])
    counter = np.uint64(step)
    for k in range(n):
        e, r, z = lane_e[k], lane_r[k], lane_z[k]
        asleep = rs.state[e, r] == ASLEEP
        target = rs.traits[T_PREF, e, r] + (rs.traits[T_SLEEP, e, r] if asleep else 0.0)
        t_op = op[e, z]
        a_t, a_l, a_c, cold, _ = comfort_terms(
            rs.state[e, r], t_op, lux[e, z], cct[e, z], target, rs.traits[T_TOL, e, r],
            rs.traits[T_LUX, e, r], p[Q_PREF_CCT], p,
        )  # fmt: skip
        thermal = exp(a_t)
        score = comfort_from_terms(asleep, thermal, exp(a_l), exp(a_c), p)
        ppd = lanes[9, k]
        rs.tcl[e, r] = lanes[10, k]
        rs.ppd_now[e, r] = ppd
        rs.score_now[e, r] = score
        rs.sat[e, r] += pull * (score - rs.sat[e, r])
        tol = rs.traits[T_TOL, e, r]
        outside = max(abs(cold) - tol, 0.0)
        rs.thermal_now[e, r] = thermal
        rs.excess_now[e, r] = outside
        rs.acc[A_PRESENT, e, r] += dt_h
        rs.acc[A_SAT, e, r] += rs.sat[e, r] * dt_h
        if asleep:
            rs.acc[A_PPD_ASLEEP, e, r] += ppd * dt_h
        else:
            rs.acc[A_AWAKE, e, r] += dt_h
            rs.acc[A_PPD, e, r] += ppd * dt_h
        rs.acc[A_DISCOMFORT, e, r] += outside * dt_h
        u = uniform(rs.key_step[e], counter, np.uint64(r))
        if u >= override_bound(cold, asleep, p):
            continue  # above both chances: no change (most draws, decided cheaply)
        up, down = override_chances(cold, asleep, dt_h, p)
        turn_up = up > u
        turn_down = down > u
        if turn_up != turn_down and n_over[e, z] == 0:
            heat, cool = override_value(turn_up, target, heat_now[e, z], cool_now[e, z], p)
            if heat != heat:  # already set above what they would turn it to
                continue
            ov_heat[e, z] = heat
            if not turn_up:
                ov_cool[e, z] = cool
            held[e, z] = True
            n_over[e, z] += 1
            rs.acc[A_OVERRIDES, e, r] += 1.0
