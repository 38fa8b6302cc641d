"""The shipped hotel's outputs, frozen before the World became venue-neutral.

``python -m tests.golden`` writes ``tests/data/golden/`` from the code as it is;
``tests/test_golden.py`` checks that the code still produces exactly those bytes. The
files were written once, before the refactor, and must not be regenerated to make the
test pass: a difference is either a bug or an intended change explained in its commit.

For each of two seeds: the KPIs and guest records of a full rule-based and fixed run of
``scenarios/hotel.toml`` (what ``twin run`` writes), and 300 steps of ``twin/Hotel-v0``
under seeded random actions (every observation, reward and reward term).
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "data" / "golden"
SCENARIO = ROOT / "scenarios" / "hotel.toml"
SEEDS = (0, 1)
POLICIES = ("rule_based", "fixed")
ENV_STEPS = 300


def run_outputs(seed: int, policy_name: str) -> dict:
    """KPIs and guest records of a full run (as ``twin run`` computes them)."""
    from policies import make_policy
    from policies.rollout import run_episode
    from twin.envs.hotel import HotelEnv
    from twin.scenario import load_scenario

    env = HotelEnv(load_scenario(SCENARIO))
    episode = run_episode(env, make_policy(policy_name, env.task), seed)
    return {"kpis": episode.kpis, "reward": episode.reward, "guests": episode.records}


def env_steps(seed: int) -> dict[str, np.ndarray]:
    """Observations, rewards and reward terms of ``ENV_STEPS`` random-action steps."""
    from twin.envs.hotel import HotelEnv
    from twin.scenario import load_scenario

    env = HotelEnv(load_scenario(SCENARIO))
    rng = np.random.default_rng(1000 + seed)
    obs, _ = env.reset(seed=seed)
    observations, rewards, terms = [obs], [], []
    for _ in range(ENV_STEPS):
        action = rng.uniform(-1, 1, env.action_space.shape).astype(np.float32)
        obs, reward, _, _, info = env.step(action)
        observations.append(obs)
        rewards.append(reward)
        terms.append([info["reward_terms"][k] for k in sorted(info["reward_terms"])])
    return {
        "observations": np.array(observations, dtype=np.float32),
        "rewards": np.array(rewards, dtype=np.float64),
        "reward_terms": np.array(terms, dtype=np.float64),
    }


def canonical(data: object) -> str:
    """JSON text that is the same for the same values (sorted keys, repr floats)."""
    return json.dumps(data, sort_keys=True, indent=1, default=lambda v: v.item())


def write() -> None:
    """Freeze today's outputs into ``tests/data/golden``."""
    GOLDEN.mkdir(parents=True, exist_ok=True)
    for seed in SEEDS:
        for name in POLICIES:
            text = canonical(run_outputs(seed, name)) + "\n"
            with gzip.GzipFile(GOLDEN / f"run_{name}_s{seed}.json.gz", "wb", mtime=0) as fh:
                fh.write(text.encode())
        np.savez_compressed(GOLDEN / f"env_s{seed}.npz", **env_steps(seed))


if __name__ == "__main__":
    write()
