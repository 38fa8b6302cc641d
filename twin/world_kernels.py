"""The World's control step as one Numba call over all environments.

:meth:`twin.world.World.step` used to chain a dozen NumPy expressions around the
physics and guest kernels; at 64 environments of 122 zones that glue cost more than the
kernels themselves (each expression is a few microseconds of dispatch over a small
array). Here the whole step (lighting, internal gains, the 5R1C zones with HVAC, the
guests' update and the KPI accumulators) is one compiled pass: the per-zone physics
(:func:`~twin.physics.kernels.light_zone`, :func:`~twin.physics.kernels.zone_span`) is
inlined per copy, because a call between compiled functions with some twenty array
arguments costs about as much as a copy's lighting; the guests' kernel runs once over
all copies. The discrete events stay in SimPy.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from agents.kernels import ASLEEP, AWAKE, guest_step
from twin.physics.kernels import light_zone, zone_span

#: Sensible heat per person (W) awake and asleep (ISO 7730 / ASHRAE activity tables).
HEAT_AWAKE_W, HEAT_ASLEEP_W = 75.0, 60.0
#: Extra equipment (TV, chargers, kettle) while a guest is awake in the room (W).
EQUIPMENT_AWAKE_W = 60.0
#: Smallest gap between heating and cooling set-points a zone controller accepts (K).
MIN_DEADBAND_K = 0.5

# Rows of the per-environment KPI accumulator ``acc`` (see World.reset).
ACC_ENERGY_LIGHT_J, ACC_COST, ACC_PEAK_W, ACC_DISCOMFORT_KH = 0, 1, 2, 3
ACC_PPD_H, ACC_PRESENT_H, ACC_DISCLOSED_H, ACC_IN_HOUSE_H = 4, 5, 6, 7
N_ACC = 8


@njit(cache=True, error_model="numpy")
def world_step(
    hour: float,
    dt_h: float,
    substeps: int,
    heat_sp: np.ndarray,
    cool_sp: np.ndarray,
    target_lux: np.ndarray,
    cct_cmd: np.ndarray,
    outdoor_lux: np.ndarray,
    light: np.ndarray,
    equipment_w: np.ndarray,
    room_zone: np.ndarray,
    lobby_zones: np.ndarray,
    other_zones: np.ndarray,
    at_desk: np.ndarray,
    coef: np.ndarray,
    inv_a_a: np.ndarray,
    aperture: np.ndarray,
    q_heat_max: np.ndarray,
    q_cool_max: np.ndarray,
    t_out: np.ndarray,
    facade_irr: np.ndarray,
    inv_cop_heat: np.ndarray,
    inv_cop_cool: np.ndarray,
    dt_sub: float,
    theta_m: np.ndarray,
    energy_hvac: np.ndarray,
    p: np.ndarray,
    active: np.ndarray,
    routine: np.ndarray,
    prefs: np.ndarray,
    party: np.ndarray,
    noise: np.ndarray,
    state: np.ndarray,
    sat: np.ndarray,
    guest_acc: np.ndarray,
    tcl: np.ndarray,
    feedback: np.ndarray,
    ppd_now: np.ndarray,
    others_occupied: bool,
    comfort_band: np.ndarray,
    price: float,
    disclosed: np.ndarray,
    air: np.ndarray,
    op: np.ndarray,
    q_hvac: np.ndarray,
    p_hvac: np.ndarray,
    lux: np.ndarray,
    cct: np.ndarray,
    p_light: np.ndarray,
    occupied: np.ndarray,
    excess: np.ndarray,
    zone_power: np.ndarray,
    acc: np.ndarray,
) -> None:
    """Advance every environment by one control step (see :class:`twin.world.World`).

    Args:
        hour: local hour of day at the start of the step.
        dt_h: control step (h); ``substeps`` physics steps of ``dt_sub`` s make it up.
        heat_sp, cool_sp, target_lux, cct_cmd: ``(ne, nz)`` commands; ``cool_sp`` is
            raised in place to at least :data:`MIN_DEADBAND_K` above ``heat_sp``.
        outdoor_lux: ``(ne,)`` outdoor illuminance of this step (lx).
        light: ``(6, nz)`` daylight factor, fixture maximum lux, installed W, minimum
            power fraction, CCT min and max (K).
        equipment_w: ``(nz,)`` base internal gains (W).
        room_zone, lobby_zones, other_zones: zone indices of guest rooms, lobby zones
            and scheduled zones.
        at_desk: ``(ne,)`` people queueing or served at the front desk (lobby gains).
        coef ... inv_cop_cool: the physics of
            :func:`twin.physics.kernels.thermal_hvac_steps` for this step (weather
            ``(ne, ...)``); ``theta_m`` and ``energy_hvac`` ``(ne, nz)`` are updated.
        p ... ppd_now: the guests of :func:`agents.kernels.guest_step`, plus ``party``
            ``(ne, R)`` people per room and ``noise`` ``(ne, R)`` uniform draws.
        others_occupied: whether scheduled zones are in their occupied hours.
        comfort_band: occupied lower, upper, unoccupied lower, upper (deg C).
        price: electricity price of this step (per kWh).
        disclosed: ``(ne, R)`` rooms whose guest's data the policy saw this step.
        air ... zone_power: ``(ne, nz)`` outputs: step means of air and operative
            temperature, HVAC thermal and electric power (W), illuminance, CCT,
            lighting power (W), occupancy, K outside the comfort band, electric W.
        acc: ``(N_ACC, ne)`` KPI accumulators (the ``ACC_*`` rows), added to.
    """
    ne, nz = heat_sp.shape
    n_rooms = room_zone.shape[0]
    n_lobby = lobby_zones.shape[0]
    room_in = np.empty((4, ne, n_rooms))
    gains = np.empty(nz)
    rec = np.empty((4, nz))
    inv_k = 1.0 / substeps
    for e in range(ne):
        # Lighting with daylight harvesting, then internal gains (guests' previous state).
        for z in range(nz):
            cool_sp[e, z] = max(cool_sp[e, z], heat_sp[e, z] + MIN_DEADBAND_K)
            _, lux[e, z], p_light[e, z], cct[e, z] = light_zone(
                target_lux[e, z], cct_cmd[e, z], outdoor_lux[e] * light[0, z], light[1, z],
                light[2, z], light[3, z], light[4, z], light[5, z],
            )  # fmt: skip
            gains[z] = equipment_w[z] + p_light[e, z]
        for r in range(n_rooms):
            st = state[e, r]
            if st == AWAKE:
                gains[room_zone[r]] += party[e, r] * HEAT_AWAKE_W + EQUIPMENT_AWAKE_W
            elif st == ASLEEP:
                gains[room_zone[r]] += party[e, r] * HEAT_ASLEEP_W
        for i in range(n_lobby):
            gains[lobby_zones[i]] += HEAT_AWAKE_W * at_desk[e] / n_lobby
        # Zones with ideal HVAC; the step reports the mean over its substeps.
        air_e, op_e, q_e, p_e = air[e], op[e], q_hvac[e], p_hvac[e]
        for k in range(substeps):
            zone_span(
                0, nz, coef[e], inv_a_a[e], aperture[e], q_heat_max[e], q_cool_max[e], t_out[e],
                facade_irr[e], inv_cop_heat[e], inv_cop_cool[e], gains, heat_sp[e], cool_sp[e],
                dt_sub, theta_m[e], energy_hvac[e], rec[0], rec[1], rec[2], rec[3], True,
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
            for z in range(nz):
                air_e[z] *= inv_k
                op_e[z] *= inv_k
                q_e[z] *= inv_k
                p_e[z] *= inv_k
        for r in range(n_rooms):
            z = room_zone[r]
            room_in[0, e, r] = air_e[z]
            room_in[1, e, r] = op_e[z]
            room_in[2, e, r] = lux[e, z]
            room_in[3, e, r] = cct[e, z]

    guest_step(
        np.full(ne, hour), dt_h, p, active, routine, prefs, room_in[0], room_in[1],
        room_in[2], room_in[3], noise, state, sat, guest_acc, tcl, feedback, ppd_now,
    )  # fmt: skip

    # Occupancy, comfort band and the KPIs of the step.
    lo_occ, hi_occ = comfort_band[0], comfort_band[1]
    lo_free, hi_free = comfort_band[2], comfort_band[3]
    for e in range(ne):
        occ = occupied[e]
        for z in range(nz):
            occ[z] = False
        for i in range(n_lobby):
            occ[lobby_zones[i]] = True
        for i in range(other_zones.shape[0]):
            occ[other_zones[i]] = others_occupied
        present_h = 0.0
        ppd_h = 0.0
        in_house_h = 0.0
        disclosed_h = 0.0
        for r in range(n_rooms):
            st = state[e, r]
            here = st == AWAKE or st == ASLEEP
            occ[room_zone[r]] = here
            if here:
                present_h += dt_h
                ppd_h += ppd_now[e, r] * dt_h
            if active[e, r] == 1:
                in_house_h += dt_h
                if disclosed[e, r]:
                    disclosed_h += dt_h
        discomfort = 0.0
        power = 0.0
        light_w = 0.0
        for z in range(nz):
            lo = lo_occ if occ[z] else lo_free
            hi = hi_occ if occ[z] else hi_free
            to = op[e, z]
            x = max(lo - to, 0.0) + max(to - hi, 0.0)
            excess[e, z] = x
            discomfort += x
            zp = p_hvac[e, z] + p_light[e, z]
            zone_power[e, z] = zp
            power += zp
            light_w += p_light[e, z]
        acc[ACC_DISCOMFORT_KH, e] += discomfort * dt_h / nz
        acc[ACC_ENERGY_LIGHT_J, e] += light_w * dt_h * 3600.0
        acc[ACC_COST, e] += power * price * dt_h / 1000.0
        acc[ACC_PEAK_W, e] = max(acc[ACC_PEAK_W, e], power)
        acc[ACC_PPD_H, e] += ppd_h
        acc[ACC_PRESENT_H, e] += present_h
        acc[ACC_IN_HOUSE_H, e] += in_house_h
        acc[ACC_DISCLOSED_H, e] += disclosed_h
