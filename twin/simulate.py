"""Run a building under its plain thermostat over the scenario horizon (``twin simulate``).

With no people in the loop the thermostat's schedule, the lighting and the weather are
known in advance, so lighting is computed for the whole horizon at once and the thermal
kernel advances the building in a few large chunks (one per progress-bar tick).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from twin.building import Building, build_building, heat_pump_arrays
from twin.calendar import in_window, local_hours
from twin.kpi import building_kpis, ppd_of, tariff_per_step
from twin.physics.kernels import lighting_step, thermal_hvac_steps
from twin.scenario import Scenario
from twin.seeding import spawn_streams
from twin.weather import Weather, build_weather

ProgressFn = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class BuildingRun:
    """Result of :func:`simulate_building`: time series ``(nt, nz)`` and KPIs."""

    scenario: Scenario
    building: Building
    weather: Weather
    occupied: np.ndarray
    sp_heat: np.ndarray
    sp_cool: np.ndarray
    air: np.ndarray
    op: np.ndarray
    q_hvac: np.ndarray
    p_hvac_el: np.ndarray
    p_light: np.ndarray
    lux: np.ndarray
    ppd: np.ndarray
    kpis: dict[str, float]


def lighting_arrays(
    b: Building, target_lux: np.ndarray, cct: np.ndarray, outdoor_lux: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Run the lighting kernel for targets shaped ``(..., nz)``: (dim, lux, power_w, cct)."""
    shape = np.broadcast_shapes(target_lux.shape, cct.shape)
    daylight = np.ascontiguousarray(
        np.broadcast_to(outdoor_lux[..., None] * b.daylight_factor, shape)
    )

    def per_zone(a: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(np.broadcast_to(a, shape), dtype=np.float64)

    outs = [np.empty(shape) for _ in range(4)]
    lighting_step(
        per_zone(target_lux),
        per_zone(cct),
        daylight,
        per_zone(b.max_lux),
        per_zone(b.installed_light_w),
        per_zone(b.min_power_fraction),
        per_zone(b.cct_min),
        per_zone(b.cct_max),
        *outs,
    )
    return outs[0], outs[1], outs[2], outs[3]


def simulate_building(
    scenario: Scenario, seed: int | None = None, progress: ProgressFn | None = None
) -> BuildingRun:
    """Simulate the scenario's building under its thermostat schedule.

    Args:
        scenario: validated scenario.
        seed: root seed; defaults to ``scenario.simulation.seed``.
        progress: called as ``progress(done_steps, total_steps)`` after each chunk.
    """
    sim = scenario.simulation
    seed = sim.seed if seed is None else seed
    rngs = spawn_streams(seed)
    nt, dt = sim.n_steps, sim.dt_s
    weather = build_weather(scenario.weather, scenario.site, sim.start, nt, dt, rngs["physics"])
    b = build_building(scenario)
    nz, k = b.n_zones, scenario.hvac.substeps
    th = scenario.thermostat

    hours = local_hours(weather.times)
    occ_t = in_window(hours, th.occupied_hours)
    occupied = np.repeat(occ_t[:, None], nz, axis=1)
    sp_heat = np.where(occupied, th.heating_setpoint_c, th.setback_heating_c)
    sp_cool = np.where(occupied, th.cooling_setpoint_c, th.setback_cooling_c)
    target = np.where(occupied, th.light_lux, 0.0)
    _, lux, p_light, _ = lighting_arrays(
        b, target, np.full(nz, th.light_cct_k), weather.illuminance_lux
    )
    gains = b.equipment_w[None, :] + p_light  # all lighting power ends up as heat
    inv_h, inv_c = heat_pump_arrays(scenario, weather.t_out)

    theta_m = np.full((1, nz), th.heating_setpoint_c)
    energy = np.zeros((1, nz))
    rec = [np.empty((nt * k, 1, nz)) for _ in range(4)]  # air, op, q, p_el per substep
    chunk = max(1, nt // 100)
    for t0 in range(0, nt, chunk):
        t1 = min(t0 + chunk, nt)
        sl = slice(t0 * k, t1 * k)

        def sub(a: np.ndarray, t0: int = t0, t1: int = t1) -> np.ndarray:
            return np.ascontiguousarray(np.repeat(a[t0:t1], k, axis=0))

        thermal_hvac_steps(
            b.coef[None],
            b.inv_a_a[None],
            b.aperture[None],
            b.q_heat_max[None],
            b.q_cool_max[None],
            sub(weather.t_out)[:, None],
            sub(weather.facade_irr)[:, None, :],
            sub(inv_h)[:, None],
            sub(inv_c)[:, None],
            sub(gains)[None],
            sub(sp_heat)[None],
            sub(sp_cool)[None],
            b.dt,
            theta_m,
            energy,
            rec[0][sl],
            rec[1][sl],
            rec[2][sl],
            rec[3][sl],
        )
        if progress is not None:
            progress(t1, nt)
    air, op, q, p_el = (r.reshape(nt, k, nz).mean(axis=1) for r in rec)
    price = tariff_per_step(scenario.tariff, hours)
    kpis = building_kpis(
        air=air,
        op=op,
        p_hvac_el=p_el,
        p_light=p_light,
        occupied=occupied,
        price=price,
        comfort=scenario.comfort,
        dt_h=dt / 3600.0,
    )
    return BuildingRun(
        scenario=scenario.with_seed(seed),
        building=b,
        weather=weather,
        occupied=occupied,
        sp_heat=sp_heat,
        sp_cool=sp_cool,
        air=air,
        op=op,
        q_hvac=q,
        p_hvac_el=p_el,
        p_light=p_light,
        lux=lux,
        ppd=ppd_of(air, op, scenario.comfort),
        kpis=kpis,
    )
