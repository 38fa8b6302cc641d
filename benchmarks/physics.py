"""Batched thermal + HVAC kernel: 10,000 zones over a year of 15-minute steps.

Zones are the shipped hotel building's rooms, lobby and restaurant tiled to 10,000 zones,
under the thermostat's daily schedule (set-points, equipment and lighting gains as
periodic 96-step rows) and a year of synthetic weather. The NumPy reference runs the same
arithmetic vectorised over zones, timed on the first weeks of the same year.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numba
import numpy as np

from benchmarks.common import best_of, machine, report
from twin.building import build_building
from twin.physics.kernels import thermal_hvac_steps
from twin.physics.reference import thermal_hvac_steps_numpy
from twin.scenario import load_scenario
from twin.simulate import heat_pump_arrays, in_hours, lighting_arrays
from twin.weather import build_weather

ROOT = Path(__file__).resolve().parents[1]


def setup(n_zones: int, n_steps: int) -> dict[str, np.ndarray | float]:
    s = load_scenario(ROOT / "scenarios" / "building.toml")
    dt = s.simulation.dt_s
    b = build_building(s)
    idx = np.arange(n_zones) % b.n_zones
    weather = build_weather(
        s.weather, s.site, s.simulation.start, n_steps, dt, np.random.default_rng(0)
    )
    per_day = int(round(86400 / dt))
    hours = np.arange(per_day) * dt / 3600
    occ = in_hours(hours, s.thermostat.occupied_hours)[:, None]
    th = s.thermostat
    target = np.where(occ, th.light_lux, 0.0) * np.ones(b.n_zones)
    mean_daylight = np.full(per_day, float(np.mean(weather.illuminance_lux)))
    _, _, p_light, _ = lighting_arrays(b, target, np.full(b.n_zones, th.light_cct_k), mean_daylight)
    gains = (b.equipment_w + p_light)[:, idx]
    sp_h = np.where(occ, th.heating_setpoint_c, th.setback_heating_c) * np.ones((1, n_zones))
    sp_c = np.where(occ, th.cooling_setpoint_c, th.setback_cooling_c) * np.ones((1, n_zones))
    inv_h, inv_c = heat_pump_arrays(s, weather.t_out)
    return {
        "coef": np.ascontiguousarray(b.coef[:, idx][None]),
        "inv_a_a": np.ascontiguousarray(b.inv_a_a[idx][None]),
        "aperture": np.ascontiguousarray(b.aperture[:, idx][None]),
        "q_heat_max": np.ascontiguousarray(b.q_heat_max[idx][None]),
        "q_cool_max": np.ascontiguousarray(b.q_cool_max[idx][None]),
        "t_out": np.ascontiguousarray(weather.t_out[:, None]),
        "facade_irr": np.ascontiguousarray(weather.facade_irr[:, None, :]),
        "inv_cop_heat": inv_h[:, None].copy(),
        "inv_cop_cool": inv_c[:, None].copy(),
        "gains": np.ascontiguousarray(gains[None]),
        "sp_heat": np.ascontiguousarray(sp_h[None]),
        "sp_cool": np.ascontiguousarray(sp_c[None]),
        "dt": dt,
    }


def run(kernel, a: dict, n_steps: int) -> tuple[np.ndarray, np.ndarray]:
    nz = a["coef"].shape[2]
    theta_m = np.full((1, nz), 20.0)
    energy = np.zeros((1, nz))
    empty = np.zeros((0, 1, nz))
    kernel(
        a["coef"], a["inv_a_a"], a["aperture"], a["q_heat_max"], a["q_cool_max"],
        a["t_out"][:n_steps], a["facade_irr"][:n_steps], a["inv_cop_heat"][:n_steps],
        a["inv_cop_cool"][:n_steps], a["gains"], a["sp_heat"], a["sp_cool"], a["dt"],
        theta_m, energy, empty, empty, empty, empty,
    )  # fmt: skip
    return theta_m, energy


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks physics")
    parser.add_argument("--zones", type=int, default=10_000)
    parser.add_argument("--steps", type=int, default=365 * 96, help="15-minute steps")
    parser.add_argument("--numpy-steps", type=int, default=2 * 7 * 96)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    a = setup(args.zones, args.steps)
    nz, nt, nt_np = args.zones, args.steps, min(args.numpy_steps, args.steps)

    run(thermal_hvac_steps, a, 4)  # compile (or load the cache) outside the timing
    threads = numba.get_num_threads()
    t_par = best_of(lambda: run(thermal_hvac_steps, a, nt), args.repeat)
    numba.set_num_threads(1)
    t_one = best_of(lambda: run(thermal_hvac_steps, a, nt), args.repeat)
    numba.set_num_threads(threads)
    t_np = best_of(lambda: run(thermal_hvac_steps_numpy, a, nt_np), args.repeat)
    # Same arithmetic: both implementations agree on the NumPy horizon.
    tm_a, e_a = run(thermal_hvac_steps, a, nt_np)
    tm_b, e_b = run(thermal_hvac_steps_numpy, a, nt_np)
    max_diff = float(np.max(np.abs(tm_a - tm_b)))
    assert max_diff < 1e-9 and np.allclose(e_a, e_b, rtol=1e-9), "kernel and reference differ"
    _, energy = run(thermal_hvac_steps, a, nt)

    zs, zs1, zsnp = nz * nt / t_par, nz * nt / t_one, nz * nt_np / t_np
    figures = {
        "benchmark": "physics",
        "n_zones": nz,
        "n_steps": nt,
        "kernel_s": round(t_par, 4),
        "zone_steps_per_s": round(zs),
        "zone_steps_per_s_1_thread": round(zs1),
        "numpy_zone_steps_per_s": round(zsnp),
        "ratio": round(zs / zsnp, 2),
        "ratio_1_thread": round(zs1 / zsnp, 2),
        "hvac_energy_mwh_per_zone_year": round(float(energy.mean()) / 3.6e9, 4),
        **machine(),
    }
    rows = [
        ("zones x steps", f"{nz:,} x {nt:,}", "one year of 15-min steps"),
        (
            f"Numba kernel, {threads} threads",
            f"{zs:,.3g} zone-steps/s",
            f"{t_par:.3f} s for the year",
        ),
        ("Numba kernel, 1 thread", f"{zs1:,.3g} zone-steps/s", ""),
        ("NumPy reference", f"{zsnp:,.3g} zone-steps/s", f"timed on {nt_np:,} steps"),
        ("ratio kernel / NumPy", f"{zs / zsnp:.1f}x", f"1 thread: {zs1 / zsnp:.1f}x"),
        ("max |kernel - NumPy|", f"{max_diff:.1e} K", "mass temperature after the NumPy horizon"),
    ]
    report("Batched 5R1C thermal + HVAC kernel", rows, figures)
    return 0
