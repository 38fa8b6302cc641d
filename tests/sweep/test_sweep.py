"""Sweeps as a researcher runs them: validation first, the table, failures, resume, Ray."""

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
from twin.errors import ScenarioError
from twin.scenario import load_scenario
from twin.sweep import SweepSpec, apply_params, parse_seeds, run_sweep
from twin.sweep.params import parse_values

# 3 parameter values x 20 seeds x 2 policies: the must-show sweep.
MUST_SHOW = """
scenario = "hotel_small"
seeds = "0-19"
policies = ["fixed", "rule_based"]

[params]
"hvac.heat_pump.cop_max" = [3.0, 5.0, 7.0]
"simulation.horizon_days" = [1.0]  # one value: a shorter episode for every cell
"""


def test_paths_indices_wildcards_and_derived_knobs():
    s = load_scenario("hotel_small")
    v = apply_params(
        s,
        {
            "zones[1].u_wall_w_m2k": 0.5,
            "zones[*].air_changes_per_h": 0.9,
            "hvac.capacity_scale": 0.5,
            "simulation.horizon_days": 1.0,
        },
    )
    assert v.zones[1].u_wall_w_m2k == 0.5 and v.zones[0].u_wall_w_m2k == s.zones[0].u_wall_w_m2k
    assert all(z.air_changes_per_h == 0.9 for z in v.zones)
    for old, new in zip(s.zones, v.zones, strict=True):
        assert new.heating_capacity_w_m2 == pytest.approx(old.heating_capacity_w_m2 * 0.5)
        assert new.cooling_capacity_w_m2 == pytest.approx(old.cooling_capacity_w_m2 * 0.5)
    assert v.simulation.n_steps == 96
    homes = load_scenario("homes_small")
    h = apply_params(homes, {"hvac.capacity_scale": 2.0})
    assert (
        h.home.stock.heating_capacity_w_m2.mean == 2 * homes.home.stock.heating_capacity_w_m2.mean
    )
    store = apply_params(load_scenario("store_small"), {"store.arrivals.rate_per_hour": 50.0})
    assert store.store is not None and store.store.arrivals.rate_per_hour == 50.0
    assert parse_values("0.8,1,1.2") == [0.8, 1, 1.2]
    assert parse_values("[1.0,2.0],heavy") == [[1.0, 2.0], "heavy"]
    assert parse_seeds("0-2,7") == (0, 1, 2, 7)


def test_bad_paths_and_values_are_one_line_each_and_nothing_runs(tmp_path):
    out = tmp_path / "sweep"
    res = run_cli(
        "sweep", "hotel_small", "--param", "hvac.cop_max=1,2", "--param",
        "zones[0].u_wall_w_m2k=-1,0.3", "--param", "zones[9].u_wall_w_m2k=0.3",
        "--param", "hvac.capacity_scale=0", "--policy", "rule_based", "--policy", "nope",
        "--seeds", "0-3", "--out", str(out),
    )  # fmt: skip
    assert res.returncode == 2, res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 5, res.stderr
    assert "hvac.cop_max: unknown key 'cop_max'; valid keys here: heat_pump, substeps" in lines[0]
    assert "zones[0].u_wall_w_m2k = -1: must be > 0" in lines[1]
    assert "index 9 out of range" in lines[2]
    assert "hvac.capacity_scale = 0: must be a finite number > 0" in lines[3]
    assert "--policy nope" in lines[4]
    assert "Traceback" not in res.stderr and not out.exists()


@pytest.mark.parametrize(
    ("param", "expected"),
    [
        ("hvac.heat_pump.cop_max=inf", "--param hvac.heat_pump.cop_max=inf: hvac.heat_pump."
         "cop_max = inf: input should be a finite number"),
        ("hvac.heat_pump.cop_max=abc", "hvac.heat_pump.cop_max = 'abc': input should be a "
         "valid number"),
        ("hvac.capacity_scale=inf", "--param hvac.capacity_scale = inf: must be a finite "
         "number > 0"),
        ("hvac.heatpump.cop_max=3", "--param hvac.heatpump.cop_max: unknown key 'heatpump'"),
    ],
)  # fmt: skip
def test_bad_value_type_inf_and_unknown_path_one_line_exit_2(tmp_path, param, expected):
    out = tmp_path / "sweep"
    out.mkdir()
    (out / "keep.txt").write_text("untouched")
    res = run_cli("sweep", "hotel_small", "--param", param, "--policy", "fixed",
                  "--seeds", "0-1", "--out", str(out))  # fmt: skip
    assert res.returncode == 2, res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], lines
    assert "Traceback" not in res.stderr
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]  # the directory untouched


def test_bad_sweep_file_and_backend_are_one_line_exit_2(tmp_path):
    sweep = tmp_path / "bad.toml"
    sweep.write_text('scenario = "hotel_small"\npolicies = ["fixed"]\nseeds = "0-1"\n'
                     '[params]\n"zones[0].u_wall_w_m2k" = [0.3, inf]\n')  # fmt: skip
    res = run_cli("sweep", str(sweep), "--out", str(tmp_path / "o"))
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert res.stderr.strip().count("\n") == 0 and "zones[0].u_wall_w_m2k = inf" in res.stderr
    res = run_cli("sweep", str(sweep), "--backend", "slurm", "--out", str(tmp_path / "o"))
    assert (
        res.returncode == 2 and "--backend 'slurm'" in res.stderr and "Traceback" not in res.stderr
    )
    assert not (tmp_path / "o").exists()


def test_sweep_file_table_and_a_failing_cell_recorded_while_others_finish(tmp_path):
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"not a zip")
    sweep = tmp_path / "sweep.toml"
    sweep.write_text(
        'scenario = "hotel_small"\nseeds = "0-2"\npolicies = ["fixed", "broken.zip"]\n'
        '[params]\n"zones[*].u_window_w_m2k" = [1.0, 2.5]\n'
    )
    out = tmp_path / "out"
    res = run_cli("sweep", str(sweep), "--out", str(out), "--workers", "0")
    assert res.returncode == 1, res.stderr  # finished, with failed cells
    assert "6 failed" in res.stdout
    table = pq.read_table(out / "results.parquet").to_pydict()
    assert len(table["seed"]) == 12
    keys = list(zip(table["variation"], table["policy"], table["seed"], strict=True))
    policies = ["fixed", str(broken)]
    assert keys == sorted(keys, key=lambda k: (k[0], policies.index(k[1]), k[2]))
    assert table["zones[*].u_window_w_m2k"][:3] == [1.0, 1.0, 1.0]
    for policy, err, reward in zip(table["policy"], table["error"], table["reward"], strict=True):
        if policy == "fixed":
            assert err == "" and np.isfinite(reward)
        else:
            assert err and "\n" not in err and np.isnan(reward)
    fixed = [r for r, p in zip(table["energy_kwh"], table["policy"], strict=True) if p == "fixed"]
    assert fixed[3] > fixed[0]  # leakier windows use more energy (same seed 0)
    assert (out / "plots" / "reward.png").is_file() and (out / "summary.parquet").is_file()
    summary = pq.read_table(out / "summary.parquet").to_pydict()
    assert set(summary["metric"]) >= {"reward", "mean_satisfaction", "energy_kwh"}


def _count(folder):
    return len(list(folder.glob("*.json"))) if folder.is_dir() else 0


def test_killed_halfway_the_rerun_computes_only_the_missing_cells(tmp_path):
    out = tmp_path / "out"
    args = ["sweep", "hotel_small", "--param", "simulation.horizon_days=5,6",
            "--seeds", "0-9", "--policy", "rule_based", "--workers", "1", "--block", "1",
            "--out", str(out)]  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-c", "import sys; from twin.cli import main; sys.exit(main())", *args],
        cwd=ROOT,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    cells = out / "cells"
    deadline = time.monotonic() + 300
    while _count(cells) < 4 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)  # the sweep and its worker, mid-flight
    proc.wait()
    before = {p.name: p.stat().st_mtime_ns for p in cells.glob("*.json")}
    assert 4 <= len(before) < 20, "the sweep was not interrupted halfway"
    assert not (out / "results.parquet").exists()
    res = run_cli(*args)
    assert res.returncode == 0, res.stderr
    runs = json.loads((out / "sweep.json").read_text())["runs"]
    assert runs[-1]["computed"] == 20 - len(before) and runs[-1]["reused"] == len(before)
    for name, mtime in before.items():  # finished cells were not touched again
        assert (cells / name).stat().st_mtime_ns == mtime
    table = pq.read_table(out / "results.parquet").to_pydict()
    assert len(table["seed"]) == 20 and not any(table["error"])


def test_local_pool_and_a_ray_cluster_give_identical_tables(tmp_path, ray_cluster):
    sweep = tmp_path / "must_show.toml"
    sweep.write_text(MUST_SHOW)
    local, ray = tmp_path / "local", tmp_path / "ray"
    res = run_cli("sweep", str(sweep), "--out", str(local), "--workers", "2")
    assert res.returncode == 0, res.stderr
    res = run_cli("sweep", str(sweep), "--out", str(ray), "--backend", "ray",
                  "--address", ray_cluster)  # fmt: skip
    assert res.returncode == 0, res.stderr
    a = (local / "results.parquet").read_bytes()
    assert a == (ray / "results.parquet").read_bytes()
    table = pq.read_table(local / "results.parquet").to_pydict()
    assert len(table["seed"]) == 3 * 20 * 2 and not any(table["error"])
    meta = json.loads((ray / "sweep.json").read_text())["runs"][-1]
    assert meta["backend"] == "ray" and meta["cluster_cpus"] == 2.0
    # A different COP limit changes the outcome: the parameter really reached the World.
    energy = np.array(table["energy_kwh"]).reshape(3, 2, 20)
    assert energy[0, 0, 0] > energy[2, 0, 0]


def test_spec_is_checked_before_anything_and_other_sweeps_are_not_overwritten(tmp_path):
    spec = SweepSpec("hotel_small", {"hvac.heat_pump.cop_max": (5.0,)}, (0,), ("fixed",))
    out = tmp_path / "out"
    run_sweep(spec, out, workers=0)
    other = spec.replace(seeds=(0, 1))
    with pytest.raises(Exception, match="holds another sweep"):
        run_sweep(other, out, workers=0)
    with pytest.raises(ScenarioError, match="zip"):
        SweepSpec("hotel_small", {"a.b": (1, 2), "c.d": (1,)}, (0,), ("fixed",), "zip").check()
