"""ISO 13790 simple hourly method (5R1C) in the standard's own terms, and its affine form.

:func:`iso13790_step` and :func:`iso13790_hvac_step` follow ISO 13790:2008 Annex C
equation by equation, with the standard's symbols as parameter names, so the model can be
compared line by line with other implementations. They accept floats or NumPy arrays.

The network is linear, so one step maps (previous mass temperature, outdoor temperature,
heat injected at the air node, heat injected at the surface/mass nodes) affinely onto the
new mass, air and surface temperatures. :func:`affine_coefficients` evaluates the
standard step on unit inputs to get those coefficients once per zone; the Numba kernel
then needs only a few multiply-adds per zone-step (see ``FIELD_NOTES.md``) while staying
exactly the standard's model (the tests check both agree).

Symbols (SI units, W, J, K, m2, s):
    H_ve: ventilation heat transfer coefficient (W/K), supply air at theta_sup.
    H_tr_is: coupling conductance between air node and central (surface) node (W/K).
    H_tr_w: transmission through windows, surface node to outdoors (W/K).
    H_tr_ms: coupling conductance between surface and mass node (W/K).
    H_tr_em: transmission through opaque elements, mass node to outdoors (W/K).
    C_m: internal heat capacity of the zone (J/K).
    A_m: effective mass area (m2); A_t: area of all surfaces facing the zone (m2).
    Phi_int, Phi_sol: internal and solar gains (W); Phi_HC_nd: heating (+) / cooling (-)
        power delivered to the air node (W).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

ArrayLike = Any  # float or np.ndarray: the functions below are pure arithmetic

#: Heat transfer coefficients of ISO 13790 (W/m2K).
H_IS = 3.45
H_MS = 9.1
#: Ratio of the area of all surfaces facing the zone to the floor area (ISO 13790 7.2.2.2).
LAMBDA_AT = 4.5
#: Volumetric heat capacity of air (J/m3K), as in ISO 13789.
RHO_C_AIR = 1200.0

#: ISO 13790 Table 12: (A_m per floor area, C_m per floor area in J/(m2 K)).
CONSTRUCTION_CLASSES: dict[str, tuple[float, float]] = {
    "very_light": (2.5, 80_000.0),
    "light": (2.5, 110_000.0),
    "medium": (2.5, 165_000.0),
    "heavy": (3.0, 260_000.0),
    "very_heavy": (3.5, 370_000.0),
}

# Order of the affine coefficients along the first axis of the coefficient array.
# Outputs: M = next mass temperature theta_m_t, A = air, S = surface (central) node.
# Inputs: m = theta_m_(t-1), e = theta_e (= theta_sup), a = heat at air node,
# s = heat shared by surface and mass nodes (0.5 Phi_int + Phi_sol).
COEF_NAMES = (
    "M_m", "M_e", "M_a", "M_s",
    "A_m", "A_e", "A_a", "A_s",
    "S_m", "S_e", "S_a", "S_s",
)  # fmt: skip
N_COEF = len(COEF_NAMES)


@dataclass(frozen=True, slots=True)
class RCParams:
    """5R1C parameters of one or many zones (floats or equal-shaped arrays)."""

    H_ve: ArrayLike
    H_tr_is: ArrayLike
    H_tr_w: ArrayLike
    H_tr_ms: ArrayLike
    H_tr_em: ArrayLike
    C_m: ArrayLike
    A_m: ArrayLike
    A_t: ArrayLike
    A_f: ArrayLike

    @property
    def time_constant_s(self) -> ArrayLike:
        """Time constant of the free-floating mass node, C_m / (H_tr_3 + H_tr_em)."""
        H_tr_1 = 1.0 / (1.0 / self.H_ve + 1.0 / self.H_tr_is)
        H_tr_2 = H_tr_1 + self.H_tr_w
        H_tr_3 = 1.0 / (1.0 / H_tr_2 + 1.0 / self.H_tr_ms)
        return self.C_m / (H_tr_3 + self.H_tr_em)


def iso13790_step(
    theta_e: ArrayLike,
    theta_sup: ArrayLike,
    Phi_int: ArrayLike,
    Phi_sol: ArrayLike,
    Phi_HC_nd: ArrayLike,
    theta_m_tp: ArrayLike,
    p: RCParams,
    dt: float = 3600.0,
) -> tuple[ArrayLike, ArrayLike, ArrayLike, ArrayLike, ArrayLike]:
    """One step of the 5R1C network, ISO 13790:2008 equations C.1-C.12.

    ``dt`` replaces the standard's 3600 s, which gives the sub-hourly variant.

    Returns:
        ``(theta_m_t, theta_m, theta_s, theta_air, theta_op)``: mass temperature at the end
        of the step, mean mass temperature over the step, surface, air and operative
        temperatures (deg C).
    """
    Phi_ia = 0.5 * Phi_int + Phi_HC_nd  # C.1
    Phi_m = p.A_m / p.A_t * (0.5 * Phi_int + Phi_sol)  # C.2
    Phi_st = (1.0 - p.A_m / p.A_t - p.H_tr_w / (H_MS * p.A_t)) * (0.5 * Phi_int + Phi_sol)  # C.3
    H_tr_1 = 1.0 / (1.0 / p.H_ve + 1.0 / p.H_tr_is)  # C.6
    H_tr_2 = H_tr_1 + p.H_tr_w  # C.7
    H_tr_3 = 1.0 / (1.0 / H_tr_2 + 1.0 / p.H_tr_ms)  # C.8
    Phi_m_tot = (
        Phi_m
        + p.H_tr_em * theta_e
        + H_tr_3 * (Phi_st + p.H_tr_w * theta_e + H_tr_1 * (Phi_ia / p.H_ve + theta_sup)) / H_tr_2
    )  # C.5
    c = p.C_m / dt
    theta_m_t = (theta_m_tp * (c - 0.5 * (H_tr_3 + p.H_tr_em)) + Phi_m_tot) / (
        c + 0.5 * (H_tr_3 + p.H_tr_em)
    )  # C.4
    theta_m = 0.5 * (theta_m_t + theta_m_tp)  # C.9
    theta_s = (
        p.H_tr_ms * theta_m + Phi_st + p.H_tr_w * theta_e + H_tr_1 * (theta_sup + Phi_ia / p.H_ve)
    ) / (p.H_tr_ms + p.H_tr_w + H_tr_1)  # C.10
    theta_air = (p.H_tr_is * theta_s + p.H_ve * theta_sup + Phi_ia) / (p.H_tr_is + p.H_ve)  # C.11
    theta_op = 0.3 * theta_air + 0.7 * theta_s  # C.12
    return theta_m_t, theta_m, theta_s, theta_air, theta_op


def iso13790_hvac_step(
    theta_e: ArrayLike,
    theta_sup: ArrayLike,
    Phi_int: ArrayLike,
    Phi_sol: ArrayLike,
    theta_m_tp: ArrayLike,
    theta_int_H_set: ArrayLike,
    theta_int_C_set: ArrayLike,
    Phi_H_max: ArrayLike,
    Phi_C_max: ArrayLike,
    p: RCParams,
    dt: float = 3600.0,
) -> tuple[ArrayLike, ArrayLike, ArrayLike, ArrayLike, ArrayLike, ArrayLike]:
    """One step with ideal heating/cooling control, ISO 13790:2008 C.4.2 (steps 1-4).

    The free-floating air temperature is computed with Phi_HC_nd = 0; if it lies outside
    the set-points, the standard's 10 W/m2 probe gives the unrestricted need, which is then
    limited to the available capacity (``Phi_C_max`` is a positive number).

    Returns:
        ``(Phi_HC_nd, theta_m_t, theta_m, theta_s, theta_air, theta_op)``.
    """
    zero = 0.0 * theta_e
    out0 = iso13790_step(theta_e, theta_sup, Phi_int, Phi_sol, zero, theta_m_tp, p, dt)
    theta_air_0 = out0[3]
    Phi_10 = 10.0 * p.A_f + zero
    out10 = iso13790_step(theta_e, theta_sup, Phi_int, Phi_sol, Phi_10, theta_m_tp, p, dt)
    theta_air_10 = out10[3]
    theta_set = np.where(theta_air_0 < theta_int_H_set, theta_int_H_set, theta_int_C_set)
    Phi_un = Phi_10 * (theta_set - theta_air_0) / (theta_air_10 - theta_air_0)
    need = (theta_air_0 < theta_int_H_set) | (theta_air_0 > theta_int_C_set)
    Phi = np.where(need, np.clip(Phi_un, -Phi_C_max, Phi_H_max), 0.0)
    out = iso13790_step(theta_e, theta_sup, Phi_int, Phi_sol, Phi, theta_m_tp, p, dt)
    return (Phi, *out)


def affine_coefficients(p: RCParams, dt: float) -> np.ndarray:
    """Coefficients of the step as an affine map, shape ``(N_COEF, *zone_shape)``.

    Obtained by evaluating :func:`iso13790_step` on unit inputs (the map has no constant
    term), so they are exactly the standard's model for this ``dt``.
    """
    shape = np.broadcast(p.H_ve, p.C_m).shape
    one, zero = np.ones(shape), np.zeros(shape)
    unit = {  # (theta_m_tp, theta_e, heat at air node, heat at surface+mass)
        "m": (one, zero, zero, zero),
        "e": (zero, one, zero, zero),
        "a": (zero, zero, one, zero),
        "s": (zero, zero, zero, one),
    }
    coef = np.empty((N_COEF, *shape))
    for j, key in enumerate("meas"):
        tm, te, ga, gs = unit[key]
        # heat at air node = Phi_HC_nd with Phi_int = 0; heat at surface/mass = Phi_sol.
        theta_m_t, _, theta_s, theta_air, _ = iso13790_step(te, te, zero, gs, ga, tm, p, dt)
        coef[0 + j] = theta_m_t
        coef[4 + j] = theta_air
        coef[8 + j] = theta_s
    return coef
