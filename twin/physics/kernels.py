"""Numba kernels of the building physics: 5R1C zones with ideal HVAC, heat pump, lighting.

All kernels are pure ``@njit`` functions over float64 struct-of-arrays. Zone arrays are
shaped ``(n_envs, n_zones)`` so one call advances many zones of many environments;
parameters arrive as arrays, never as objects or globals, and nothing here draws random
numbers (noise comes in as arrays). Plain NumPy equivalents live in
:mod:`twin.physics.reference`.

Loop order follows ``FIELD_NOTES.md``: zones are split into blocks that run in parallel,
and inside a block time is the outer loop and zones the inner one, so LLVM vectorises
across zones and a block's parameters stay in cache for the whole horizon.

Every kernel of the twin compiles with ``error_model="numpy"``: a division by zero gives
inf or NaN as in NumPy instead of raising. Numba's default Python model puts a zero
check with a branch to an exception before every division, and that branch alone keeps
LLVM from vectorising a loop that divides (valid inputs never divide by zero here).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from twin.physics.network import N_COEF

__all__ = [
    "BLOCK",
    "N_COEF",
    "heat_pump_inv_cop",
    "light_zone",
    "lighting_step",
    "thermal_hvac_steps",
    "zone_span",
]

#: Zones per parallel work item: small enough that a block's parameters stay in L2.
BLOCK = 256
#: Daylight is taken as this correlated colour temperature (K) when mixing with electric light.
DAYLIGHT_CCT_K = 6500.0

# Indices into the affine coefficient array (see twin.physics.network.COEF_NAMES).
_M_M, _M_E, _M_A, _M_S = 0, 1, 2, 3
_A_M, _A_E, _A_A, _A_S = 4, 5, 6, 7
_S_M, _S_E, _S_A, _S_S = 8, 9, 10, 11


def _thermal_hvac_steps(
    coef: np.ndarray,
    inv_a_a: np.ndarray,
    aperture: np.ndarray,
    q_heat_max: np.ndarray,
    q_cool_max: np.ndarray,
    t_out: np.ndarray,
    facade_irr: np.ndarray,
    inv_cop_heat: np.ndarray,
    inv_cop_cool: np.ndarray,
    gains: np.ndarray,
    sp_heat: np.ndarray,
    sp_cool: np.ndarray,
    dt: float,
    theta_m: np.ndarray,
    energy_el: np.ndarray,
    rec_air: np.ndarray,
    rec_op: np.ndarray,
    rec_q: np.ndarray,
    rec_p_el: np.ndarray,
) -> None:
    """Advance 5R1C zones with ideal, capacity-limited heating/cooling by ``nt`` steps.

    The HVAC delivers exactly the power that brings the air temperature to the nearest
    set-point (ISO 13790 C.4.2), limited to the zone's capacity; electric power is the
    thermal power divided by the heat pump COP of that step.

    Args:
        coef: ``(ne, N_COEF, nz)`` affine step coefficients from
            :func:`twin.physics.network.affine_coefficients`.
        inv_a_a: ``(ne, nz)`` 1 / (air temperature rise per W at the air node).
        aperture: ``(ne, 4, nz)`` effective solar aperture per facade N, E, S, W (m2).
        q_heat_max, q_cool_max: ``(ne, nz)`` thermal capacities (W, both positive).
        t_out: ``(nt, ne)`` outdoor temperature (deg C).
        facade_irr: ``(nt, ne, 4)`` irradiance on the facades N, E, S, W (W/m2).
        inv_cop_heat, inv_cop_cool: ``(nt, ne)`` 1/COP of the heat pump.
        gains: ``(ne, ng, nz)`` internal gains (W); step ``t`` uses row ``t % ng`` (a
            periodic schedule, or ``ng = 1`` for gains held over the call).
        sp_heat, sp_cool: ``(ne, ns, nz)`` air set-points (deg C), row ``t % ns``.
        dt: step (s) that ``coef`` was computed for.
        theta_m: ``(ne, nz)`` mass temperatures, updated in place.
        energy_el: ``(ne, nz)`` electric energy accumulator (J), added to in place.
        rec_air, rec_op, rec_q, rec_p_el: ``(nt, ne, nz)`` records of air and operative
            temperature, thermal HVAC power (W, heating positive) and electric power (W);
            pass arrays with a first dimension of 0 to record nothing.
    """
    ne, nz = theta_m.shape
    nt = t_out.shape[0]
    ng = gains.shape[1]
    ns = sp_heat.shape[1]
    record = rec_air.shape[0] > 0
    nb = (nz + BLOCK - 1) // BLOCK
    for job in prange(ne * nb):
        e = job // nb
        z0 = (job % nb) * BLOCK
        z1 = min(z0 + BLOCK, nz)
        # 1-D views per environment: plain unit-stride indexing lets LLVM vectorise.
        c = coef[e]
        inv = inv_a_a[e]
        ap = aperture[e]
        qhm = q_heat_max[e]
        qcm = q_cool_max[e]
        tm_e = theta_m[e]
        en = energy_el[e]
        for t in range(nt):
            te = t_out[t, e]
            irr = facade_irr[t, e]
            ich = inv_cop_heat[t, e]
            icc = inv_cop_cool[t, e]
            g_row = gains[e, t % ng]
            sh = sp_heat[e, t % ns]
            sc = sp_cool[e, t % ns]
            if record:
                zone_span(
                    z0, z1, c, inv, ap, qhm, qcm, te, irr, ich, icc, g_row, sh, sc, dt, tm_e, en,
                    rec_air[t, e], rec_op[t, e], rec_q[t, e], rec_p_el[t, e], True,
                )  # fmt: skip
            else:
                zone_span(
                    z0, z1, c, inv, ap, qhm, qcm, te, irr, ich, icc, g_row, sh, sc, dt, tm_e, en,
                    tm_e, tm_e, tm_e, tm_e, False,
                )  # fmt: skip


#: Parallel over zone blocks: for long horizons or many zones (the benchmark, big batches).
thermal_hvac_steps = njit(cache=True, parallel=True)(_thermal_hvac_steps)


@njit(cache=True, inline="always", error_model="numpy")
def zone_span(
    z0, z1, c, inv, ap, qhm, qcm, te, irr, ich, icc, g_row, sh, sc, dt, tm_e, en,
    r_air, r_op, r_q, r_p, record,
):  # fmt: skip
    """Advance zones ``z0:z1`` of one environment by one step (see thermal_hvac_steps)."""
    i_n, i_e, i_s, i_w = irr[0], irr[1], irr[2], irr[3]
    # Unsigned indices: Numba then emits no negative-index wraparound, which would
    # otherwise stop LLVM from vectorising this loop (measured 4x).
    for z in range(np.uint64(z0), np.uint64(z1)):
        half_int = 0.5 * g_row[z]
        g_s = half_int + ap[0, z] * i_n + ap[1, z] * i_e + ap[2, z] * i_s + ap[3, z] * i_w
        tm = tm_e[z]
        air0 = c[_A_M, z] * tm + c[_A_E, z] * te + c[_A_A, z] * half_int + c[_A_S, z] * g_s
        qh = min(max((sh[z] - air0) * inv[z], 0.0), qhm[z])
        qc = min(max((air0 - sc[z]) * inv[z], 0.0), qcm[z])
        q = qh - qc
        g_a = half_int + q
        tm_e[z] = c[_M_M, z] * tm + c[_M_E, z] * te + c[_M_A, z] * g_a + c[_M_S, z] * g_s
        p_el = qh * ich + qc * icc
        en[z] += p_el * dt
        if record:
            air = air0 + c[_A_A, z] * q
            surf = c[_S_M, z] * tm + c[_S_E, z] * te + c[_S_A, z] * g_a + c[_S_S, z] * g_s
            r_air[z] = air
            r_op[z] = 0.3 * air + 0.7 * surf
            r_q[z] = q
            r_p[z] = p_el


@njit(cache=True, error_model="numpy")
def heat_pump_inv_cop(
    t_out: np.ndarray,
    eta_heat: float,
    eta_cool: float,
    t_supply_heat: float,
    t_supply_cool: float,
    cop_min: float,
    cop_max: float,
    inv_cop_heat: np.ndarray,
    inv_cop_cool: np.ndarray,
) -> None:
    """1/COP of an air-source heat pump as a fraction of the Carnot COP.

    Heating: ``COP = eta_heat * T_supply / (T_supply - T_out)``; cooling:
    ``COP = eta_cool * T_supply_cool / (T_out - T_supply_cool)`` (kelvin). The lift is
    floored at 5 K and the COP clamped to ``[cop_min, cop_max]``, so the heat pump
    degrades smoothly on cold (heating) and hot (cooling) days.
    """
    flat_t = t_out.ravel()
    flat_h = inv_cop_heat.ravel()
    flat_c = inv_cop_cool.ravel()
    th = t_supply_heat + 273.15
    tc = t_supply_cool + 273.15
    for i in range(flat_t.size):
        to = flat_t[i] + 273.15
        cop_h = eta_heat * th / max(th - to, 5.0)
        cop_c = eta_cool * tc / max(to - tc, 5.0)
        flat_h[i] = 1.0 / min(max(cop_h, cop_min), cop_max)
        flat_c[i] = 1.0 / min(max(cop_c, cop_min), cop_max)


@njit(cache=True, inline="always", error_model="numpy")
def light_zone(
    target: float,
    cct_cmd: float,
    daylight: float,
    max_lux: float,
    installed_w: float,
    min_power_fraction: float,
    cct_min: float,
    cct_max: float,
) -> tuple[float, float, float, float]:
    """One zone of :func:`lighting_step`: ``(dim, lux, power_w, cct)``.

    Branch-free so loops over zones vectorise. The seen CCT mixes in mired space:
    ``1e6 / ((e_el 1e6 / c + day 1e6 / 6500) / total) = total c 6500 / (6500 e_el + c day)``.
    """
    d = min(max((target - daylight) / max_lux, 0.0), 1.0)
    e_el = d * max_lux
    c = min(max(cct_cmd, cct_min), cct_max)
    total = e_el + daylight
    on = installed_w * (min_power_fraction + (1.0 - min_power_fraction) * d)
    den = DAYLIGHT_CCT_K * e_el + c * daylight
    mixed = total * c * DAYLIGHT_CCT_K / (den if den > 0.0 else 1.0)
    return d, total, on if d > 0.0 else 0.0, mixed if den > 0.0 else c


@njit(cache=True, error_model="numpy")
def lighting_step(
    target_lux: np.ndarray,
    cct_cmd: np.ndarray,
    daylight_lux: np.ndarray,
    max_lux: np.ndarray,
    installed_w: np.ndarray,
    min_power_fraction: np.ndarray,
    cct_min: np.ndarray,
    cct_max: np.ndarray,
    dim: np.ndarray,
    lux: np.ndarray,
    power_w: np.ndarray,
    cct: np.ndarray,
) -> None:
    """Daylight-harvesting dimmable, tunable-white lighting for many zones.

    The fixture tops daylight up to ``target_lux``: dimming ``d = clip((target - daylight)
    / max_lux, 0, 1)``; electric power is ``installed_w * (f_min + (1 - f_min) d)`` when
    on (driver standby floor ``f_min``) and 0 when off. Colour temperature is clamped to
    the fixture's range; the CCT a person sees mixes electric light and daylight (taken
    as 6500 K) in mired space, weighted by illuminance. All arrays share one shape;
    outputs ``dim``, ``lux``, ``power_w``, ``cct`` are written in place.
    """
    n = target_lux.size
    t_f = target_lux.ravel()
    c_f = cct_cmd.ravel()
    d_f = daylight_lux.ravel()
    mx = max_lux.ravel()
    inst = installed_w.ravel()
    fmin = min_power_fraction.ravel()
    cmin = cct_min.ravel()
    cmax = cct_max.ravel()
    dim_o = dim.ravel()
    lux_o = lux.ravel()
    pw_o = power_w.ravel()
    cct_o = cct.ravel()
    for i in range(np.uint64(0), np.uint64(n)):
        dim_o[i], lux_o[i], pw_o[i], cct_o[i] = light_zone(
            t_f[i], c_f[i], d_f[i], mx[i], inst[i], fmin[i], cmin[i], cmax[i]
        )
