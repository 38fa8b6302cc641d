"""Replay a deployment's recorded inputs through the twin's building physics.

What the site recorded per control step (``twin deploy``'s run directory) drives the
scenario's own building, as :mod:`twin.simulate` drives it from arrays: the outdoor
temperature and irradiance measured on site (each reading stands for the step that
starts with it; facade irradiance from GHI, as the synthetic weather computes it), the
heating and cooling set-points and the light commands the devices held (read back from
the points, so rejected commands are not replayed), and the occupants' heat estimated
from presence, counts and the venue's context at the step before (the kernels use the
occupants' state at a step's start).
Missing steps (skipped, or readings lost) hold the last known input.

The thermal mass of a building in operation is not measured. As EnergyPlus does with its
warm-up days, the twin starts each zone's mass at the first measured air temperature and
runs the first day (or the whole record if shorter) until the mass temperatures repeat
from one pass to the next (:data:`WARMUP_TOLERANCE_K`, at most :data:`WARMUP_PASSES`)
before the replay that counts: with the recorded weather and occupants but under the
building's *own* control (the scenario's thermostat schedule), which ran the building
before the deployment. The rig warms its own building up the same way before it serves.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from twin.building import build_building, heat_pump_arrays
from twin.calendar import in_window, local_hours
from twin.physics.kernels import thermal_hvac_steps
from twin.physics.passes import MIN_DEADBAND_K
from twin.rundir import read_table
from twin.scenario import Scenario, load_scenario
from twin.simulate import lighting_arrays
from twin.weather import LUMINOUS_EFFICACY_LM_W, facade_irradiance

__all__ = ["WARMUP_PASSES", "WARMUP_TOLERANCE_K", "DeployRecord", "Replay", "load_deploy_record",
           "replay"]  # fmt: skip

#: Warm-up: repeat the first day until the mass temperatures change less than this (K)...
WARMUP_TOLERANCE_K = 1e-4
#: ...or this many times (heavy zones that float converge slowly: days of time constant).
WARMUP_PASSES = 200


@dataclass(frozen=True, slots=True)
class DeployRecord:
    """A deployment's series on the full grid of site steps (NaN where not recorded).

    ``(nt, nz)`` zone arrays and ``(nt,)`` site arrays; ``recorded`` marks the steps
    the deployment saw; ``times`` are the starts of the intervals.
    """

    scenario: Scenario
    zone_names: tuple[str, ...]
    times: np.ndarray
    recorded: np.ndarray
    t_air: np.ndarray
    occupied: np.ndarray
    heat_sp: np.ndarray
    cool_sp: np.ndarray
    light_lux: np.ndarray
    light_cct: np.ndarray
    occupant_heat_w: np.ndarray
    t_out: np.ndarray
    ghi: np.ndarray
    energy_kwh: np.ndarray  # meter reading at the end of each interval
    price: np.ndarray


@dataclass(frozen=True, slots=True)
class Replay:
    """The twin's answer to a deployment's inputs: ``(nt, nz)`` and ``(nt,)`` arrays."""

    air: np.ndarray
    p_hvac_el_w: np.ndarray
    p_light_w: np.ndarray
    energy_kwh: np.ndarray  # (nt,) electricity of HVAC and lighting per interval


def _zone_table(table: dict[str, np.ndarray], column: str, nz: int) -> np.ndarray:
    return np.asarray(table[column], dtype=np.float64).reshape(-1, nz)


def load_deploy_record(run: str | Path) -> DeployRecord:
    """Read a deployment's run directory onto the full grid of its site steps."""
    run = Path(run)
    scenario = load_scenario(run / "scenario.json")
    zones = read_table(run / "zones.parquet")
    series = read_table(run / "timeseries.parquet")
    inputs = read_table(run / "site_inputs.parquet")
    step = np.asarray(series["step"], dtype=np.int64)
    names = tuple(str(z) for z in zones["zone"][: len(zones["zone"]) // max(len(step), 1)])
    nz = len(names)
    dt = scenario.simulation.dt_s
    first = int(step.min())
    nt = int(step.max()) - first + 1
    row = step - first
    t0 = np.asarray(series["time"]).astype("datetime64[s]")[0] - np.int64(row[0] * dt).astype(
        "timedelta64[s]"
    )
    times = t0 + (np.arange(nt) * int(dt)).astype("timedelta64[s]")

    def grid(values: np.ndarray) -> np.ndarray:
        out = np.full((nt, *values.shape[1:]), np.nan)
        out[row] = values
        return out

    from twin.kpi import tariff_per_step

    recorded = np.zeros(nt, dtype=bool)
    recorded[row] = True
    return DeployRecord(
        scenario=scenario, zone_names=names, times=times, recorded=recorded,
        t_air=grid(_zone_table(zones, "t_air_c", nz)),
        occupied=grid(_zone_table(zones, "occupied", nz)) > 0.5,
        heat_sp=grid(_zone_table(zones, "heat_setpoint_c", nz)),
        cool_sp=grid(_zone_table(zones, "cool_setpoint_c", nz)),
        light_lux=grid(_zone_table(inputs, "light_lux", nz)),
        light_cct=grid(_zone_table(inputs, "light_cct_k", nz)),
        occupant_heat_w=grid(_zone_table(inputs, "occupant_heat_w", nz)),
        t_out=grid(np.asarray(series["t_out_c"], dtype=np.float64)),
        ghi=grid(np.asarray(series["ghi_w_m2"], dtype=np.float64)),
        energy_kwh=grid(np.asarray(series["energy_kwh"], dtype=np.float64)),
        price=tariff_per_step(scenario.tariff, local_hours(times)),
    )  # fmt: skip


def _hold(a: np.ndarray, default: np.ndarray | float) -> np.ndarray:
    """Forward-fill NaN along time (axis 0); leading NaN take ``default``."""
    out = np.array(a, dtype=np.float64)
    first = np.broadcast_to(np.asarray(default, dtype=np.float64), out.shape[1:])
    prev = np.where(np.isnan(out[0]), first, out[0])
    for t in range(out.shape[0]):
        prev = np.where(np.isnan(out[t]), prev, out[t])
        out[t] = prev
    return out


def _day_cycle(times: np.ndarray, dt: float) -> np.ndarray:
    """Rows making up one day by time of day, ending just before the record's start.

    Slot ``i`` of the day takes the first recorded row at that time of day (the nearest
    earlier slot's where the record has none): a record shorter than a day still gives
    a whole day, in the order that leads up to its first step.
    """
    per_day = int(round(86400 / dt))
    slot = ((times - times.astype("datetime64[D]")).astype("timedelta64[s]").astype(np.int64)
            // int(dt)) % per_day  # fmt: skip
    first_row = np.full(per_day, -1)
    for row in range(len(times) - 1, -1, -1):
        first_row[slot[row]] = row
    for i in range(per_day):  # fill gaps from the nearest earlier slot, cyclically
        if first_row[i] < 0:
            j = next(first_row[(i - d) % per_day] for d in range(1, per_day + 1)
                     if first_row[(i - d) % per_day] >= 0)  # fmt: skip
            first_row[i] = j
    order = (slot[0] + np.arange(per_day)) % per_day
    return first_row[order]


def replay(rec: DeployRecord) -> Replay:
    """Run the scenario's building under the recorded inputs (see the module docstring)."""
    s = rec.scenario
    b = build_building(s)
    th = s.thermostat
    nt, nz = rec.t_air.shape
    k = s.hvac.substeps
    dt = s.simulation.dt_s
    # A weather reading is taken at the end of the step it is recorded with, i.e. at the
    # start of the next one: the twin's weather stands each interval on its start value.
    t_out = _hold(rec.t_out, float(np.nanmean(rec.t_out)) if np.isfinite(rec.t_out).any() else 10.0)
    ghi = np.clip(_hold(rec.ghi, 0.0), 0.0, None)
    t_out, ghi = np.concatenate([t_out[:1], t_out[:-1]]), np.concatenate([ghi[:1], ghi[:-1]])
    heat = _hold(rec.heat_sp, th.heating_setpoint_c)
    cool = np.maximum(_hold(rec.cool_sp, th.cooling_setpoint_c), heat + MIN_DEADBAND_K)
    lux_cmd = _hold(rec.light_lux, 0.0)
    cct_cmd = _hold(rec.light_cct, th.light_cct_k)
    people = _hold(rec.occupant_heat_w, 0.0)
    people = np.concatenate([people[:1], people[:-1]])  # the state at each step's start
    facade = facade_irradiance(rec.times, ghi, s.site, dt)
    _, _, p_light, _ = lighting_arrays(b, lux_cmd, cct_cmd, ghi * LUMINOUS_EFFICACY_LM_W)
    gains = b.equipment_w[None, :] + p_light + people
    inv_h, inv_c = heat_pump_arrays(s, t_out)

    def sub(a: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(np.repeat(a, k, axis=0))

    air0 = _hold(rec.t_air, th.heating_setpoint_c)[0]
    theta_m = air0[None].copy()
    energy = np.zeros((1, nz))

    def run(n: int, record: list[np.ndarray], *inputs: np.ndarray) -> None:
        to, fa, ih, ic, g, hsp, csp = (a[:n] for a in inputs)
        thermal_hvac_steps(
            b.coef[None], b.inv_a_a[None], b.aperture[None], b.q_heat_max[None],
            b.q_cool_max[None], sub(to)[:, None], sub(fa)[:, None, :], sub(ih)[:, None],
            sub(ic)[:, None], sub(g)[None], sub(hsp)[None], sub(csp)[None], b.dt, theta_m,
            energy, *record,
        )  # fmt: skip

    cyc = _day_cycle(rec.times, dt)
    day = cyc.size
    occupied = in_window(local_hours(rec.times[cyc]), th.occupied_hours)[:, None]
    own_heat = np.broadcast_to(np.where(occupied, th.heating_setpoint_c, th.setback_heating_c),
                               (day, nz))  # fmt: skip
    own_cool = np.broadcast_to(np.where(occupied, th.cooling_setpoint_c, th.setback_cooling_c),
                               (day, nz))  # fmt: skip
    _, _, own_light, _ = lighting_arrays(
        b, np.broadcast_to(np.where(occupied, th.light_lux, 0.0), (day, nz)),
        np.full(nz, th.light_cct_k), ghi[cyc] * LUMINOUS_EFFICACY_LM_W,
    )  # fmt: skip
    warm = (t_out[cyc], facade[cyc], inv_h[cyc], inv_c[cyc],
            b.equipment_w[None, :] + own_light + people[cyc], own_heat, own_cool)  # fmt: skip
    for _ in range(WARMUP_PASSES):
        before = theta_m.copy()
        run(day, [np.empty((0, 1, nz))] * 4, *warm)
        if np.abs(theta_m - before).max() < WARMUP_TOLERANCE_K:
            break
    rec_arrays = [np.empty((nt * k, 1, nz)) for _ in range(4)]
    run(nt, rec_arrays, t_out, facade, inv_h, inv_c, gains, heat, cool)
    air, _, _, p_el = (r.reshape(nt, k, nz).mean(axis=1) for r in rec_arrays)
    energy_kwh = (p_el + p_light).sum(axis=1) * dt / 3.6e6
    return Replay(air=air, p_hvac_el_w=p_el, p_light_w=p_light, energy_kwh=energy_kwh)
