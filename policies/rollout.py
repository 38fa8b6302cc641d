"""Run one policy through one episode of a venue env, optionally recording everything.

``twin run`` and ``twin evaluate`` both go through :func:`run_episode` (or its batched
twin :func:`policies.evaluation.rollout_seeds`), so a baseline and a trained model are
scored on exactly the same path. A venue whose run is many copies at once (a
neighbourhood of homes, :meth:`twin.venues.base.Venue.run_copies`) runs through
:func:`run_copies` instead: every copy under one sky, one policy over the batch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np

from policies.base import Policy
from twin.envs.core import TwinEnv
from twin.kpi import rounded
from twin.scenario import Scenario


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
        from twin.dashboard.session import FrameRecorder  # UI-free: the plan's frames

        self.env = env
        self.rows: dict[str, list[np.ndarray]] = {}
        self.frames = FrameRecorder(env.world.scenario)  # what `twin dashboard RUN_DIR` replays

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
        self.frames.add(w)

    def arrays(self) -> dict[str, np.ndarray]:
        w = self.env.world
        out = {k: np.stack(v) for k, v in self.rows.items()}
        n = len(self.rows["t_air"])
        out["times"] = w.times[:n]
        out["t_out"] = w.t_out[:n, 0]
        out.update({f"replay/{k}": v for k, v in self.frames.arrays().items()})
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


def copy_seeds(seed: int, n: int) -> list[int]:
    """The root seeds of the ``n`` copies of a run seeded ``seed`` (derived, independent)."""
    return [int(x) for x in np.random.SeedSequence(seed).generate_state(n)]


def run_copies(
    scenario: Scenario,
    make: Callable[[Any], Policy],
    seed: int,
    record: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[Episode, Policy]:
    """One run of a venue whose run is many copies: all of them, under one sky.

    The venue's :meth:`~twin.venues.base.Venue.run_copies` copies (e.g. every home of a
    neighbourhood) step together in one World with shared weather, seeded from
    :func:`copy_seeds`; ``make(task)`` builds the policy, which acts on every copy's
    observation at once. The episode's KPIs are the venue's
    :meth:`~twin.venues.base.Venue.run_kpis`, its reward and reward terms the mean
    over copies of each copy's episode total, its records every copy's occupants. When
    recording, the series are copy 0's (as in :func:`run_episode`, plus its
    observation in ``obs``), with the venue's snapshot of copy 0.
    """
    from twin.venues import venue_class
    from twin.world import World

    n = venue_class(scenario.venue).run_copies(scenario)
    world = World(scenario, n_envs=n, shared_weather=True)
    task = world.venue.task()
    policy = make(task)
    task.personal_data = policy.uses_personal_data
    world.reset(copy_seeds(seed, n))
    task.reset_reward()
    obs, known = task.observe()
    recorder = _Recorder(cast(TwinEnv, _WorldView(world))) if record else None
    seen: list[np.ndarray] = []
    total = np.zeros(n)
    terms = dict.fromkeys(task.reward_terms, 0.0)
    steps = world.n_steps
    for t in range(steps):
        action, _ = policy.predict(obs, deterministic=True)
        commands = task.decode(action)
        world.step(commands, disclosed=known)
        reward, step_terms = task.reward(commands)
        total += reward
        for key in terms:
            terms[key] += float(step_terms[key].mean())
        obs, known = task.observe()
        if recorder is not None:
            recorder.add()
            seen.append(obs[0].copy())
        if progress is not None and (t % 50 == 0 or t == steps - 1):
            progress(t + 1, steps)
    series = recorder.arrays() if recorder is not None else {}
    if seen:
        series["obs"] = np.stack(seen)
    episode = Episode(
        kpis=rounded(world.venue.run_kpis()),
        reward=float(total.mean()),
        reward_terms=terms,
        records=world.venue.run_records(),
        zone_names=world.building.zone_names,
        series=series,
    )
    return episode, policy


class _WorldView:
    """What :class:`_Recorder` reads of an env: its World."""

    def __init__(self, world: Any) -> None:
        self.world = world
