"""Occupant-experience kernels shared by guests, shoppers and residents.

How a place feels to *one person*: Gaussian comfort terms around their own preferred
temperature, light level and colour (asleep: their temperature plus a sleep offset, and
darkness), the weighted comfort score in [0, 1], and the chance that discomfort makes
them give feedback. Each venue's occupant kernel (the hotel's
:func:`agents.hotel.guest_kernel.guest_step`, the store's shopper kernel, the homes'
resident kernel) calls these per occupant, with its own states and routines, and ISO 7730
PMV/PPD from :mod:`twin.physics.comfort`. Parameters arrive in one vector ``p`` laid
out by the ``P_*`` indices below.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from twin.physics.vexp import exp

# Occupant states (values of the ``state`` arrays).
VACANT, AWAKE, ASLEEP, OUT = 0, 1, 2, 3

# Layout of the parameter vector ``p`` (from a venue's satisfaction section).
P_MEMORY_H, P_W_T, P_W_L, P_W_C, P_LUX_TOL, P_CCT_TOL, P_SLEEP_OFFSET, P_FEEDBACK = range(8)
P_RH, P_VR, P_FEEDBACK_DECAY_H = 8, 9, 10
N_PARAMS = 11

#: Clothing (clo, with bedding) and activity (met) asleep.
CLO_SLEEP, MET_SLEEP = 1.7, 0.8
#: Recent feedback saturates here: a guest can only complain so much.
FEEDBACK_MAX = 10.0
#: Illuminance (lux) a sleeping guest still tolerates.
DARK_TOL_LUX = 30.0


@njit(cache=True, inline="always", error_model="numpy")
def comfort_terms(
    state: int,
    t_op: float,
    lux: float,
    cct: float,
    pref_temp: float,
    tol_temp: float,
    pref_lux: float,
    pref_cct: float,
    p: np.ndarray,
):
    """The exponents of the Gaussian comfort terms and the signed errors they come from.

    Returns ``(a_temp, a_light, a_colour, thermal_error_k, light_error_lux)``: the
    terms are ``exp(a_*)`` (see :func:`comfort_score`); the errors are preferred minus
    experienced, so feedback knows which way the guest wants it. Asleep, the guest
    wants their temperature plus the sleep offset and darkness, and colour is moot.
    """
    if state == ASLEEP:
        dt_err = pref_temp + p[P_SLEEP_OFFSET] - t_op
        return -0.5 * (dt_err / tol_temp) ** 2, -0.5 * (lux / DARK_TOL_LUX) ** 2, 0.0, dt_err, -lux
    dt_err = pref_temp - t_op
    dl_err = pref_lux - lux
    a_t = -0.5 * (dt_err / tol_temp) ** 2
    a_l = -0.5 * (dl_err / (p[P_LUX_TOL] * pref_lux)) ** 2
    a_c = -0.5 * ((pref_cct - cct) / p[P_CCT_TOL]) ** 2
    return a_t, a_l, a_c, dt_err, dl_err


@njit(cache=True, inline="always", error_model="numpy")
def comfort_from_terms(asleep: bool, s_t: float, s_l: float, s_c: float, p: np.ndarray) -> float:
    """The weighted mean of the comfort terms (colour does not count asleep)."""
    w_tl = p[P_W_T] + p[P_W_L]
    both = p[P_W_T] * s_t + p[P_W_L] * s_l
    asleep_score = both / w_tl
    awake_score = (both + p[P_W_C] * s_c) / (w_tl + p[P_W_C])
    return asleep_score if asleep else awake_score


@njit(cache=True, inline="always", error_model="numpy")
def comfort_score(
    state: int,
    t_op: float,
    lux: float,
    cct: float,
    pref_temp: float,
    tol_temp: float,
    pref_lux: float,
    pref_cct: float,
    p: np.ndarray,
):
    """Experienced comfort in [0, 1] relative to the guest's own preferences.

    Returns ``(score, thermal_error_k, light_error_lux)``; the errors are signed
    (preferred minus experienced) so feedback knows which way the guest wants it.
    """
    a_t, a_l, a_c, dt_err, dl_err = comfort_terms(
        state, t_op, lux, cct, pref_temp, tol_temp, pref_lux, pref_cct, p
    )
    score = comfort_from_terms(state == ASLEEP, exp(a_t), exp(a_l), exp(a_c), p)
    return score, dt_err, dl_err


@njit(cache=True, inline="always", error_model="numpy")
def feedback_chance(score: float, rate_per_h: float, dt_h: float) -> float:
    """Chance that an awake guest gives feedback within a step, growing with discomfort."""
    return 1.0 - exp(-rate_per_h * dt_h * (1.0 - score))
