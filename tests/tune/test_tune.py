"""twin tune as a researcher runs it: validation, trials as training runs, ASHA, resume, Ray."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pyarrow.parquet as pq
import pytest

from tests.conftest import ROOT, run_cli
from twin.tune.runner import LocalASHA, milestones, reward_at
from twin.tune.spec import TuneSpec

TUNE = """
scenario = "hotel_small"
seeds = "0"
steps = 2000
eval_every = 1000
envs = 4
reduction_factor = 2

[space]
learning_rate = [3e-4, 1e-6]
"""


@pytest.mark.parametrize(
    ("flag", "expected"),
    [
        ("learning_rate=inf", "--space learning_rate = inf: must be a finite number"),
        ("learning_rate=fast", "--space learning_rate = 'fast': must be a number"),
        ("hidden=3.5", "--space hidden = 3.5: must be a whole number"),
        ("layout=wide", "--space layout = 'wide': must be one of zone, full, flat"),
        ("learning_rat=0.1", "--space learning_rat: not a training setting; valid: "),
        ("total_steps=10", "--space total_steps: set by tune itself"),
        ("gamma=1.5", "training config: gamma = 1.5 must be in (0, 1]"),
    ],
)
def test_bad_tune_input_is_one_line_naming_the_field_exit_2(tmp_path, flag, expected):
    out = tmp_path / "tune"
    res = run_cli("tune", "hotel_small", "--space", flag, "--steps", "100",
                  "--eval-every", "50", "--out", str(out))  # fmt: skip
    assert res.returncode == 2, res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], lines
    assert "Traceback" not in res.stderr and not out.exists()


def test_bad_tune_file_and_budget(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('scenario = "hotel_small"\nsteps = 100\neval_every = 500\nbudget = 3\n')
    res = run_cli("tune", str(bad), "--out", str(tmp_path / "o"))
    assert res.returncode == 2 and "unknown key(s) budget" in res.stderr
    bad.write_text('scenario = "hotel_small"\nsteps = 100\neval_every = 500\n')
    res = run_cli("tune", str(bad), "--out", str(tmp_path / "o"))
    assert res.returncode == 2 and "eval_every = 500: must be between 1 and steps" in res.stderr
    assert "Traceback" not in res.stderr and not (tmp_path / "o").exists()


def _log(folder, rewards):
    folder.mkdir(parents=True)
    log = [{"steps": s, "reward": {"mean": r}} for s, r in rewards]
    (folder / "evaluations.json").write_text(json.dumps(log))
    return folder


def test_local_asha_stops_a_trial_below_the_rung_quantile(tmp_path):
    spec = TuneSpec("hotel_small", steps=8000, eval_every=1000, reduction_factor=2)
    assert milestones(spec) == [1000, 2000, 4000]
    a = _log(tmp_path / "a", [(1000, 1.0), (2000, 2.0), (4000, 3.0)])
    b = _log(tmp_path / "b", [(1000, 3.0), (2000, 1.0)])
    assert reward_at(json.loads((a / "evaluations.json").read_text()), 1500) == 2.0
    asha = LocalASHA(spec, [a, b], tmp_path / "c")
    median_1000 = np.percentile([1.0, 3.0], 50)
    assert asha(1000, {"reward": {"mean": median_1000}})  # at the quantile: goes on
    assert asha(2000, {"reward": {"mean": 1.2}}) is False  # below the rung's median: stopped
    assert asha.stopped_at == 2000
    first = LocalASHA(spec, [], tmp_path / "d")  # nothing to compare with: never stopped
    assert all(first(s, {"reward": {"mean": -1e9}}) for s in (1000, 2000, 4000, 8000))


def _cli(*args):
    code = "import sys; from twin.cli import main; sys.exit(main())"
    return [sys.executable, "-c", code, *args]


def test_local_tune_killed_after_a_trial_reruns_only_the_rest(tmp_path):
    tune = tmp_path / "tune.toml"
    tune.write_text(TUNE)
    out = tmp_path / "out"
    proc = subprocess.Popen(
        _cli("tune", str(tune), "--out", str(out)), cwd=ROOT, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    first = out / "trials" / "t000" / "trial.json"
    deadline = time.monotonic() + 300
    while not first.is_file() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert first.is_file() and not (out / "summary.parquet").exists()
    mtime = first.stat().st_mtime_ns
    res = run_cli("tune", "--resume", str(out))
    assert res.returncode == 0, res.stderr
    runs = json.loads((out / "tune.json").read_text())["runs"]
    assert (runs[-1]["computed"], runs[-1]["reused"]) == (1, 1)
    assert first.stat().st_mtime_ns == mtime  # the finished trial was not run again
    table = pq.read_table(out / "summary.parquet").to_pydict()
    assert table["trial"] == ["t000", "t001"] and table["learning_rate"] == [3e-4, 1e-6]
    assert not any(table["error"]) and all(np.isfinite(table["best_val_reward"]))
    # ASHA's rule on the real validation rewards: t001 goes on at the 1000-step rung only
    # if it is at least as good as t000 was there.
    logs = [
        json.loads((out / "trials" / t / "evaluations.json").read_text()) for t in ("t000", "t001")
    ]
    assert table["stopped_by_scheduler"] == [
        False, reward_at(logs[1], 1000) < reward_at(logs[0], 1000)
    ]  # fmt: skip
    for t, steps in zip(table["trial"], table["steps"], strict=True):
        run_dir = out / "trials" / t  # a normal training run directory
        assert (run_dir / "policy.zip").is_file() and (run_dir / "train_config.json").is_file()
        assert steps >= 1000
    res = run_cli("evaluate", "hotel_small", "--policy", str(out / "trials/t001/policy.zip"),
                  "--seeds", "2", "--out", str(tmp_path / "eval"))  # fmt: skip
    assert res.returncode == 0, res.stderr
    res = run_cli("tune", "--resume", str(out))  # everything finished: nothing runs
    assert res.returncode == 0 and "0 trial(s) run, 2 reused" in res.stdout


def test_ray_tune_with_asha_on_a_private_local_cluster(tmp_path):
    pytest.importorskip("ray.tune")
    tune = tmp_path / "tune.toml"
    tune.write_text(TUNE)
    out = tmp_path / "out"
    res = run_cli("tune", str(tune), "--backend", "ray", "--workers", "2", "--out", str(out))
    assert res.returncode == 0, res.stderr + res.stdout
    meta = json.loads((out / "tune.json").read_text())["runs"][-1]
    assert meta["backend"] == "ray" and meta["cluster_cpus"] == 2.0
    assert meta["nodes"] == ["127.0.0.1"]  # the private cluster stayed on loopback
    table = pq.read_table(out / "summary.parquet").to_pydict()
    assert table["trial"] == ["t000", "t001"] and not any(table["error"])
    for t, stopped, steps in zip(table["trial"], table["stopped_by_scheduler"], table["steps"],
                                 strict=True):  # fmt: skip
        run_dir = out / "trials" / t
        log = json.loads((run_dir / "evaluations.json").read_text())
        assert (run_dir / "policy.zip").is_file() and log[0]["steps"] >= 1000
        assert stopped == (steps < 2000)  # ASHA ended it before the budget
    # Both ran at the same time under one scheduler: at most one was stopped at the rung.
    assert sum(table["stopped_by_scheduler"]) <= 1
    assert (out / "ray" / "tune").is_dir()
