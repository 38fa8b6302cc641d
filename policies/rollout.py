"""Run one policy through one episode of a venue env, optionally recording everything.

``twin run`` and ``twin evaluate`` both go through :func:`run_episode` (or its batched
twin :func:`policies.evaluation.rollout_seeds`), so a baseline and a trained model are
scored on exactly the same path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from policies.base import Policy
from twin.envs.core import TwinEnv


@dataclass
class Episode:
    """What one episode produced: KPIs, reward, occupant records and time series.

    ``series`` (when recorded) holds the building's per-step arrays, then the venue's.
    """

    kpis: dict[str, float]
    reward: float
    reward_terms: dict[str, float]
    records: list[dict[str, Any]]
    zone_names: tuple[str, ...] = ()
    series: dict[str, np.ndarray] = field(default_factory=dict)


class _Recorder:
    """Per-step copies of the World's state for the run directory (copy 0)."""

    def __init__(self, env: TwinEnv) -> None:
        self.env = env
        self.rows: dict[str, list[np.ndarray]] = {}

    def add(self) -> None:
        w = self.env.world
        row = {
            "t_air": w.air[0].copy(),
            "t_op": w.op[0].copy(),
            "heat_setpoint": w.setpoint[0].copy(),
            "cool_setpoint": w.cool_setpoint[0].copy(),
            "lux": w.lux[0].copy(),
            "p_hvac": w.p_hvac[0].copy(),
            "p_light": w.p_light[0].copy(),
            "occupied": w.zone_occupied[0].copy(),
            "count": w.count[0].copy(),
            **w.venue.snapshot(0),
        }
        for key, value in row.items():
            self.rows.setdefault(key, []).append(value)

    def arrays(self) -> dict[str, np.ndarray]:
        w = self.env.world
        out = {k: np.stack(v) for k, v in self.rows.items()}
        n = len(self.rows["t_air"])
        out["times"] = w.times[:n]
        out["t_out"] = w.t_out[:n, 0]
        return out


def run_episode(
    env: TwinEnv,
    policy: Policy,
    seed: int,
    record: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> Episode:
    """Roll ``policy`` out for one full episode of ``env`` from ``seed``.

    The env shows consented preferences only to policies that declare
    ``uses_personal_data``; the env is switched accordingly, so a policy that does not
    use personal data is never shown any (and ``personal_data_used`` stays 0).
    """
    env.task.personal_data = policy.uses_personal_data
    obs, _ = env.reset(seed=seed)
    recorder = _Recorder(env) if record else None
    total, terms = 0.0, dict.fromkeys(env.task.reward_terms, 0.0)
    n = env.world.n_steps
    state, start = None, np.ones(1, dtype=bool)
    info: dict[str, Any] = {}
    for t in range(n):
        action, state = policy.predict(obs, state=state, episode_start=start, deterministic=True)
        start = np.zeros(1, dtype=bool)
        obs, reward, terminated, truncated, info = env.step(action)
        total += reward
        for key, value in info["reward_terms"].items():
            terms[key] += value
        if recorder is not None:
            recorder.add()
        if progress is not None and (t % 50 == 0 or t == n - 1):
            progress(t + 1, n)
        if terminated or truncated:
            break
    kpis = info.get("kpis") or env.world.kpis(0)
    return Episode(
        kpis=kpis,
        reward=float(total),
        reward_terms=terms,
        records=env.world.records(0),
        zone_names=env.world.building.zone_names,
        series=recorder.arrays() if recorder is not None else {},
    )
