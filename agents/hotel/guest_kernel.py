"""Numba kernel of the hotel guests' per-step update, over struct-of-arrays.

One slot per room holds the guest party staying there (at most one party per room).
Every step, for every slot of every environment, the kernel works out where the guest is
from their daily routine (asleep, in the room awake, out), what they wear and do, how the
room feels to *them* (their own preferred temperature, light level and colour, through
the shared occupant-experience kernels of :mod:`agents.kernels`), their ISO 7730 PPD, and
lets satisfaction move towards the experienced comfort with a memory time constant.
Discomfort makes guests give feedback (turning the thermostat, calling the desk) at a
rate that grows with discomfort; the feedback decays over a few hours.

Mesa keeps the structure (agents, layout, data collection); this kernel is the hot loop.
It gathers the present guests and evaluates their PMV together in
:func:`twin.physics.comfort.pmv_ppd_warm_into`, which vectorises the guests'
clothing-temperature iterations (warm-started Newton steps, usually two per guest) and
gives each guest bit for bit what :func:`~twin.physics.comfort.pmv_point_warm` would.
:mod:`agents.hotel.reference` is the same update for one Mesa agent in plain Python,
used to check this kernel and to measure what it buys.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from agents.kernels import (
    ASLEEP,
    AWAKE,
    CLO_SLEEP,
    FEEDBACK_MAX,
    MET_SLEEP,
    OUT,
    P_FEEDBACK,
    P_FEEDBACK_DECAY_H,
    P_LUX_TOL,
    P_MEMORY_H,
    P_RH,
    P_VR,
    VACANT,
    comfort_from_terms,
    comfort_terms,
    feedback_chance,
)
from twin.physics.comfort import put_lane, score_lanes
from twin.physics.vexp import exp

#: Activity (met) and clothing change in the evening, from this local hour on.
MET_EVENING, CLO_EVENING_DELTA, EVENING_H = 1.0, 0.2, 19.0


@njit(cache=True, inline="always", error_model="numpy")
def routine_state(hour: float, wake: float, out_start: float, out_end: float, sleep: float) -> int:
    """Where a guest is at a local ``hour`` given their routine (all in hours).

    Bedtimes lie before midnight (the scenario schema bounds ``sleep_h`` below 24).
    """
    if hour >= sleep or hour < wake:
        return ASLEEP
    if out_start <= hour < out_end:
        return OUT
    return AWAKE


@njit(cache=True, inline="always", error_model="numpy")
def clothing_activity(state: int, hour: float, clo_awake: float, met_awake: float):
    """(clo, met) over the day: lighter clothes and rest in the evening, bedding at night."""
    if state == ASLEEP:
        return CLO_SLEEP, MET_SLEEP
    if hour >= EVENING_H:
        return max(clo_awake - CLO_EVENING_DELTA, 0.3), MET_EVENING
    return clo_awake, met_awake


@njit(cache=True, error_model="numpy")
def guest_step(
    hour: np.ndarray,
    dt_h: float,
    p: np.ndarray,
    active: np.ndarray,
    routine: np.ndarray,
    prefs: np.ndarray,
    t_air: np.ndarray,
    t_op: np.ndarray,
    lux: np.ndarray,
    cct: np.ndarray,
    noise: np.ndarray,
    state: np.ndarray,
    sat: np.ndarray,
    acc: np.ndarray,
    tcl: np.ndarray,
    feedback: np.ndarray,
    ppd_now: np.ndarray,
) -> None:
    """Advance every guest slot of every environment by one step of ``dt_h`` hours.

    Args:
        hour: ``(ne,)`` local hour of day at the start of the step.
        dt_h: step length (h).
        p: ``(N_PARAMS,)`` satisfaction parameters (see the ``P_*`` indices).
        active: ``(ne, R)`` 1 where a guest is checked in, else 0.
        routine: ``(4, ne, R)`` wake, out-start, out-end and sleep hours.
        prefs: ``(6, ne, R)`` preferred temperature (deg C), temperature tolerance (K),
            preferred lux, preferred CCT (K), awake clothing (clo), awake activity (met).
        t_air, t_op: ``(ne, R)`` air and operative temperature of each room over the step.
        lux, cct: ``(ne, R)`` illuminance and colour temperature in each room.
        noise: ``(ne, R)`` uniform [0, 1) draws deciding feedback.
        state: ``(ne, R)`` out: VACANT / AWAKE / ASLEEP / OUT.
        sat: ``(ne, R)`` satisfaction in [0, 1], updated in place.
        acc: ``(4, ne, R)`` accumulators added to: satisfaction-hours, in-house hours,
            PPD-hours while present, present hours.
        tcl: ``(ne, R)`` clothing surface temperature, warm start of the PMV iteration.
        feedback: ``(2, ne, R)`` recent thermal (+ wants warmer) and light (+ wants
            brighter) feedback, decaying with ``p[P_FEEDBACK_DECAY_H]``.
        ppd_now: ``(ne, R)`` out: PPD (%) of present guests, NaN otherwise.
    """
    ne, n_rooms = active.shape
    pull = 1.0 - math.exp(-dt_h / p[P_MEMORY_H])  # share of the gap closed
    decay = math.exp(-dt_h / p[P_FEEDBACK_DECAY_H])
    # Pass 1: routine and accumulators of every slot; the present guests' PMV inputs go
    # into lanes. Pass 2 evaluates their PMV together (one occupant's iteration is a
    # serial dependency chain; stepping all of them at once vectorises and hides its
    # latency), bit for bit what pmv_point_warm gives each. Pass 3 scores comfort and
    # feedback.
    # Lane rows: ta, tr, vr, rh, met, clo, wme, tcl guess in; pmv, ppd, tcl out. Pass 3
    # reuses rows 0-4 for the comfort exponents and errors, then scores and chances.
    cap = ne * n_rooms
    lanes = np.empty((11, cap))
    lane_e = np.empty(cap, np.int64)
    lane_r = np.empty(cap, np.int64)
    lane_asleep = np.empty(cap, np.bool_)
    n = 0
    for e in range(ne):
        h = hour[e]
        for r in range(n_rooms):
            feedback[0, e, r] *= decay
            feedback[1, e, r] *= decay
            if active[e, r] == 0:
                state[e, r] = VACANT
                ppd_now[e, r] = np.nan
                continue
            st = routine_state(
                h, routine[0, e, r], routine[1, e, r], routine[2, e, r], routine[3, e, r]
            )
            state[e, r] = st
            acc[0, e, r] += sat[e, r] * dt_h
            acc[1, e, r] += dt_h
            if st == OUT:
                ppd_now[e, r] = np.nan
                continue
            clo, met = clothing_activity(st, h, prefs[4, e, r], prefs[5, e, r])
            ta = t_air[e, r]
            put_lane(lanes, n, ta, t_op[e, r], met, clo, tcl[e, r])
            lane_e[n] = e
            lane_r[n] = r
            n += 1

    score_lanes(lanes, n, p[P_VR], p[P_RH])

    # Pass 3a gathers each present guest's comfort exponents, 3b turns them into scores
    # and feedback chances in a loop that vectorises (exp included), 3c scatters.
    for k in range(n):
        e, r = lane_e[k], lane_r[k]
        st = state[e, r]
        lane_asleep[k] = st == ASLEEP
        lanes[0, k], lanes[1, k], lanes[2, k], lanes[3, k], lanes[4, k] = comfort_terms(
            st, t_op[e, r], lux[e, r], cct[e, r], prefs[0, e, r], prefs[1, e, r], prefs[2, e, r],
            prefs[3, e, r], p,
        )  # fmt: skip
    rate = p[P_FEEDBACK]
    for k in range(n):
        score = comfort_from_terms(
            lane_asleep[k], exp(lanes[0, k]), exp(lanes[1, k]), exp(lanes[2, k]), p
        )
        lanes[0, k] = score
        lanes[1, k] = feedback_chance(score, rate, dt_h)
    for k in range(n):
        e, r = lane_e[k], lane_r[k]
        st = state[e, r]
        ppd = lanes[9, k]
        tcl[e, r] = lanes[10, k]
        ppd_now[e, r] = ppd
        acc[2, e, r] += ppd * dt_h
        acc[3, e, r] += dt_h
        score, dt_err, dl_err = lanes[0, k], lanes[3, k], lanes[4, k]
        sat[e, r] += pull * (score - sat[e, r])
        if st == AWAKE and noise[e, r] < lanes[1, k]:
            # The larger relative error gets the complaint.
            if abs(dt_err) / prefs[1, e, r] >= abs(dl_err) / (p[P_LUX_TOL] * prefs[2, e, r]):
                f = feedback[0, e, r] + (1.0 if dt_err > 0 else -1.0)
                feedback[0, e, r] = min(max(f, -FEEDBACK_MAX), FEEDBACK_MAX)
            else:
                f = feedback[1, e, r] + (1.0 if dl_err > 0 else -1.0)
                feedback[1, e, r] = min(max(f, -FEEDBACK_MAX), FEEDBACK_MAX)
