"""The dashboard's backend: a live scenario under a switchable policy, or a finished run.

UI-free, so it is unit-tested without a browser and the page stays a thin view. Both
kinds answer :meth:`snapshot` with the same :class:`Snapshot`:

* :class:`LiveSession` owns one copy of a scenario (a neighbourhood of homes: all its
  copies, as ``twin run`` steps them) and a policy, and steps them on demand. The
  policy can be switched at any step; the World carries on. A one-copy World is seeded
  as ``twin run`` seeds its env, so the live run is the run ``twin run`` would write.
* :class:`ReplaySession` steps through the ``replay.npz`` frames a ``twin run``
  directory holds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from twin.dashboard.views import SERIES, Frame, Layout, build_layout, read_frame
from twin.errors import RunDirectoryError
from twin.scenario import Scenario, load_scenario

#: File of a run directory with the frames a replay shows.
REPLAY_FILE = "replay.npz"


@dataclass(slots=True)
class Snapshot:
    """What the page shows at one step.

    Attributes:
        step, n_steps: control steps done and in the horizon.
        time: local clock time of the World (ISO, minutes).
        policy: the policy acting (or that acted, in a replay).
        frame: tile temperatures, preferences and occupants now.
        history: each :data:`SERIES` entry from the first step to now, with ``hours``.
        kpis: the run's KPIs so far (live) or at its end (replay).
    """

    step: int
    n_steps: int
    time: str
    policy: str
    frame: Frame
    history: dict[str, np.ndarray]
    kpis: dict[str, float] = field(default_factory=dict)


class LiveSession:
    """A scenario running under a policy, stepped by the caller.

    Args:
        scenario: a scenario file, shipped name or validated :class:`Scenario`.
        policy: a baseline of the venue or a ``policy.zip`` (default: the venue's last
            baseline, as ``twin run``).
        seed: root seed (default: the scenario's).

    Raises:
        ScenarioError: the scenario does not load.
        PolicyError: the policy is unknown or does not fit the scenario.
    """

    replay = False

    def __init__(
        self, scenario: str | Path | Scenario, policy: str | None = None, seed: int | None = None
    ) -> None:
        from policies import baseline_names
        from policies.rollout import copy_seeds
        from twin.venues import venue_class
        from twin.world import World

        s = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        self.scenario = s
        self.seed = s.simulation.seed if seed is None else seed
        n = venue_class(s.venue).run_copies(s)
        self.world = World(s, n_envs=n, shared_weather=n > 1)
        self.task = self.world.venue.task()
        self.layout: Layout = build_layout(s)
        self.baselines = baseline_names(s.venue)
        if n > 1:
            self._seeds = copy_seeds(self.seed, n)
        else:  # as TwinEnv.reset(seed=...) draws its World's seed
            from gymnasium.utils import seeding

            rng, _ = seeding.np_random(self.seed)
            self._seeds = [int(rng.integers(0, 2**31 - 1))]
        self.set_policy(policy or self.baselines[-1])  # validated before anything runs
        self.restart()

    @property
    def policies(self) -> tuple[str, ...]:
        """The venue's baselines (a ``policy.zip`` path may be given besides)."""
        return self.baselines

    def set_policy(self, spec: str) -> None:
        """Hand control to ``spec`` from the next step on (the World carries on)."""
        from policies import make_policy

        self.policy = make_policy(spec, self.task)
        self.policy_spec = spec
        self.task.personal_data = self.policy.uses_personal_data
        self._state: Any = None
        self._start = np.ones(self.world.n_envs, dtype=bool)
        if getattr(self, "_obs", None) is not None:  # the new policy sees what it may see
            self._obs, self._known = self.task.observe()

    def restart(self) -> None:
        """Back to the start of the scenario under the current policy."""
        self.world.reset(self._seeds)
        self.task.reset_reward()
        self._obs, self._known = self.task.observe()
        self._state, self._start = None, np.ones(self.world.n_envs, dtype=bool)
        self._history: dict[str, list[float]] = {k: [] for k in ("hours", *SERIES)}
        self._frame = read_frame(self.world, self.layout)

    @property
    def done(self) -> bool:
        """Whether the horizon has been reached."""
        return self.world.done

    def step(self, n: int = 1) -> int:
        """Advance up to ``n`` control steps (fewer at the horizon); the steps taken."""
        w = self.world
        taken = 0
        while taken < n and not w.done:
            action, self._state = self.policy.predict(
                self._obs, state=self._state, episode_start=self._start, deterministic=True
            )
            self._start = np.zeros(w.n_envs, dtype=bool)
            commands = self.task.decode(np.asarray(action).reshape(w.n_envs, -1))
            w.step(commands, disclosed=self._known)
            self.task.reward(commands)  # keeps what the reward remembers between steps
            self._obs, self._known = self.task.observe()
            self._frame = read_frame(w, self.layout)
            self._history["hours"].append(w.t * w.dt_h)
            for key in SERIES:
                self._history[key].append(self._frame.series[key])
            taken += 1
        return taken

    def kpis(self) -> dict[str, float]:
        """The run's KPIs so far (a neighbourhood's over all homes)."""
        from twin.kpi import rounded

        if self.world.t == 0:
            return {}
        return rounded(self.world.venue.run_kpis())

    def snapshot(self) -> Snapshot:
        """What the page shows now."""
        w = self.world
        when = w.times[min(w.t, len(w.times) - 1)]
        return Snapshot(
            step=w.t, n_steps=w.n_steps, time=str(np.datetime64(when, "m")),
            policy=self.policy.name, frame=self._frame,
            history={k: np.asarray(v) for k, v in self._history.items()}, kpis=self.kpis(),
        )  # fmt: skip


class FrameRecorder:
    """Collects a frame per step of a run, for the run directory's ``replay.npz``.

    Temperatures are kept as float32 and positions and satisfaction as float16 (the
    plan needs no more), so a long run stays small.
    """

    def __init__(self, scenario: Scenario) -> None:
        self.layout = build_layout(scenario)
        self.frames: list[Frame] = []

    def add(self, world: Any) -> None:
        """Record ``world`` after a step."""
        self.frames.append(read_frame(world, self.layout))

    def arrays(self) -> dict[str, np.ndarray]:
        """The frames stacked by field (``series_<name>`` for each :data:`SERIES`)."""
        f = self.frames
        out: dict[str, np.ndarray] = {
            "temp": np.array([x.temp for x in f], np.float32),
            "pref": np.array([x.pref for x in f], np.float32),
            "occ_xy": np.array([x.occ_xy for x in f], np.float16),
            "occ_sat": np.array([x.occ_sat for x in f], np.float16),
        }
        for key in SERIES:
            out[f"series_{key}"] = np.array([x.series[key] for x in f], np.float32)
        return out


def write_replay(path: Path, arrays: dict[str, np.ndarray], times: np.ndarray) -> None:
    """Write recorded frames and their clock times as a compressed ``.npz``."""
    np.savez_compressed(path, times=times.astype("datetime64[m]"), **arrays)  # type: ignore[arg-type]


class ReplaySession:
    """Steps through a finished ``twin run`` directory's recorded frames.

    Raises:
        RunDirectoryError: ``run_dir`` is not a run directory or lacks its frames.
    """

    replay = True
    policies: tuple[str, ...] = ()

    def __init__(self, run_dir: str | Path) -> None:
        d = Path(run_dir)
        for name in ("scenario.json", "kpis.json", REPLAY_FILE):
            if not (d / name).is_file():
                why = (
                    "written by `twin run`; rerun it to replay" if name == REPLAY_FILE
                    else "not a `twin run` directory"
                )  # fmt: skip
                raise RunDirectoryError(f"{d}: no {name} ({why})")
        self.run_dir = d
        self.scenario = load_scenario(d / "scenario.json")
        self.layout = build_layout(self.scenario)
        with np.load(d / REPLAY_FILE) as z:
            self.data = {k: z[k] for k in z.files}
        if self.data["temp"].shape[1:] != (self.layout.n_tiles,):
            raise RunDirectoryError(f"{d}: {REPLAY_FILE} does not match its scenario.json")
        self.final_kpis = json.loads((d / "kpis.json").read_text())
        meta = d / "run.json"
        self.policy_spec = (
            json.loads(meta.read_text()).get("policy", "?") if meta.is_file() else "?"
        )
        self.n_steps = len(self.data["temp"])
        self.dt_h = self.scenario.simulation.dt_s / 3600.0
        self.t = 0

    @property
    def done(self) -> bool:
        """Whether the last recorded step is shown."""
        return self.t >= self.n_steps

    def restart(self) -> None:
        """Back to the start of the run."""
        self.t = 0

    def step(self, n: int = 1) -> int:
        """Show up to ``n`` further steps; the steps taken."""
        taken = min(n, self.n_steps - self.t)
        self.t += taken
        return taken

    def snapshot(self) -> Snapshot:
        """The recorded frame after step ``t`` (the first frame at ``t = 0``)."""
        d, i = self.data, max(self.t - 1, 0)
        frame = Frame(
            d["temp"][i].astype(np.float64), d["pref"][i].astype(np.float64),
            d["occ_xy"][i].astype(np.float64), d["occ_sat"][i].astype(np.float64),
            {k: float(d[f"series_{k}"][i]) for k in SERIES},
        )  # fmt: skip
        history = {"hours": np.arange(1, self.t + 1) * self.dt_h}
        history.update({k: d[f"series_{k}"][: self.t].astype(np.float64) for k in SERIES})
        when = d["times"][0] + np.timedelta64(int(round(self.t * self.dt_h * 60)), "m")
        return Snapshot(
            step=self.t, n_steps=self.n_steps, time=str(when), policy=self.policy_spec,
            frame=frame, history=history,
            kpis=self.final_kpis if self.done else {},
        )  # fmt: skip


def open_session(
    target: str | Path, policy: str | None = None, seed: int | None = None
) -> LiveSession | ReplaySession:
    """A replay when ``target`` is a directory, else a live run of the scenario it names."""
    if Path(target).is_dir():
        if policy is not None:
            raise RunDirectoryError(f"{target}: a replay shows its own policy; drop --policy")
        return ReplaySession(target)
    return LiveSession(target, policy, seed)
