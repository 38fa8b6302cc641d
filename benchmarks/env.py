"""Environment throughput: single env, native vector env (N = 64), SB3 DummyVecEnv of 64.

All step the shipped hotel (120 rooms, 5-minute steps) with the same pre-drawn random
actions, after a warm-up. Two figures per env:

* **steps/s**: steady stepping (a stretch of ``--steps`` vector steps that crosses
  nights and days, so guests sleep, wake, check in and out), the best of
  :data:`REPEATS` runs of the same stretch from the same reset: on a shared 2-core
  machine one short run of the two-process env varied by 15 %;
* **whole episode**: one complete episode from a fresh reset, timed through its last
  step and the reset that follows it (new weather, guests and event timelines for every
  copy), so the figure carries every time of day, the hotel filling up, garbage
  collection and the reset: what a training run pays.

Envs: ``HotelEnv`` (one copy), ``HotelVectorEnv`` (64 copies in one World, one
process), ``ShardedVectorEnv`` (two shards of 32: this process and one child, one
core each) and SB3's ``DummyVecEnv`` over 64 ``HotelEnv``, which is
what SB3 users get without a native vector env. The ratios are against that baseline,
measured in the same run. The JSON's ``vector_env_steps_per_s`` is the native vector
env that meets the brief's definition best on this machine: the faster of the two.
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from stable_baselines3.common.vec_env import DummyVecEnv

from benchmarks.common import machine, report
from twin.envs.hotel import HotelEnv, HotelVectorEnv
from twin.envs.sharded import ShardedVectorEnv
from twin.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
WARMUP = 24
#: Runs of the same steady stretch per env; the fastest is reported (as ``timeit`` does).
REPEATS = 3


def timed(fn: Callable[[int], Any], n: int) -> float:
    """Wall time of ``fn(0) ... fn(n - 1)`` (s)."""
    t0 = time.perf_counter()
    for i in range(n):
        fn(i)
    return time.perf_counter() - t0


def measure_vector(
    env: Any, actions: np.ndarray, steps: int, n: int, horizon: int
) -> tuple[float, float, float]:
    """Env-steps/s steady and over a whole episode, and seconds per reset of all copies.

    The episode ends in the vector env's autoreset, inside its last step.
    """
    env.reset(seed=0)
    t0 = time.perf_counter()
    env.reset(seed=1)  # warm: kernels compiled, caches filled
    t_reset = time.perf_counter() - t0
    t = math.inf
    for _ in range(REPEATS):
        env.reset(seed=1)
        for i in range(WARMUP):
            env.step(actions[i % len(actions)])
        t = min(t, timed(lambda i: env.step(actions[i % len(actions)]), steps))
    env.reset(seed=2)
    t_episode = timed(lambda i: env.step(actions[i % len(actions)]), horizon)
    return steps * n / t, horizon * n / t_episode, t_reset


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks env")
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "hotel.toml"))
    parser.add_argument("--num-envs", type=int, default=64)
    parser.add_argument("--steps", type=int, default=576, help="vector steps timed (2 days)")
    parser.add_argument("--single-steps", type=int, default=2016)
    parser.add_argument("--dummy-steps", type=int, default=96)
    args = parser.parse_args(argv)
    scenario = load_scenario(args.scenario)
    n = args.num_envs
    horizon = scenario.simulation.n_steps
    rng = np.random.default_rng(0)

    single = HotelEnv(scenario)
    act_dim = single.task.act_size
    actions = rng.uniform(-1, 1, (64, n, act_dim)).astype(np.float32)
    single.reset(seed=0)
    t0 = time.perf_counter()
    single.reset(seed=1)
    single_reset = time.perf_counter() - t0
    t_single = math.inf
    for _ in range(REPEATS):
        single.reset(seed=1)
        for i in range(WARMUP):
            single.step(actions[i % 64, 0])
        t = timed(lambda i: single.step(actions[i % 64, 0]), args.single_steps)
        t_single = min(t_single, t)
    single_rate = args.single_steps / t_single

    def single_step(i: int) -> None:
        *_, truncated, _ = single.step(actions[i % 64, 0])
        if truncated:
            single.reset()

    single.reset(seed=2)
    single_ep = horizon / timed(single_step, horizon)

    vec_rate, vec_ep, vec_reset = measure_vector(
        HotelVectorEnv(n, scenario), actions, args.steps, n, horizon
    )
    with ShardedVectorEnv(n, scenario, workers=2) as sharded:
        sh_rate, sh_ep, sh_reset = measure_vector(sharded, actions, args.steps, n, horizon)

    dummy = DummyVecEnv([lambda: HotelEnv(scenario) for _ in range(n)])
    t_dummy = math.inf
    for _ in range(REPEATS):
        dummy.seed(0)
        dummy.reset()
        for i in range(4):
            dummy.step(actions[i % 64])
        t_dummy = min(t_dummy, timed(lambda i: dummy.step(actions[i % 64]), args.dummy_steps))
    dummy_rate = args.dummy_steps * n / t_dummy
    dummy.seed(2)
    dummy.reset()  # the episode ends in DummyVecEnv's own reset of each env
    dummy_ep = horizon * n / timed(lambda i: dummy.step(actions[i % 64]), horizon)
    best_rate, best_ep, best_name = max(
        (vec_rate, vec_ep, "HotelVectorEnv"), (sh_rate, sh_ep, "ShardedVectorEnv")
    )
    figures = {
        "benchmark": "env",
        "scenario": scenario.name,
        "num_envs": n,
        "single_env_steps_per_s": round(single_rate),
        "vector_env_steps_per_s": round(best_rate),
        "vector_env": best_name,
        "dummy_vec_env_steps_per_s": round(dummy_rate),
        "vector_vs_dummy_ratio": round(best_rate / dummy_rate, 2),
        "in_process_vector_env_steps_per_s": round(vec_rate),
        "sharded_vector_env_steps_per_s": round(sh_rate),
        "in_process_vs_dummy_ratio": round(vec_rate / dummy_rate, 2),
        "sharded_vs_dummy_ratio": round(sh_rate / dummy_rate, 2),
        "vector_vs_single_ratio": round(best_rate / single_rate, 2),
        "episode_vector_env_steps_per_s": round(best_ep),
        "episode_in_process_vector_env_steps_per_s": round(vec_ep),
        "episode_sharded_vector_env_steps_per_s": round(sh_ep),
        "episode_dummy_vec_env_steps_per_s": round(dummy_ep),
        "episode_single_env_steps_per_s": round(single_ep),
        "episode_vector_vs_dummy_ratio": round(best_ep / dummy_ep, 2),
        "vector_reset_s": round(vec_reset, 3),
        "sharded_reset_s": round(sh_reset, 3),
        "single_reset_s": round(single_reset, 4),
        "episode_steps": horizon,
        "target_vector_env_steps_per_s": 100_000,
        "steady_repeats": REPEATS,
        **machine(),
    }
    rows = [
        (
            "scenario",
            scenario.name,
            f"{scenario.n_zones} zones, {scenario.simulation.step_minutes}-min steps, "
            f"{horizon} steps/episode",
        ),
        ("single HotelEnv", f"{single_rate:,.0f} steps/s", f"whole episode {single_ep:,.0f}"),
        (
            f"HotelVectorEnv (N={n})",
            f"{vec_rate:,.0f} env-steps/s",
            f"whole episode {vec_ep:,.0f}; reset {vec_reset:.2f} s",
        ),
        (
            f"ShardedVectorEnv (N={n}, 2 processes)",
            f"{sh_rate:,.0f} env-steps/s",
            f"whole episode {sh_ep:,.0f}; reset {sh_reset:.2f} s",
        ),
        (
            f"SB3 DummyVecEnv ({n} HotelEnv)",
            f"{dummy_rate:,.0f} env-steps/s",
            f"whole episode {dummy_ep:,.0f}",
        ),
        (
            f"{best_name} / DummyVecEnv",
            f"{best_rate / dummy_rate:.1f}x",
            f"target >= 10x; whole episode {best_ep / dummy_ep:.1f}x",
        ),
        (
            f"{best_name} vs target",
            f"{best_rate / 100_000:.2f}x",
            "target 100,000 env-steps/s",
        ),
    ]
    report("Environment throughput", rows, figures)
    return 0
