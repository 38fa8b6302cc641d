"""A neighbourhood of 10,000 homes for a year, and the residents' update: Numba vs Mesa.

Full run: the shipped neighbourhood's stock and households (``scenarios/homes.toml``)
scaled to ``--homes`` homes and ``--days`` days at its 15-minute steps, in one World
under one sky (``shared_weather=True``), every home under its thermostat's program with
its residents (routines, comfort, overrides, lights) and trips. Reported: the reset
(drawing every home and household, Mesa agents), the stepping (home-steps per second,
the figure the issue targets) and the process's peak resident memory.

Resident update: from the World's state at the end of the run, the per-step update of
every resident is applied by :func:`agents.home.kernels.resident_update` over all homes
and by Mesa's ``model.agents.do(resident_step_reference, inputs)``
(:mod:`agents.home.reference`), on copies of the same state with the same inputs (the
zones' conditions at that time, the hour advancing by one step per repetition so a day's
mix of sleeping, awake and absent residents is cycled through). Both paths are checked
to agree first.
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import numpy as np

from agents.home.kernels import resident_update
from agents.home.reference import resident_step_reference
from agents.home.slots import ResidentSlots
from benchmarks.common import best_of, machine, report
from policies.rollout import copy_seeds
from twin.interface import Commands
from twin.scenario import load_scenario
from twin.world import World

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "homes.toml"
UPDATED = ("state", "sat", "acc", "tcl", "ppd_now", "score_now", "thermal_now", "excess_now")


class Update:
    """The residents' update of one World state, applied either way to a slots copy."""

    def __init__(self, world: World) -> None:
        self.world = w = world
        ne, nz = w.n_envs, w.nz
        self.zone = {
            "air": w.air.copy(), "op": w.op.copy(), "lux": w.lux.copy(), "cct": w.cct.copy(),
            "heat_now": w.setpoint.copy(), "cool_now": w.cool_setpoint.copy(),
        }  # fmt: skip
        self.hour0 = float(w.hours[w.t - 1])
        self.ne, self.nz = ne, nz

    def written(self) -> dict[str, np.ndarray]:
        ne, nz = self.ne, self.nz
        return {
            "ov_heat": np.full((ne, nz), np.nan), "ov_cool": np.full((ne, nz), np.nan),
            "held": np.zeros((ne, nz), np.bool_), "n_over": np.zeros((ne, nz), np.int64),
        }  # fmt: skip

    def hour(self, i: int) -> float:
        return (self.hour0 + i * self.world.dt_h) % 24.0

    def kernel(self, s: ResidentSlots, reps: int, out: dict[str, np.ndarray]) -> None:
        w, z, v = self.world, self.zone, self.world.venue
        rs = s.arrays()
        for i in range(reps):
            out["n_over"][...] = 0
            resident_update(
                0, self.ne, i, self.hour(i), w.dt_h, v.params, rs, v.living, z["air"], z["op"],
                z["lux"], z["cct"], z["heat_now"], z["cool_now"], out["ov_heat"],
                out["ov_cool"], out["held"], out["n_over"],
            )  # fmt: skip

    def mesa(self, s: ResidentSlots, reps: int, out: dict[str, np.ndarray]) -> None:
        w, v = self.world, self.world.venue
        model = v.model
        saved = model.slots
        model.slots = s
        try:
            with np.errstate(over="ignore"):  # plain-Python hashing wraps 64-bit words
                for i in range(reps):
                    out["n_over"][...] = 0
                    inputs = {"step": i, "hour": self.hour(i), "dt_h": w.dt_h, "p": v.params,
                              "living": v.living, **self.zone, **out}  # fmt: skip
                    model.agents.do(resident_step_reference, inputs)
        finally:
            model.slots = saved


def max_diff(a: ResidentSlots, b: ResidentSlots) -> float:
    worst = 0.0
    for name in UPDATED:
        x, y = getattr(a, name).astype(np.float64), getattr(b, name).astype(np.float64)
        d = np.where(np.isnan(x) & np.isnan(y), 0.0, np.abs(x - y))
        worst = max(worst, float(np.nan_to_num(d, nan=np.inf).max(initial=0.0)))
    return worst


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks homes")
    parser.add_argument("--homes", type=int, default=10_000)
    parser.add_argument("--days", type=float, default=365.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--kernel-reps", type=int, default=96)
    parser.add_argument("--mesa-reps", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    base = load_scenario(SCENARIO)
    assert base.home is not None
    s = base.model_copy(
        update={
            "simulation": base.simulation.model_copy(update={"horizon_days": args.days}),
            "home": base.home.model_copy(update={"n_homes": args.homes}),
        }
    )
    # Compile (or load) the kernels on a small neighbourhood first.
    warm = World(s, 4)
    warm.reset(copy_seeds(args.seed, 4))
    t0 = time.perf_counter()
    world = World(s, n_envs=args.homes, shared_weather=True)
    world.reset(copy_seeds(args.seed, args.homes))
    t_reset = time.perf_counter() - t0
    ne, nz, n_steps = args.homes, world.nz, world.n_steps
    nan = np.full((ne, nz), np.nan)
    first = True
    t0 = time.perf_counter()
    while not world.done:
        # Every command relinquished: the program, residents' overrides and lights decide.
        world.step(Commands(nan, nan, np.full((ne, nz), np.nan), np.full((ne, nz), np.nan)))
        if first:  # the parallel step compiles (or loads) on its first call
            t_first = time.perf_counter() - t0
            t0, first = time.perf_counter(), False
    t_steps = time.perf_counter() - t0
    rate = ne * (n_steps - 1) / t_steps
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    run = world.venue.run_kpis()

    # --- the residents' update, same state both ways
    upd = Update(world)
    snap = world.venue.slots.copy()
    a, b = snap.copy(), snap.copy()
    out_a, out_b = upd.written(), upd.written()
    upd.kernel(a, args.mesa_reps, out_a)
    upd.mesa(b, args.mesa_reps, out_b)
    diff = max_diff(a, b)
    same_overrides = all(np.array_equal(out_a[k], out_b[k], equal_nan=True) for k in out_a)
    assert diff <= 1e-9 and same_overrides, f"kernel and Mesa agents differ by {diff:.3g}"
    residents = int((snap.active == 1).sum())
    reps = args.kernel_reps
    per_kernel = best_of(lambda: upd.kernel(snap.copy(), reps, upd.written()), args.repeat) / reps
    per_mesa = best_of(lambda: upd.mesa(snap.copy(), args.mesa_reps, upd.written()), 1)
    per_mesa /= args.mesa_reps
    rate_kernel, rate_mesa = residents / per_kernel, residents / per_mesa
    ratio = rate_kernel / rate_mesa

    figures = {
        "benchmark": "homes",
        "homes": ne,
        "days": args.days,
        "n_steps": n_steps,
        "residents": residents,
        "reset_s": round(t_reset, 2),
        "first_step_s": round(t_first, 3),
        "steps_s": round(t_steps, 2),
        "home_steps_per_s": round(rate),
        "us_per_step": round(t_steps / (n_steps - 1) * 1e6, 1),
        "peak_memory_gib": round(peak_gib, 3),
        "numba_resident_steps_per_s": round(rate_kernel),
        "mesa_resident_steps_per_s": round(rate_mesa),
        "resident_update_ratio": round(ratio, 1),
        "max_diff": diff,
        "energy_mwh": round(run["energy_kwh"] / 1000.0, 1),
        "peak_kw": round(run["peak_kw"], 1),
        "overrides_per_home_week": round(run["overrides_per_home_week"], 2),
        **machine(),
    }
    rows = [
        ("neighbourhood", f"{ne:,} homes, {residents:,} residents",
         f"{args.days:g} days of {s.simulation.step_minutes}-min steps ({n_steps:,} steps)"),
        ("reset", f"{t_reset:.1f} s", "homes from the stock, households, Mesa agents"),
        ("stepping", f"{t_steps:.1f} s", f"{t_steps / (n_steps - 1) * 1e3:.2f} ms/step"),
        ("home-steps per second", f"{rate:,.3g}", "target 5e6 (a year in about 70 s)"),
        ("peak memory", f"{peak_gib:.2f} GiB", "process peak resident set (target < 4 GiB)"),
        ("Numba resident_update", f"{rate_kernel:,.3g} resident-steps/s",
         f"{per_kernel * 1e3:.2f} ms per step of all residents"),
        ("Mesa agents.do(reference)", f"{rate_mesa:,.3g} resident-steps/s",
         f"{per_mesa:.2f} s per step of all residents"),
        ("ratio Numba / Mesa", f"{ratio:,.0f}x", "same state, same inputs"),
        ("max |kernel - Mesa|", f"{diff:.1e}", f"{args.mesa_reps} steps of every resident"),
        ("neighbourhood energy", f"{run['energy_kwh'] / 1000:,.1f} MWh",
         f"peak {run['peak_kw']:,.0f} kW, "
         f"{run['overrides_per_home_week']:.2f} overrides per home-week"),
    ]  # fmt: skip
    title = "Homes: a neighbourhood for a year, and the residents' update (Numba vs Mesa)"
    report(title, rows, figures)
    return 0
