"""Time to beat the baseline: PPO per venue until its validation reward's 95 % CI clears it.

For each venue the README's training recipe runs with ``stop_when_beats``: every
``eval_every`` steps the policy is scored on validation seeds (2,000,000 on; 16 for the
hotel, 10 for the others) against the venue's smartest baseline on the same seeds (hotel and store
``rule_based``, homes ``learning_thermostat``), and training stops when the two 95 %
intervals of the reward no longer overlap. The time to beat is the wall time of the
whole training job until then (environment set-up, training, evaluations, export).
The exported policy is then checked on *test* seeds (1,000,000 on, the ones ``twin
evaluate`` uses; 20, or 10 neighbourhoods for homes) against the baseline: the result
must hold there too.

``--readme-command`` also times the README's earlier hotel command (``twin train hotel
--steps 600000``: no early stopping) in the same run, for the ratio.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import machine, report
from policies import make_policy
from policies.evaluation import headline_kpis, rollout_seeds, summarise
from policies.training import VALIDATION_SEED, TrainConfig, Trainer, default_layout
from twin.scenario import load_scenario, scenario_path
from twin.venues import venue_class

#: Venue -> (scenario, baseline, README recipe: TrainConfig fields, eval_every,
#: validation seeds, test seeds). The hotel validates on 16 seeds: stopping at the first
#: evaluation whose interval clears the baseline's is a test repeated every eval_every
#: steps, and on 10 seeds it stopped where the 20 test seeds did not yet separate; hotel
#: and store also wait for two separated evaluations in a row (TrainConfig.stop_patience).
#: Homes evaluate ten times in the whole run (each seed a neighbourhood), so one is enough.
RECIPES: dict[str, tuple[str, str, dict[str, Any], int, int, int]] = {
    "hotel": ("hotel", "rule_based", {"total_steps": 600_000}, 50_000, 16, 20),
    "store": ("store", "rule_based", {"total_steps": 240_000, "residual": "fixed"}, 40_000, 10, 20),
    "homes": (
        "homes", "learning_thermostat",
        {"total_steps": 10_000_000, "n_envs": 64, "layout": "flat",
         "residual": "learning_thermostat", "checkpoint_every": 1_000_000,
         "stop_patience": 1},
        1_000_000, 10, 10,
    ),
}  # fmt: skip


def config_for(venue: str, early: bool) -> TrainConfig:
    """The README recipe of ``venue`` (with early stopping against its baseline if ``early``)."""
    name, base, recipe, every, n_val, _ = RECIPES[venue]
    s = load_scenario(name)
    fields: dict[str, Any] = {"layout": default_layout(s), **venue_class(s.venue).train_defaults}
    fields |= recipe
    if early:
        validation = tuple(range(VALIDATION_SEED, VALIDATION_SEED + n_val))
        fields |= {"eval_every": every, "eval_seeds": validation, "stop_when_beats": base}
    return TrainConfig(scenario=str(scenario_path(name).resolve()), **fields)


def time_to_beat(venue: str, root: Path, early: bool = True) -> dict[str, Any]:
    """Train one venue's recipe; wall time, steps, and the check on the test seeds."""
    _, base, _, _, _, n_test = RECIPES[venue]
    test = list(range(1_000_000, 1_000_000 + n_test))  # twin evaluate's test seeds
    cfg = config_for(venue, early)
    run_dir = root / f"{venue}-{'early' if early else 'readme'}"
    t0 = time.perf_counter()
    trainer = Trainer.create(cfg, run_dir)
    result = trainer.run(progress_bar=False)
    wall = time.perf_counter() - t0
    out: dict[str, Any] = {"wall_s": wall, "steps": result["steps"],
                           "stopped_early": result["stopped_early"]}  # fmt: skip
    stopped = trainer.stopped()
    if stopped is not None:
        out["validation"] = {"policy": stopped["reward"], "baseline": stopped["baseline_reward"]}
    s = trainer.scenario
    keys = headline_kpis(s)
    mine = summarise(
        rollout_seeds(s, lambda t: make_policy(str(run_dir / "policy.zip"), t), test), keys
    )["reward"]
    theirs = summarise(rollout_seeds(s, lambda t: make_policy(base, t), test), keys)["reward"]
    out["test"] = {"policy": mine, "baseline": theirs, "beats": mine["ci_low"] > theirs["ci_high"]}
    return out


def _ci(r: dict[str, float]) -> str:
    return f"{r['mean']:.2f} [{r['ci_low']:.2f}, {r['ci_high']:.2f}]"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks train")
    parser.add_argument("--venues", default="hotel,store,homes")
    parser.add_argument(
        "--readme-command",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also time the README's hotel command (600,000 steps, no stop)",
    )
    parser.add_argument("--out", type=Path, default=None, help="keep the run directories here")
    args = parser.parse_args(argv)
    venues = [v for v in args.venues.split(",") if v]
    root = args.out or Path(tempfile.mkdtemp(prefix="twin-train-bench-"))
    figures: dict[str, Any] = {"benchmark": "train", **machine()}
    rows = []
    for venue in venues:
        r = time_to_beat(venue, root)
        beat = r["stopped_early"] and r["test"]["beats"]
        figures[f"{venue}_time_to_beat_s"] = round(r["wall_s"], 1) if r["stopped_early"] else None
        figures[f"{venue}_steps_to_beat"] = r["steps"] if r["stopped_early"] else None
        figures[f"{venue}_beats_on_test_seeds"] = r["test"]["beats"]
        figures[f"{venue}_detail"] = r
        note = f"{r['steps']:,} steps; test reward {_ci(r['test']['policy'])} vs "
        note += f"{_ci(r['test']['baseline'])}{'' if beat else ' (NOT separated)'}"
        value = f"{r['wall_s']:.0f} s" if r["stopped_early"] else "not beaten"
        rows.append((f"{venue}: time to beat {RECIPES[venue][1]}", value, note))
    if args.readme_command and "hotel" in venues:
        r = time_to_beat("hotel", root, early=False)
        figures["hotel_readme_command_s"] = round(r["wall_s"], 1)
        figures["hotel_readme_beats_on_test_seeds"] = r["test"]["beats"]
        if figures.get("hotel_time_to_beat_s"):
            figures["hotel_speedup_vs_readme"] = round(
                r["wall_s"] / figures["hotel_time_to_beat_s"], 2
            )
        note = f"test reward {_ci(r['test']['policy'])} vs {_ci(r['test']['baseline'])}"
        rows.append(("hotel: README command (600,000 steps)", f"{r['wall_s']:.0f} s", note))
    figures["run_dirs"] = str(root)
    report("Time until PPO beats the venue's baseline (non-overlapping 95 % CIs)", rows, figures)
    (root / "train.json").write_text(json.dumps(figures, sort_keys=True, default=float) + "\n")
    return 0
