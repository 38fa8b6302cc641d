"""The building's reward terms, shared by every venue's reward kernel.

Per zone and step: thermal discomfort (Kh outside the comfort band, per zone), the
electricity cost, unsafe set-points while occupied (K outside the safe band, per zone and
hour) and set-point oscillation (K of change beyond a tolerance, per zone), each already
weighted by the scenario's ``[control.reward]``. A venue's reward kernel adds its own
terms (guests' satisfaction, a store's revenue) to these.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, inline="always", error_model="numpy")
def building_coefficients(
    w_discomfort: float, w_cost: float, w_unsafe: float, w_osc: float, price: float,
    dt_h: float, nz: int,
):  # fmt: skip
    """The signed per-unit coefficients of the four terms for a step of ``dt_h`` hours."""
    return (
        -w_discomfort * dt_h / nz,
        -w_cost * price * dt_h / 1000.0,
        -w_unsafe * dt_h / nz,
        -w_osc / nz,
    )


@njit(cache=True, inline="always", error_model="numpy")
def building_terms(
    e, z, excess, power, heat_sp, cool_sp, prev_heat, prev_cool, occupied, c_dis, c_cost,
    c_unsafe, c_osc, safe_min, safe_max, osc_tol, have_prev,
):  # fmt: skip
    """Zone ``z`` of copy ``e``: the weighted (discomfort, cost, unsafe, oscillation) terms.

    ``excess`` is K outside the comfort band, ``power`` the zone's electricity (W); the
    coefficients come from :func:`building_coefficients`. Without a previous step
    (``have_prev`` false) there is no oscillation.
    """
    dis = c_dis * excess[e, z]
    cost = c_cost * power[e, z]
    unsafe, osc = setpoint_terms(
        e, z, heat_sp, cool_sp, prev_heat, prev_cool, occupied, c_unsafe, c_osc, safe_min,
        safe_max, osc_tol, have_prev,
    )  # fmt: skip
    return dis, cost, unsafe, osc


@njit(cache=True, inline="always", error_model="numpy")
def setpoint_terms(
    e, z, heat_sp, cool_sp, prev_heat, prev_cool, occupied, c_unsafe, c_osc, safe_min,
    safe_max, osc_tol, have_prev,
):  # fmt: skip
    """Zone ``z`` of copy ``e``: the weighted (unsafe, oscillation) terms of its set-points.

    Unsafe: K of set-point outside ``[safe_min, safe_max]`` while occupied; oscillation:
    K of change beyond ``osc_tol`` since the previous step (none without one).
    """
    out = max(heat_sp[e, z] - safe_max, 0.0) + max(safe_min - cool_sp[e, z], 0.0)
    unsafe = c_unsafe * out if occupied[e, z] else 0.0
    osc = 0.0
    if have_prev:
        jump_h = max(abs(heat_sp[e, z] - prev_heat[e, z]) - osc_tol, 0.0)
        jump_c = max(abs(cool_sp[e, z] - prev_cool[e, z]) - osc_tol, 0.0)
        osc = c_osc * (jump_h + jump_c)
    return unsafe, osc


@njit(cache=True, error_model="numpy")
def building_zone_terms(
    excess, power, heat_sp, cool_sp, prev_heat, prev_cool, occupied, weights, price, dt_h,
    safe_min, safe_max, osc_tol, have_prev,
):  # fmt: skip
    """The four weighted terms of every zone, ``(4, ne, nz)``.

    Discomfort, cost, unsafe and oscillation, with ``weights`` in that order
    (``[control.reward]``); a venue sums them over zones for its reward, or keeps them
    per zone for a policy trained on each zone's own share.
    """
    ne, nz = excess.shape
    c_dis, c_cost, c_unsafe, c_osc = building_coefficients(
        weights[0], weights[1], weights[2], weights[3], price, dt_h, nz
    )
    terms = np.empty((4, ne, nz))
    for e in range(ne):
        for z in range(nz):
            terms[0, e, z], terms[1, e, z], terms[2, e, z], terms[3, e, z] = building_terms(
                e, z, excess, power, heat_sp, cool_sp, prev_heat, prev_cool, occupied, c_dis,
                c_cost, c_unsafe, c_osc, safe_min, safe_max, osc_tol, have_prev,
            )  # fmt: skip
    return terms
