"""The store: a full store day, the shopper update Numba vs Mesa, vector env vs DummyVecEnv.

* **store day**: one episode of the shipped store (``scenarios/store.toml``: ~1,300
  shoppers, 870 one-minute steps, 07:00-21:30) under the rule-based policy, through
  ``twin/Store-v0`` as ``twin run`` runs it, after a first run that compiles and caches
  the kernels; the best of three.
* **shopper update**: a World of ``--copies`` stores advanced under the rule-based policy
  to the evening peak (18:00), then the same step's shopper update applied to copies of
  its slots by the Numba kernel (:func:`agents.store.shopper_kernel.shopper_step`, every
  slot of every copy in one call) and by Mesa (``model.agents.do(shopper_step_reference,
  ...)``: one Python agent at a time, the usual agent-based way, calling the same
  compiled PMV). Both give the same result (the maximum difference is printed). The
  headline ratio is for the batch (what the World runs); one store alone is also shown:
  its few dozen shoppers leave the kernel's fixed cost per call (about 9 us, mostly
  Numba's argument dispatch) visible.
* **vector env**: ``StoreVectorEnv`` (N copies in one World, one process) against
  SB3's ``DummyVecEnv`` over N ``StoreEnv`` (what SB3 users get without a native vector
  env), stepping the same random actions through the busy hours (from 09:00), after a
  warm-up.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
from stable_baselines3.common.vec_env import DummyVecEnv

from agents.store import reference
from agents.store.shopper_kernel import Ambience, shopper_step
from benchmarks.common import machine, report
from policies import make_policy
from policies.rollout import run_episode
from twin.envs.store import StoreEnv, StoreVectorEnv
from twin.scenario import load_scenario
from twin.world import World

SCENARIO = "store"


def store_day(seed: int) -> float:
    """Wall seconds of one rule-based store day (env, policy, KPIs)."""
    env = StoreEnv(SCENARIO)
    pol = make_policy("rule_based", env.task)
    t0 = time.perf_counter()
    run_episode(env, pol, seed)
    return time.perf_counter() - t0


def shopper_update(steps_in: int, reps: int, copies: int) -> dict[str, float]:
    """Agent-steps/s of the kernel and of the Mesa reference on the same state."""
    w = World(load_scenario(SCENARIO), n_envs=copies)
    w.reset(list(range(7, 7 + copies)))
    env_task = w.venue.task()
    pol = make_policy("rule_based", env_task)
    for _ in range(steps_in):
        obs, known = env_task.observe()
        w.step(env_task.decode(pol.predict(obs)[0]), disclosed=known)
    v = w.venue
    out = w.out
    amb = Ambience(out.air, out.op, out.lux, out.cct, v.genre,
                   v.tables.catalogue.tempo_bpm[v.genre], v.volume, v.display)  # fmt: skip
    active = int((v.slots.stage != 0).sum())

    def inputs(slots):
        return {
            "t0_s": w.now_s, "dt_h": w.dt_h, "p": v.tables.params, "beh": v.tables.behaviour,
            "geo": v.tables.geometry, "cat": v.tables.catalogue, "amb": amb, "slots": slots,
            "count": w.count.copy(), "noise": v._noise, "cursor": v._cursor.copy(),
            "disclosed": np.zeros(slots.stage.shape, bool), "ready": np.zeros_like(slots.ready),
            "n_ready": np.zeros(copies, np.int64), "sacc": v.sacc.copy(), "tacc": v.tacc.copy(),
            "visits": v.visits.copy(), "dwell_min": v.dwell_min.copy(),
        }  # fmt: skip

    def kernel_run(timing: list[float] | None = None):
        slots = v.slots.copy()
        inp = inputs(slots)
        view = slots.arrays()
        t0 = time.perf_counter()
        for _ in range(reps):
            shopper_step(
                inp["t0_s"], inp["dt_h"], inp["p"], inp["beh"], inp["geo"], inp["cat"],
                inp["amb"], view, inp["count"], inp["noise"], inp["cursor"], inp["disclosed"],
                inp["ready"], inp["n_ready"], inp["sacc"], inp["tacc"], inp["visits"],
                inp["dwell_min"],
            )  # fmt: skip
        if timing is not None:
            timing.append(time.perf_counter() - t0)
        return slots

    def mesa_run(timing: list[float] | None = None):
        slots = v.slots.copy()
        inp = inputs(slots)
        agents = [m.agents.sort("slot", ascending=True) for m in v.models]
        t0 = time.perf_counter()
        for _ in range(reps):
            reference.start_step(inp)
            for model_agents in agents:
                model_agents.do(reference.shopper_step_reference, inp)
            reference.end_step(inp)
        if timing is not None:
            timing.append(time.perf_counter() - t0)
        return slots

    def kernel_one(timing: list[float]):  # one store alone: the same update for copy 0's row only
        slots = v.slots.copy()
        inp = inputs(slots)
        one = {k: (a[:1] if isinstance(a, np.ndarray) and a.ndim and a.shape[0] == copies
                   else a) for k, a in inp.items()}  # fmt: skip
        view = slots.arrays()
        view1 = type(view)(*(f[:1] if f.shape[0] == copies else f[:, :1] for f in view))
        amb1 = type(amb)(*(f[:1] for f in amb))
        sacc, tacc = inp["sacc"][:, :1].copy(), inp["tacc"][:, :1].copy()  # copy 0 only
        t0 = time.perf_counter()
        for _ in range(reps):
            shopper_step(
                one["t0_s"], one["dt_h"], one["p"], one["beh"], one["geo"], one["cat"], amb1,
                view1, one["count"], one["noise"][:1], one["cursor"][:1], one["disclosed"],
                one["ready"], one["n_ready"], sacc, tacc, one["visits"], one["dwell_min"],
            )  # fmt: skip
        timing.append(time.perf_counter() - t0)

    a, b = kernel_run(), mesa_run()
    diff = max(
        float(np.nanmax(np.abs(getattr(a, f).astype(float) - getattr(b, f).astype(float))))
        for f in ("timer", "sat", "spend", "items", "acc", "tcl")
    )
    t_k: list[float] = []
    t_m: list[float] = []
    t_o: list[float] = []
    for _ in range(3):
        kernel_run(t_k)
        kernel_one(t_o)
    mesa_run(t_m)
    t_kernel, t_mesa, t_one = min(t_k), min(t_m), min(t_o)
    active_one = int((v.slots.stage[0] != 0).sum())
    return {
        "active": active, "kernel": active * reps / t_kernel, "mesa": active * reps / t_mesa,
        "diff": diff, "active_one": active_one, "kernel_one": active_one * reps / t_one,
    }  # fmt: skip


def vector_vs_dummy(n: int, steps: int, warmup: int) -> dict[str, float]:
    """Env-steps/s of the native vector env and of a DummyVecEnv of single envs."""
    scenario = load_scenario(SCENARIO)
    vec = StoreVectorEnv(n, scenario)
    rng = np.random.default_rng(0)
    actions = rng.uniform(-1, 1, (16, n, vec.single_action_space.shape[0])).astype(np.float32)
    vec.reset(seed=0)
    for i in range(warmup):
        vec.step(actions[i % 16])
    t0 = time.perf_counter()
    for i in range(steps):
        vec.step(actions[i % 16])
    vec_rate = steps * n / (time.perf_counter() - t0)
    dummy = DummyVecEnv([lambda: StoreEnv(scenario) for _ in range(n)])
    dummy.seed(0)
    dummy.reset()
    for i in range(warmup):
        dummy.step(actions[i % 16])
    t0 = time.perf_counter()
    for i in range(steps):
        dummy.step(actions[i % 16])
    dummy_rate = steps * n / (time.perf_counter() - t0)
    return {"vector": vec_rate, "dummy": dummy_rate}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks store")
    parser.add_argument("--num-envs", type=int, default=64)
    parser.add_argument("--steps", type=int, default=120, help="vector steps timed")
    parser.add_argument("--warmup", type=int, default=120, help="steps before timing (to 09:00)")
    parser.add_argument("--copies", type=int, default=16, help="stores in the update batch")
    args = parser.parse_args(argv)
    store_day(0)  # compile and cache
    day = min(store_day(s) for s in (1, 2, 3))
    upd = shopper_update(steps_in=660, reps=20, copies=args.copies)
    vec = vector_vs_dummy(args.num_envs, args.steps, args.warmup)
    steps = load_scenario(SCENARIO).simulation.n_steps
    ratio = upd["kernel"] / upd["mesa"]
    ratio_one = upd["kernel_one"] / upd["mesa"]
    figures = {
        "benchmark": "store",
        "store_day_s": round(day, 3),
        "store_steps_per_s": round(steps / day, 1),
        "shopper_update_ratio": round(ratio, 1),
        "shopper_update_ratio_one_store": round(ratio_one, 1),
        "update_batch_copies": args.copies,
        "numba_shopper_steps_per_s": round(upd["kernel"]),
        "mesa_shopper_steps_per_s": round(upd["mesa"]),
        "shoppers_in_batch": upd["active"],
        "shoppers_in_one_store": upd["active_one"],
        "max_diff": upd["diff"],
        "vector_env_steps_per_s": round(vec["vector"]),
        "dummy_vec_env_steps_per_s": round(vec["dummy"]),
        "vector_vs_dummy_ratio": round(vec["vector"] / vec["dummy"], 2),
        "num_envs": args.num_envs,
        **machine(),
    }
    rows = [
        ("store day (rule-based, 870 steps)", f"{day:.2f} s",
         f"{steps / day:,.0f} steps/s; target < 2 s"),
        (f"shopper update, Numba kernel ({args.copies} stores)",
         f"{upd['kernel']:.3g} shopper-steps/s", f"{upd['active']} shoppers at 18:00"),
        ("shopper update, Numba kernel (one store)", f"{upd['kernel_one']:.3g} shopper-steps/s",
         f"{upd['active_one']} shoppers"),
        ("shopper update, Mesa agents.do", f"{upd['mesa']:.3g} shopper-steps/s",
         "plain Python per agent, same compiled PMV"),
        ("ratio Numba / Mesa", f"{ratio:,.0f}x",
         f"target >= 50x; one store {ratio_one:,.0f}x; max |diff| {upd['diff']:.1e}"),
        (f"StoreVectorEnv (N={args.num_envs})", f"{vec['vector']:,.0f} env-steps/s",
         "one World, one process"),
        (f"DummyVecEnv of {args.num_envs} StoreEnv", f"{vec['dummy']:,.0f} env-steps/s",
         "SB3 without a native vector env"),
        ("ratio vector / dummy", f"{vec['vector'] / vec['dummy']:.1f}x", "target >= 3x"),
    ]  # fmt: skip
    report("Store benchmark (scenarios/store.toml)", rows, figures)
    return 0 if math.isfinite(day) else 1
