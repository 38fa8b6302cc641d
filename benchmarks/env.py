"""Environment throughput: single env, native vector env (N = 64), SB3 DummyVecEnv of 64.

All three step the shipped hotel (120 rooms, 5-minute steps) with the same pre-drawn
random actions, after a warm-up; resets are timed separately. The DummyVecEnv is what
SB3 users get without a native vector env: 64 Python env objects stepped in a loop.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from stable_baselines3.common.vec_env import DummyVecEnv

from benchmarks.common import machine, report
from twin.envs.hotel import HotelEnv
from twin.envs.vector import HotelVectorEnv
from twin.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]


def timed(fn, n: int) -> float:
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return time.perf_counter() - t0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks env")
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "hotel.toml"))
    parser.add_argument("--num-envs", type=int, default=64)
    parser.add_argument("--vector-steps", type=int, default=600)
    parser.add_argument("--single-steps", type=int, default=2000)
    parser.add_argument("--dummy-steps", type=int, default=60)
    args = parser.parse_args(argv)
    scenario = load_scenario(args.scenario)
    n = args.num_envs
    rng = np.random.default_rng(0)

    single = HotelEnv(scenario)
    act_dim = single.action_space.shape[0]
    actions = rng.uniform(-1, 1, (64, n, act_dim)).astype(np.float32)
    single.reset(seed=0)
    for i in range(50):
        single.step(actions[i % 64, 0])
    t_single = timed(lambda: single.step(actions[0, 0]), args.single_steps)
    single_rate = args.single_steps / t_single

    vec = HotelVectorEnv(n, scenario)
    t0 = time.perf_counter()
    vec.reset(seed=0)
    t_vec_reset = time.perf_counter() - t0
    for i in range(50):
        vec.step(actions[i % 64])
    counter = iter(range(10**9))
    t_vec = timed(lambda: vec.step(actions[next(counter) % 64]), args.vector_steps)
    vec_rate = args.vector_steps * n / t_vec

    from twin.envs.sharded import ShardedHotelVectorEnv

    with ShardedHotelVectorEnv(n, scenario, workers=2) as sharded:
        sharded.reset(seed=0)
        for i in range(50):
            sharded.step(actions[i % 64])
        counter = iter(range(10**9))
        t_sh = timed(lambda: sharded.step(actions[next(counter) % 64]), args.vector_steps)
    sharded_rate = args.vector_steps * n / t_sh

    dummy = DummyVecEnv([lambda: HotelEnv(scenario) for _ in range(n)])
    dummy.seed(0)
    dummy.reset()
    for i in range(5):
        dummy.step(actions[i % 64])
    counter = iter(range(10**9))
    t_dummy = timed(lambda: dummy.step(actions[next(counter) % 64]), args.dummy_steps)
    dummy_rate = args.dummy_steps * n / t_dummy

    figures = {
        "benchmark": "env",
        "scenario": scenario.name,
        "num_envs": n,
        "single_env_steps_per_s": round(single_rate),
        "vector_env_steps_per_s": round(vec_rate),
        "dummy_vec_env_steps_per_s": round(dummy_rate),
        "vector_vs_dummy_ratio": round(vec_rate / dummy_rate, 2),
        "sharded_vector_env_steps_per_s": round(sharded_rate),
        "sharded_vs_dummy_ratio": round(sharded_rate / dummy_rate, 2),
        "vector_vs_single_ratio": round(vec_rate / single_rate, 2),
        "vector_reset_s": round(t_vec_reset, 3),
        "target_vector_env_steps_per_s": 100_000,
        **machine(),
    }
    rows = [
        (
            "scenario",
            scenario.name,
            f"{scenario.n_zones} zones, {scenario.simulation.step_minutes}-min steps",
        ),
        ("single HotelEnv", f"{single_rate:,.0f} steps/s", f"{args.single_steps} steps"),
        (
            f"HotelVectorEnv (N={n})",
            f"{vec_rate:,.0f} env-steps/s",
            f"{args.vector_steps} vector steps",
        ),
        (
            f"SB3 DummyVecEnv ({n} HotelEnv)",
            f"{dummy_rate:,.0f} env-steps/s",
            f"{args.dummy_steps} steps",
        ),
        (
            f"ShardedHotelVectorEnv (N={n}, 2 workers)",
            f"{sharded_rate:,.0f} env-steps/s",
            "one shard of copies per core",
        ),
        ("vector / DummyVecEnv", f"{vec_rate / dummy_rate:.1f}x", "target >= 10x"),
        ("sharded / DummyVecEnv", f"{sharded_rate / dummy_rate:.1f}x", "target >= 10x"),
        ("vector reset (all copies)", f"{t_vec_reset:.2f} s", "new weather, guests, events"),
    ]
    report("Environment throughput", rows, figures)
    return 0
