"""The shipped hotel end to end, and the guests' update: Numba kernel versus Mesa agents.

Full run: ``scenarios/hotel.toml`` (120 rooms, 14 days of 5-minute steps) through
:func:`policies.rollout.run_episode`, i.e. env construction, reset, every step and the
KPIs, for the ``rule_based`` and ``fixed`` baselines; best of ``--repeat`` after a
warm-up run that compiles (or loads) the kernels.

Agent update: a World of the same scenario is advanced under the rule-based policy to
an evening with about 110 guests in the house. From that snapshot the per-step guest
update is applied by :func:`agents.hotel.guest_kernel.guest_step` over the slots and by Mesa's
``model.agents.do(guest_step_reference, inputs)`` (:mod:`agents.hotel.reference`), on copies of the
same state with the same inputs: the rooms' conditions at that time, uniform feedback
draws, and the hour of day advancing by one step per repetition, so repetitions cycle
through a day's mix of sleeping, awake and absent guests. Both paths are first checked
to agree over one simulated day. The kernel is also timed batched over a World of
``--batch-envs`` copies advanced the same way.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from agents.hotel.guest_kernel import guest_step
from agents.hotel.reference import guest_step_reference
from agents.hotel.slots import GuestSlots
from benchmarks.common import best_of, machine, report
from policies import make_policy
from policies.rollout import run_episode
from twin.envs.hotel import HotelEnv
from twin.scenario import load_scenario
from twin.venues.hotel.task import HotelTask
from twin.world import World

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "hotel.toml"
UPDATED = ("state", "sat", "acc", "tcl", "feedback", "ppd_now")


def full_run(policy: str, seed: int) -> dict[str, float]:
    env = HotelEnv(SCENARIO)
    return run_episode(env, make_policy(policy, env.task), seed=seed).kpis


def advanced_world(n_envs: int, steps: int, seed: int) -> World:
    """A World of the hotel after ``steps`` control steps under the rule-based policy."""
    world = World(load_scenario(SCENARIO), n_envs=n_envs)
    world.reset([seed + e for e in range(n_envs)])
    task = HotelTask(world, personal_data=True)
    policy = make_policy("rule_based", task)
    for _ in range(steps):
        obs, known = task.observe()
        action, _ = policy.predict(obs)
        world.step(task.decode(action), disclosed=known)
    return world


class Update:
    """The guest update of one World state, applied either way to a slots copy."""

    def __init__(self, world: World, n_hours: int, seed: int) -> None:
        self.world = world
        ne = world.n_envs
        rz = world.venue.room_zone
        rng = np.random.default_rng(seed)
        self.rooms = {
            "t_air": np.ascontiguousarray(world.air[:, rz]),
            "t_op": np.ascontiguousarray(world.op[:, rz]),
            "lux": np.ascontiguousarray(world.lux[:, rz]),
            "cct": np.ascontiguousarray(world.cct[:, rz]),
            "noise": rng.random((ne, world.venue.n_rooms)),
        }
        h0 = world.hours[world.t]
        self.hours = [(h0 + i * world.dt_h) % 24.0 for i in range(n_hours)]
        self.hour_arrays = [np.full(ne, h) for h in self.hours]
        self.inputs = [
            [
                {
                    "hour": h,
                    "dt_h": world.dt_h,
                    "p": world.venue.params,
                    **{key: value[e] for key, value in self.rooms.items()},
                }
                for e in range(ne)
            ]
            for h in self.hours
        ]

    def kernel(self, s: GuestSlots, reps: int) -> None:
        w, r = self.world, self.rooms
        n = len(self.hours)
        for i in range(reps):
            guest_step(
                self.hour_arrays[i % n], w.dt_h, w.venue.params, s.active, s.routine, s.prefs,
                r["t_air"], r["t_op"], r["lux"], r["cct"], r["noise"], s.state, s.sat, s.acc,
                s.tcl, s.feedback, s.ppd_now,
            )  # fmt: skip

    def mesa(self, s: GuestSlots, reps: int) -> None:
        models = self.world.venue.hotels
        saved = [m.slots for m in models]
        n = len(self.hours)
        try:
            for m in models:
                m.slots = s
            for i in range(reps):
                for m, inp in zip(models, self.inputs[i % n], strict=True):
                    m.agents.do(guest_step_reference, inp)
        finally:
            for m, old in zip(models, saved, strict=True):
                m.slots = old


def max_diff(a: GuestSlots, b: GuestSlots, mask: np.ndarray) -> float:
    worst = 0.0
    for name in UPDATED:
        x = getattr(a, name)[..., mask].astype(np.float64)
        y = getattr(b, name)[..., mask].astype(np.float64)
        d = np.where(np.isnan(x) & np.isnan(y), 0.0, np.abs(x - y))
        worst = max(worst, float(np.nan_to_num(d, nan=np.inf).max(initial=0.0)))
    return worst


def timed(fn, reps: int, repeat: int) -> float:
    """Best time per call over ``repeat`` rounds of ``reps`` calls (s)."""
    return best_of(lambda: fn(reps), repeat) / reps


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks hotel")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--advance", type=int, default=1116, help="steps before the snapshot")
    parser.add_argument("--kernel-reps", type=int, default=20_000)
    parser.add_argument("--mesa-reps", type=int, default=300)
    parser.add_argument("--batch-envs", type=int, default=64)
    parser.add_argument("--batch-reps", type=int, default=500)
    args = parser.parse_args(argv)

    # --- full runs of the shipped scenario
    t0 = time.perf_counter()
    full_run("rule_based", args.seed)  # compile or load the kernels
    t_warm = time.perf_counter() - t0
    t_rule = best_of(lambda: full_run("rule_based", args.seed), args.repeat)
    t_fixed = best_of(lambda: full_run("fixed", args.seed), args.repeat)
    n_steps = load_scenario(SCENARIO).simulation.n_steps

    # --- agent update, same state both ways
    world = advanced_world(1, args.advance, args.seed)
    snap = world.venue.slots.copy()
    in_house = int((snap.active == 1).sum())
    n_agents = sum(len(m.agents) for m in world.venue.hotels)
    assert n_agents == in_house
    day = int(round(24.0 / world.dt_h))
    upd = Update(world, day, args.seed)
    a, b = snap.copy(), snap.copy()
    upd.kernel(a, day)  # also compiles guest_step if needed
    upd.mesa(b, day)
    diff = max_diff(a, b, snap.active == 1)
    assert diff <= 1e-9, f"kernel and Mesa agents differ by {diff:.3g} after a day"
    per_kernel = timed(lambda n: upd.kernel(snap.copy(), n), args.kernel_reps, args.repeat)
    per_mesa = timed(lambda n: upd.mesa(snap.copy(), n), args.mesa_reps, args.repeat)
    rate_kernel, rate_mesa = in_house / per_kernel, in_house / per_mesa
    ratio = rate_kernel / rate_mesa

    # --- the kernel over a batch of environments
    figures_batch: dict[str, float] = {}
    rows_batch: list[tuple[str, str, str]] = []
    if args.batch_envs > 1:
        t0 = time.perf_counter()
        big = advanced_world(args.batch_envs, args.advance, args.seed)
        t_adv = time.perf_counter() - t0
        big_snap = big.venue.slots.copy()
        big_in_house = int((big_snap.active == 1).sum())
        big_upd = Update(big, day, args.seed)
        per_batch = timed(lambda n: big_upd.kernel(big_snap.copy(), n), args.batch_reps, 3)
        rate_batch = big_in_house / per_batch
        figures_batch = {
            "batch_envs": args.batch_envs,
            "batch_in_house": big_in_house,
            "numba_batch_agent_steps_per_s": round(rate_batch),
            "batch_vs_single_env_kernel": round(rate_batch / rate_kernel, 2),
        }
        rows_batch = [
            (
                f"Numba kernel, {args.batch_envs} envs",
                f"{rate_batch:,.3g} agent-steps/s",
                f"{big_in_house:,} guests, {per_batch * 1e6:,.0f} us/step, "
                f"{rate_batch / rate_kernel:.1f}x one env (World advanced in {t_adv:.1f} s)",
            )
        ]

    present = int(np.isin(snap.state, (1, 2)).sum())
    figures = {
        "benchmark": "hotel",
        "scenario": "hotel.toml",
        "n_rooms": world.venue.n_rooms,
        "n_steps": n_steps,
        "hotel_run_s": round(t_rule, 3),
        "hotel_run_fixed_s": round(t_fixed, 3),
        "hotel_run_warmup_s": round(t_warm, 3),
        "steps_per_s": round(n_steps / t_rule, 1),
        "steps_per_s_fixed": round(n_steps / t_fixed, 1),
        "in_house": in_house,
        "numba_agent_steps_per_s": round(rate_kernel),
        "mesa_agent_steps_per_s": round(rate_mesa),
        "agent_update_ratio": round(ratio, 1),
        "numba_us_per_step": round(per_kernel * 1e6, 2),
        "mesa_us_per_step": round(per_mesa * 1e6, 1),
        "max_diff_after_day": diff,
        **figures_batch,
        **machine(),
    }
    hour = world.hours[world.t]
    rows = [
        ("scenario", f"{world.venue.n_rooms} rooms x {n_steps:,} steps", "14 days of 5-min steps"),
        (
            "full run, rule_based",
            f"{t_rule:.2f} s",
            f"{n_steps / t_rule:,.0f} steps/s; warm-up run {t_warm:.2f} s",
        ),
        ("full run, fixed", f"{t_fixed:.2f} s", f"{n_steps / t_fixed:,.0f} steps/s"),
        (
            "snapshot for the guest update",
            f"{in_house} guests in house",
            f"after {args.advance} steps ({hour:05.2f} h, {present} present); "
            "hours cycle over a day",
        ),
        (
            "Numba kernel guest_step",
            f"{rate_kernel:,.3g} agent-steps/s",
            f"{per_kernel * 1e6:,.1f} us/step (all {world.venue.n_rooms} slots)",
        ),
        (
            "Mesa agents.do('step')",
            f"{rate_mesa:,.3g} agent-steps/s",
            f"{per_mesa * 1e3:,.2f} ms/step",
        ),
        ("ratio Numba / Mesa", f"{ratio:,.0f}x", "same state, same inputs"),
        *rows_batch,
        ("max |kernel - Mesa|", f"{diff:.1e}", "state, sat, acc, tcl, feedback, PPD after a day"),
    ]
    report("Hotel: full run and guest update (Numba kernel vs Mesa agents)", rows, figures)
    return 0
