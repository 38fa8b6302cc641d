"""Run a tuning run into its directory: trials as ``twin train`` runs, ASHA, resumable.

A tune directory::

    spec.json              the tuning run (written first; a rerun must ask the same)
    trials/t000/ ...       one ``twin train`` run directory per trial (policy.zip,
                           evaluations.json, checkpoints, ...) plus trial.json when finished
    summary.parquet, .csv  per trial: its settings, seed, best validation reward, steps
                           trained, whether the scheduler stopped it, error
    tune.json              provenance: backend, trials run and reused, wall time
    ray/                   Ray Tune's own experiment files (``--backend ray`` only)

Each trial reports its validation reward (``TrainConfig.eval_every``, on the validation
seeds) to an ASHA scheduler, which stops trials that trail the others at each rung
(``grace_period * reduction_factor**k`` steps). On Ray this is Ray Tune's
``ASHAScheduler`` with trials in parallel; locally the trials run one after another and
the same rule compares each trial with the trials before it. A stopped trial still
exports its best validated policy, so ``twin evaluate`` works on every trial's
``policy.zip``. Rerunning finishes what is missing: a trial with ``trial.json`` is never
run again, an interrupted one continues from its last checkpoint.
"""

from __future__ import annotations

import json
import platform
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from twin.errors import RunDirectoryError, TwinError
from twin.rundir import atomic_write, open_spec_dir
from twin.tune.spec import TuneSpec

__all__ = ["TuneOutcome", "run_tune"]

TRIAL_FILE = "trial.json"
Backend = Literal["local", "ray"]


@dataclass(frozen=True)
class TuneOutcome:
    """What a run of a tuning run did."""

    out: Path
    trials: int
    computed: int
    reused: int
    stopped: int
    failed: int
    rows: list[dict[str, Any]]


def milestones(spec: TuneSpec) -> list[int]:
    """ASHA's rungs in steps: grace, grace*rf, ... below the budget (as Ray's ASHA)."""
    out, m = [], spec.grace
    while m < spec.steps:
        out.append(m)
        m *= spec.reduction_factor
    return out


def _evaluations(run_dir: Path) -> list[dict[str, Any]]:
    path = run_dir / "evaluations.json"
    return json.loads(path.read_text()) if path.is_file() else []  # type: ignore[no-any-return]


def reward_at(evaluations: list[dict[str, Any]], milestone: int) -> float | None:
    """The validation reward when a trial first reached ``milestone`` steps, or ``None``."""
    for e in evaluations:
        if e["steps"] >= milestone:
            return float(e["reward"]["mean"])
    return None


class LocalASHA:
    """ASHA's stopping rule for trials run one after another.

    At each rung a trial continues only if its validation reward is at least the
    ``1 - 1/reduction_factor`` quantile of the rewards earlier trials had at that rung
    (the rule of Ray Tune's ``ASHAScheduler``, where "earlier" means "reported first").
    """

    def __init__(self, spec: TuneSpec, earlier: list[Path], run_dir: Path) -> None:
        self.rf = spec.reduction_factor
        self.rungs = milestones(spec)
        logs = [_evaluations(p) for p in earlier]
        self.recorded = {m: [r for r in (reward_at(e, m) for e in logs) if r is not None]
                         for m in self.rungs}  # fmt: skip
        done = max((e["steps"] for e in _evaluations(run_dir)), default=0)
        self.checked = {m for m in self.rungs if m <= done}  # decided before a resume
        self.stopped_at: int | None = None

    def __call__(self, steps: int, summary: dict[str, Any]) -> bool:
        """Whether the trial goes on after an evaluation at ``steps``."""
        reward = float(summary["reward"]["mean"])
        for m in self.rungs:
            if m > steps or m in self.checked:
                continue
            self.checked.add(m)
            earlier = self.recorded[m]
            if earlier and reward < float(np.percentile(earlier, (1 - 1 / self.rf) * 100)):
                self.stopped_at = steps
                return False
        return True


def train_trial(run_dir: Path, config: Any, hook: Callable[[int, dict[str, Any]], bool]) -> Any:
    """Train one trial in its run directory (new, or continued from its checkpoint)."""
    from policies.training import CONFIG_FILE, Trainer

    if (run_dir / CONFIG_FILE).is_file():
        trainer = Trainer.resume(run_dir)
    else:
        trainer = Trainer.create(config, run_dir)
    trainer.on_evaluation = hook  # type: ignore[attr-defined]  # see TrainingCallback._on_step
    trainer.run(progress_bar=False)
    return trainer


def export_stopped(run_dir: Path) -> None:
    """Export the policy of a trial the scheduler ended mid-run (its process was stopped).

    The best validated checkpoint becomes ``policy.zip`` exactly as ``Trainer.export``
    does at the end of a run.
    """
    from stable_baselines3 import PPO, SAC

    from policies.training import Trainer, load_norm

    trainer = Trainer.resume(run_dir)
    latest = trainer.latest()
    if latest is None:
        raise RunDirectoryError(f"{run_dir}: stopped before its first checkpoint")
    env = trainer._make_env(1, training=True)
    load_norm(run_dir / latest["norm"], env)
    algo: Any = {"ppo": PPO, "sac": SAC}[trainer.config.algo]
    model = algo.load(run_dir / latest["model"], env=env, device="cpu")
    trainer.export(model, env)


def trial_record(
    trial: str, run_dir: Path, config: Any, stopped: bool, error: str = ""
) -> dict[str, Any]:
    """What ``trial.json`` says: the config, best validation reward, steps, stopped or not."""
    log = _evaluations(run_dir)
    best = max(log, key=lambda e: e["reward"]["mean"], default=None)
    latest = run_dir / "latest.json"
    steps = json.loads(latest.read_text())["steps"] if latest.is_file() else 0
    return {
        "trial": trial, "config": asdict(config), "seed": config.seed,
        "best_val_reward": None if best is None else best["reward"]["mean"],
        "best_steps": None if best is None else best["steps"],
        "steps": steps, "stopped_by_scheduler": stopped, "error": error,
    }  # fmt: skip


def run_tune(
    spec: TuneSpec,
    out: Path,
    backend: Backend = "local",
    address: str | None = None,
    workers: int | None = None,
    log: Callable[[str], None] = lambda _: None,
) -> TuneOutcome:
    """Run every unfinished trial of ``spec`` and write the tune directory ``out``.

    Args:
        spec: the tuning run (validated here before anything runs).
        out: the tune directory (created, or resumed if it holds this tuning run).
        backend: ``local`` (one trial after another) or ``ray`` (Ray Tune, ASHA).
        address: a Ray cluster (``--backend ray``); ``None`` starts a local one on
            127.0.0.1 for this run.
        workers: CPUs of that local Ray cluster (default: all); trials use one each.
        log: called with a line per finished trial.

    Raises:
        TwinError: a bad spec (one line per problem) or a directory holding another run.
    """
    if backend not in ("local", "ray"):
        raise TwinError(f"--backend {backend!r}: use local or ray")
    if address is not None and backend != "ray":
        raise TwinError("--address needs --backend ray")
    configs = spec.check()
    out = Path(out).resolve()
    open_spec_dir(out, spec.to_json(), "tune")
    ids = [f"t{i:03d}" for i in range(len(configs))]
    dirs = {t: out / "trials" / t for t in ids}
    finished = {t for t in ids if _finished(dirs[t])}
    todo = [t for t in ids if t not in finished]
    t0 = time.perf_counter()
    cluster: dict[str, Any] = {}
    if todo and backend == "ray":
        cluster = _run_ray(spec, out, {t: (dirs[t], configs[ids.index(t)]) for t in todo},
                           address, workers, log)  # fmt: skip
    else:
        for t in todo:
            run_dir = dirs[t]
            config = configs[ids.index(t)]
            earlier = [dirs[e] for e in ids[: ids.index(t)]]
            asha = LocalASHA(spec, earlier, run_dir)
            try:
                train_trial(run_dir, config, asha)
                record = trial_record(t, run_dir, config, asha.stopped_at is not None)
            except Exception as exc:  # noqa: BLE001 - recorded with the trial; others go on
                record = trial_record(t, run_dir, config, False, _one_line(exc))
            atomic_write(run_dir / TRIAL_FILE, json.dumps(record, indent=2) + "\n")
            log(_describe(record))
    rows = [
        json.loads((dirs[t] / TRIAL_FILE).read_text())
        if (dirs[t] / TRIAL_FILE).is_file()  # else the backend lost it: a rerun retries it
        else trial_record(t, dirs[t], configs[i], False, "the trial did not report back")
        for i, t in enumerate(ids)
    ]
    write_summary(out, spec, rows)
    meta = {"backend": backend, "address": address, "trials": len(ids), "computed": len(todo),
            "reused": len(finished), "wall_time_s": round(time.perf_counter() - t0, 3),
            "python": platform.python_version(), **cluster}  # fmt: skip
    history = []
    if (out / "tune.json").is_file():
        history = json.loads((out / "tune.json").read_text()).get("runs", [])
    atomic_write(out / "tune.json", json.dumps({"runs": [*history, meta]}, indent=2) + "\n")
    return TuneOutcome(
        out, len(ids), len(todo), len(finished),
        sum(r["stopped_by_scheduler"] for r in rows), sum(bool(r["error"]) for r in rows), rows,
    )  # fmt: skip


def _finished(run_dir: Path) -> bool:
    """A trial is finished when it has a ``trial.json`` without error (errors are retried)."""
    path = run_dir / TRIAL_FILE
    return path.is_file() and not json.loads(path.read_text())["error"]


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _describe(r: dict[str, Any]) -> str:
    if r["error"]:
        return f"{r['trial']}: failed: {r['error']}"
    how = "stopped by ASHA" if r["stopped_by_scheduler"] else "finished"
    return f"{r['trial']}: {how} at {r['steps']:,} steps, best validation reward " + (
        f"{r['best_val_reward']:.3f}" if r["best_val_reward"] is not None else "-"
    )


def ray_trial(config: dict[str, Any]) -> None:
    """A Ray Tune function trainable: one trial, reporting each validation to ASHA."""
    from ray import tune

    from policies.training import TrainConfig

    params = config["params"]
    run_dir = Path(params["run_dir"])
    train_config = TrainConfig.from_json(params["config"])

    def report(steps: int, summary: dict[str, Any]) -> bool:
        if steps < train_config.total_steps:  # ASHA ends any trial that reports max_t
            tune.report({"val_reward": float(summary["reward"]["mean"]), "steps": steps})
        return True  # ASHA stops the trial by ending this process

    train_trial(run_dir, train_config, report)
    record = trial_record(params["trial"], run_dir, train_config, False)
    atomic_write(run_dir / TRIAL_FILE, json.dumps(record, indent=2) + "\n")
    last = _evaluations(run_dir)[-1]
    tune.report({"val_reward": float(last["reward"]["mean"]), "steps": int(last["steps"]),
                 "finished": True})  # fmt: skip


def _run_ray(
    spec: TuneSpec,
    out: Path,
    todo: dict[str, tuple[Path, Any]],
    address: str | None,
    workers: int | None,
    log: Callable[[str], None],
) -> dict[str, Any]:
    """Run the unfinished trials with Ray Tune and ASHA; record the ones it stopped."""
    from twin.sweep.backends import import_ray, init_ray

    ray = import_ray(address, private=address is None)
    from ray import tune
    from ray.tune.schedulers import ASHAScheduler

    connected_before = init_ray(ray, address, workers)
    try:
        info = {"ray_version": ray.__version__,
                "cluster_cpus": float(ray.cluster_resources().get("CPU", 0)),
                "nodes": [n["NodeManagerAddress"] for n in ray.nodes()]}  # fmt: skip
        for run_dir, _ in todo.values():
            run_dir.parent.mkdir(parents=True, exist_ok=True)
        trials = [{"trial": t, "run_dir": str(d), "config": c.to_json()}
                  for t, (d, c) in todo.items()]  # fmt: skip
        scheduler = ASHAScheduler(
            time_attr="steps", metric="val_reward", mode="max", max_t=spec.steps,
            grace_period=spec.grace, reduction_factor=spec.reduction_factor,
        )  # fmt: skip
        tuner = tune.Tuner(
            tune.with_resources(ray_trial, {"cpu": 1}),
            param_space={"params": tune.grid_search(trials)},
            tune_config=tune.TuneConfig(
                scheduler=scheduler,
                trial_dirname_creator=lambda trial: trial.config["params"]["trial"],
            ),
            run_config=tune.RunConfig(
                name="tune", storage_path=str(out / "ray"), verbose=0,
                failure_config=tune.FailureConfig(max_failures=0),
            ),
        )  # fmt: skip
        results = tuner.fit()
        for i in range(len(results)):
            result = results[i]
            params = result.config["params"] if result.config else None
            if params is None:  # pragma: no cover - every trial carries its params
                continue
            t, (run_dir, config) = params["trial"], todo[params["trial"]]
            if _finished(run_dir):
                log(_describe(json.loads((run_dir / TRIAL_FILE).read_text())))
                continue
            if result.error is not None:
                record = trial_record(t, run_dir, config, False, _one_line(result.error))
            else:  # ASHA ended it between two evaluations: export its best policy
                try:
                    export_stopped(run_dir)
                    record = trial_record(t, run_dir, config, True)
                except Exception as exc:  # noqa: BLE001 - recorded with the trial
                    record = trial_record(t, run_dir, config, True, _one_line(exc))
            run_dir.mkdir(parents=True, exist_ok=True)
            atomic_write(run_dir / TRIAL_FILE, json.dumps(record, indent=2) + "\n")
            log(_describe(record))
        return info
    finally:
        if not connected_before:
            ray.shutdown()


def write_summary(out: Path, spec: TuneSpec, rows: list[dict[str, Any]]) -> None:
    """``summary.parquet`` and ``summary.csv``: one row per trial, in trial order."""
    from twin.sweep.results import param_column, write_parquet
    from twin.sweep.runner import _write_csv

    cols: dict[str, Any] = {"trial": np.array([r["trial"] for r in rows], dtype=object)}
    for name in spec.space:
        cols[name] = param_column([r["config"][name] for r in rows])
    cols["seed"] = np.array([r["seed"] for r in rows], np.int64)
    cols["best_val_reward"] = np.array(
        [np.nan if r["best_val_reward"] is None else r["best_val_reward"] for r in rows],
        np.float64,
    )
    cols["best_steps"] = np.array([r["best_steps"] or 0 for r in rows], np.int64)
    cols["steps"] = np.array([r["steps"] for r in rows], np.int64)
    cols["stopped_by_scheduler"] = np.array([r["stopped_by_scheduler"] for r in rows], bool)
    cols["error"] = np.array([r["error"] for r in rows], dtype=object)
    write_parquet(out / "summary.parquet", cols)
    _write_csv(out / "summary.csv", cols)
