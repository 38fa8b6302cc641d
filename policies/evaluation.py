"""Score policies on the same held-out seeds, with 95 % confidence intervals.

Every policy, baseline or trained, runs full episodes of the native vector env (one copy
per seed, so seed ``s`` is exactly the episode ``twin run --seed s`` would produce) and
is summarised per KPI by its mean and a Student-t 95 % interval over seeds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import stats

from policies.base import Policy
from twin.envs.vector import TwinVectorEnv
from twin.scenario import Scenario
from twin.venues import venue_class


def rollout_seeds(
    scenario: Scenario, make: Any, seeds: Sequence[int], progress: Any = None
) -> list[dict[str, float]]:
    """Run one full episode per seed; ``make(task)`` builds the policy for the env's task.

    Returns one dict per seed: the episode's KPIs plus ``reward``. For a venue whose run
    is many copies (a neighbourhood), each seed is one such run
    (:func:`policies.rollout.run_copies`).
    """
    if venue_class(scenario.venue).run_copies(scenario) > 1:
        from policies.rollout import run_copies

        out = []
        for i, seed in enumerate(seeds):

            def step(done: int, total: int, i: int = i) -> None:
                if progress is not None:
                    progress((i * total + done) // len(seeds), total)

            episode, _ = run_copies(scenario, make, int(seed), progress=step)
            out.append({**episode.kpis, "reward": episode.reward})
        return out
    venv = TwinVectorEnv(len(seeds), scenario)
    policy: Policy = make(venv.task)
    venv.task.personal_data = policy.uses_personal_data
    obs, _ = venv.reset(seed=[int(s) for s in seeds])
    total = np.zeros(len(seeds))
    n = venv.world.n_steps
    for t in range(n):
        action, _ = policy.predict(obs, deterministic=True)
        obs, reward, _, truncated, info = venv.step(action)
        total += reward
        if progress is not None and t % 100 == 0:
            progress(t, n)
        if truncated.all():
            kpis = info["final_info"]["kpis"]
            return [{**kpis[i], "reward": float(total[i])} for i in range(len(seeds))]
    raise RuntimeError("episode did not end at the scenario horizon")  # pragma: no cover


def headline_kpis(scenario: Scenario) -> tuple[str, ...]:
    """The KPIs an evaluation of the scenario's venue summarises (plus the reward)."""
    return venue_class(scenario.venue).headline_kpis


def summarise(episodes: Sequence[dict[str, float]], keys: Sequence[str]) -> dict:
    """Mean and 95 % Student-t confidence interval over seeds, per KPI and for the reward."""
    out: dict[str, dict[str, float]] = {}
    n = len(episodes)
    for key in (*keys, "reward"):
        values = np.array([e[key] for e in episodes if e.get(key) is not None], dtype=float)
        if values.size == 0:
            continue
        mean = float(values.mean())
        if values.size > 1:
            half = float(
                stats.t.ppf(0.975, values.size - 1) * values.std(ddof=1) / np.sqrt(values.size)
            )
        else:
            half = float("nan")
        out[key] = {
            "mean": mean,
            "ci_low": mean - half,
            "ci_high": mean + half,
            "n": int(values.size),
        }
    out["_seeds"] = {"n": n}  # type: ignore[assignment]
    return out
