"""The building's part of a control step, as passes a venue's fused step kernel calls.

A World advances every copy of its building in one compiled call per control step: the
venue's step kernel (e.g. :func:`twin.venues.hotel.kernel.hotel_step`) runs, per copy,
:func:`lighting_pass` (commands, daylight harvesting, base gains), adds its occupants'
heat to the gains, runs :func:`zone_pass` (the 5R1C zones with ideal HVAC), then its
occupant pass over every copy, and finally :func:`kpi_pass` (comfort band, energy,
cost, peak) with the occupancy it determined. The passes are inlined into the venue's
kernel, so a step costs no calls between compiled functions with dozens of arguments.

The arrays travel in small named tuples (:class:`BuildingArrays`, :class:`StepWeather`,
:class:`ZoneCommands`, :class:`ZoneState`, :class:`ZoneOutputs`) instead of dozens of
positional arguments; Numba compiles attribute access on them to plain field loads.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from twin.physics.kernels import light_zone, zone_span

#: Smallest gap between heating and cooling set-points a zone controller accepts (K).
MIN_DEADBAND_K = 0.5

# Rows of the World's per-copy building KPI accumulator ``acc`` ``(N_ACC, ne)``.
ACC_ENERGY_LIGHT_J, ACC_COST, ACC_PEAK_W, ACC_DISCOMFORT_KH = 0, 1, 2, 3
N_ACC = 4


class BuildingArrays(NamedTuple):
    """Per-zone parameters of every copy (fixed within an episode)."""

    light: np.ndarray  # (ne, 6, nz) daylight factor, max lux, installed W, min power, CCT
    equipment_w: np.ndarray  # (ne, nz) base internal gains (W)
    coef: np.ndarray  # (ne, N_COEF, nz) affine 5R1C step coefficients
    inv_a_a: np.ndarray  # (ne, nz)
    aperture: np.ndarray  # (ne, 4, nz) effective solar aperture per facade (m2)
    q_heat_max: np.ndarray  # (ne, nz) W
    q_cool_max: np.ndarray  # (ne, nz) W
    dt_sub: float  # physics step (s)
    substeps: int  # physics steps per control step


class StepWeather(NamedTuple):
    """Site inputs of one control step, per copy."""

    outdoor_lux: np.ndarray  # (ne,)
    t_out: np.ndarray  # (ne,) deg C
    facade_irr: np.ndarray  # (ne, 4) W/m2 on the N, E, S, W facades
    inv_cop_heat: np.ndarray  # (ne,)
    inv_cop_cool: np.ndarray  # (ne,)


class ZoneCommands(NamedTuple):
    """The commands in force, ``(ne, nz)`` each.

    ``cool_sp`` is raised in place to keep the deadband (:data:`MIN_DEADBAND_K`).
    """

    heat_sp: np.ndarray
    cool_sp: np.ndarray
    light_lux: np.ndarray
    light_cct: np.ndarray


class ZoneState(NamedTuple):
    """Physics state carried from step to step, ``(ne, nz)``."""

    theta_m: np.ndarray  # mass temperature (deg C)
    energy_hvac: np.ndarray  # HVAC electricity so far (J)


class ZoneOutputs(NamedTuple):
    """What a step produced per zone, ``(ne, nz)``: step means over the substeps."""

    air: np.ndarray  # air temperature (deg C)
    op: np.ndarray  # operative temperature (deg C)
    q_hvac: np.ndarray  # HVAC heat to the air (W, + heating)
    p_hvac: np.ndarray  # HVAC electricity (W)
    lux: np.ndarray  # illuminance (lx)
    cct: np.ndarray  # colour temperature seen (K)
    p_light: np.ndarray  # lighting electricity (W)
    occupied: np.ndarray  # bool: the zone counts as occupied (set by the venue)
    excess: np.ndarray  # K of operative temperature outside the comfort band
    zone_power: np.ndarray  # electricity (W)


@njit(cache=True, inline="always", error_model="numpy")
def lighting_pass(
    e: int, b: BuildingArrays, w: StepWeather, cmd: ZoneCommands, out: ZoneOutputs, gains
) -> None:
    """Copy ``e``: the deadband, lighting with daylight harvesting, and the base gains.

    ``gains`` ``(nz,)`` receives equipment plus lighting power (all lighting ends as heat);
    the venue adds its occupants before :func:`zone_pass`.
    """
    light, equipment, heat_sp, cool_sp = b.light[e], b.equipment_w[e], cmd.heat_sp, cmd.cool_sp
    for z in range(heat_sp.shape[1]):
        cool_sp[e, z] = max(cool_sp[e, z], heat_sp[e, z] + MIN_DEADBAND_K)
        _, out.lux[e, z], out.p_light[e, z], out.cct[e, z] = light_zone(
            cmd.light_lux[e, z], cmd.light_cct[e, z], w.outdoor_lux[e] * light[0, z],
            light[1, z], light[2, z], light[3, z], light[4, z], light[5, z],
        )  # fmt: skip
        gains[z] = equipment[z] + out.p_light[e, z]


@njit(cache=True, inline="always", error_model="numpy")
def zone_pass(
    e: int,
    b: BuildingArrays,
    w: StepWeather,
    cmd: ZoneCommands,
    st: ZoneState,
    out: ZoneOutputs,
    gains,
    rec,
) -> None:
    """Copy ``e``: the 5R1C zones with ideal HVAC over the substeps; step means into ``out``.

    ``rec`` ``(4, nz)`` is scratch for one substep's air, operative temperature, heat and
    electricity.
    """
    nz = gains.shape[0]
    air_e, op_e, q_e, p_e = out.air[e], out.op[e], out.q_hvac[e], out.p_hvac[e]
    substeps = b.substeps
    for k in range(substeps):
        zone_span(
            0, nz, b.coef[e], b.inv_a_a[e], b.aperture[e], b.q_heat_max[e], b.q_cool_max[e],
            w.t_out[e], w.facade_irr[e], w.inv_cop_heat[e], w.inv_cop_cool[e], gains,
            cmd.heat_sp[e], cmd.cool_sp[e], b.dt_sub, st.theta_m[e], st.energy_hvac[e],
            rec[0], rec[1], rec[2], rec[3], True,
        )  # fmt: skip
        for z in range(nz):
            if k == 0:
                air_e[z], op_e[z], q_e[z], p_e[z] = rec[0, z], rec[1, z], rec[2, z], rec[3, z]
            else:
                air_e[z] += rec[0, z]
                op_e[z] += rec[1, z]
                q_e[z] += rec[2, z]
                p_e[z] += rec[3, z]
    if substeps > 1:
        inv_k = 1.0 / substeps
        for z in range(nz):
            air_e[z] *= inv_k
            op_e[z] *= inv_k
            q_e[z] *= inv_k
            p_e[z] *= inv_k


@njit(cache=True, inline="always", error_model="numpy")
def kpi_pass(e: int, out: ZoneOutputs, band, price: float, dt_h: float, acc) -> None:
    """Copy ``e``: comfort-band excess, electricity and the building KPIs of the step.

    ``out.occupied`` must hold the venue's occupancy of the step. ``band`` is the
    occupied lower and upper, then unoccupied lower and upper bound (deg C); ``acc`` is
    the World's ``(N_ACC, ne)`` accumulator (the ``ACC_*`` rows), added to.
    """
    nz = out.op.shape[1]
    lo_occ, hi_occ, lo_free, hi_free = band[0], band[1], band[2], band[3]
    occ, op = out.occupied[e], out.op[e]
    discomfort = 0.0
    power = 0.0
    light_w = 0.0
    for z in range(nz):
        lo = lo_occ if occ[z] else lo_free
        hi = hi_occ if occ[z] else hi_free
        to = op[z]
        x = max(lo - to, 0.0) + max(to - hi, 0.0)
        out.excess[e, z] = x
        discomfort += x
        zp = out.p_hvac[e, z] + out.p_light[e, z]
        out.zone_power[e, z] = zp
        power += zp
        light_w += out.p_light[e, z]
    acc[ACC_DISCOMFORT_KH, e] += discomfort * dt_h / nz
    acc[ACC_ENERGY_LIGHT_J, e] += light_w * dt_h * 3600.0
    acc[ACC_COST, e] += power * price * dt_h / 1000.0
    acc[ACC_PEAK_W, e] = max(acc[ACC_PEAK_W, e], power)
