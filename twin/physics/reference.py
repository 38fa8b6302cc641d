"""Plain NumPy references of the Numba kernels (same signatures, vectorised over zones).

They exist so the tests can check each kernel against an independent implementation and
the benchmarks can show what the kernels buy over idiomatic NumPy. They are not used on
any hot path.
"""

from __future__ import annotations

import numpy as np

from twin.physics.kernels import DAYLIGHT_CCT_K


def thermal_hvac_steps_numpy(
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
    """NumPy version of :func:`twin.physics.kernels.thermal_hvac_steps` (loop over time)."""
    M_m, M_e, M_a, M_s, A_m, A_e, A_a, A_s, S_m, S_e, S_a, S_s = coef.transpose(1, 0, 2)
    nt = t_out.shape[0]
    ng, ns = gains.shape[1], sp_heat.shape[1]
    record = rec_air.shape[0] > 0
    for t in range(nt):
        te = t_out[t][:, None]
        irr = facade_irr[t]  # (ne, 4)
        half_int = 0.5 * gains[:, t % ng, :]
        g_s = half_int + np.einsum("efz,ef->ez", aperture, irr)
        tm = theta_m.copy()
        air0 = A_m * tm + A_e * te + A_a * half_int + A_s * g_s
        qh = np.minimum(np.maximum((sp_heat[:, t % ns, :] - air0) * inv_a_a, 0.0), q_heat_max)
        qc = np.minimum(np.maximum((air0 - sp_cool[:, t % ns, :]) * inv_a_a, 0.0), q_cool_max)
        q = qh - qc
        g_a = half_int + q
        theta_m[...] = M_m * tm + M_e * te + M_a * g_a + M_s * g_s
        p_el = qh * inv_cop_heat[t][:, None] + qc * inv_cop_cool[t][:, None]
        energy_el += p_el * dt
        if record:
            air = air0 + A_a * q
            surf = S_m * tm + S_e * te + S_a * g_a + S_s * g_s
            rec_air[t] = air
            rec_op[t] = 0.3 * air + 0.7 * surf
            rec_q[t] = q
            rec_p_el[t] = p_el


def heat_pump_cop_numpy(
    t_out: np.ndarray,
    eta_heat: float,
    eta_cool: float,
    t_supply_heat: float,
    t_supply_cool: float,
    cop_min: float,
    cop_max: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Heating and cooling COP (not inverted) of the Carnot-fraction heat pump model."""
    to = np.asarray(t_out, dtype=float) + 273.15
    th, tc = t_supply_heat + 273.15, t_supply_cool + 273.15
    cop_h = np.clip(eta_heat * th / np.maximum(th - to, 5.0), cop_min, cop_max)
    cop_c = np.clip(eta_cool * tc / np.maximum(to - tc, 5.0), cop_min, cop_max)
    return cop_h, cop_c


def lighting_numpy(
    target_lux: np.ndarray,
    cct_cmd: np.ndarray,
    daylight_lux: np.ndarray,
    max_lux: np.ndarray,
    installed_w: np.ndarray,
    min_power_fraction: np.ndarray,
    cct_min: np.ndarray,
    cct_max: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """NumPy version of :func:`twin.physics.kernels.lighting_step`: (dim, lux, power, cct)."""
    d = np.clip((target_lux - daylight_lux) / max_lux, 0.0, 1.0)
    e_el = d * max_lux
    c = np.clip(cct_cmd, cct_min, cct_max)
    power = np.where(d > 0, installed_w * (min_power_fraction + (1 - min_power_fraction) * d), 0.0)
    total = e_el + daylight_lux
    with np.errstate(invalid="ignore", divide="ignore"):
        mired = (e_el * 1e6 / c + daylight_lux * 1e6 / DAYLIGHT_CCT_K) / total
        seen = np.where(total > 0, 1e6 / mired, c)
    return d, total, power, seen
