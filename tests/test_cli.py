"""The ``twin`` CLI as a user runs it: check, simulate, run directories, determinism."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.conftest import SCENARIOS, run_cli
from twin.rundir import read_table
from twin.scenario import load_scenario


def test_check_accepts_shipped_and_rejects_broken_with_one_line(tmp_path):
    ok = run_cli("check", str(SCENARIOS / "building.toml"))
    assert ok.returncode == 0, ok.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text(
        (SCENARIOS / "tiny.toml").read_text().replace("floor_area_m2 = 25", "floor_area_m2 = -25")
    )
    res = run_cli("check", str(bad))
    assert res.returncode == 2
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, res.stderr
    assert "zones[0].floor_area_m2 = -25" in lines[0] and "must be > 0" in lines[0]
    assert "Traceback" not in res.stderr + res.stdout


def test_simulate_writes_complete_run_directory(tiny, tmp_path):
    out = tmp_path / "run"
    res = run_cli("simulate", str(tiny), "--out", str(out))
    assert res.returncode == 0, res.stderr
    expected = {
        "scenario.json",
        "kpis.json",
        "run.json",
        "site.parquet",
        "zones.parquet",
        "temperatures.png",
        "energy.png",
        "comfort.png",
    }
    assert expected <= {p.name for p in out.iterdir()}
    kpis = json.loads((out / "kpis.json").read_text())
    assert {"energy_kwh", "discomfort_kh", "mean_ppd", "peak_kw"} <= set(kpis)
    assert all(isinstance(v, float) for v in kpis.values())
    assert kpis["energy_kwh"] > 0 and 5.0 <= kpis["mean_ppd"] < 100
    assert "energy" in res.stdout and "mean PPD" in res.stdout
    # The resolved scenario loads back to the scenario that ran (with its seed).
    assert load_scenario(out / "scenario.json") == load_scenario(tiny)
    zones = read_table(out / "zones.parquet")
    s = load_scenario(tiny)
    assert len(zones["t_air_c"]) == s.simulation.n_steps * s.n_zones
    # Totals in the time series agree with the KPI.
    site = read_table(out / "site.parquet")
    dt_h = s.simulation.step_minutes / 60
    total = (site["hvac_el_kw"] + site["lighting_kw"]).sum() * dt_h
    np.testing.assert_allclose(total, kpis["energy_kwh"], rtol=1e-5)


def test_same_seed_same_bytes_other_seed_differs(tiny, tmp_path):
    outs = {}
    for name, seed in (("a", "3"), ("b", "3"), ("c", "4")):
        res = run_cli("simulate", str(tiny), "--seed", seed, "--out", str(tmp_path / name))
        assert res.returncode == 0, res.stderr
        outs[name] = (tmp_path / name / "kpis.json").read_bytes()
    assert outs["a"] == outs["b"]
    assert outs["a"] != outs["c"]
    assert json.loads((tmp_path / "a" / "scenario.json").read_text())["simulation"]["seed"] == 3


def test_existing_run_directory_is_never_overwritten(tiny, tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    res = run_cli("simulate", str(tiny), "--out", str(out))
    assert res.returncode == 2
    assert "already exists" in res.stderr and "Traceback" not in res.stderr
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left


def test_invalid_scenario_leaves_no_run_directory(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n')
    res = run_cli("simulate", str(bad), "--out", str(tmp_path / "run"))
    assert res.returncode == 2 and "zones" in res.stderr
    assert not (tmp_path / "run").exists()


HOTEL_SMALL = SCENARIOS / "hotel_small.toml"


def test_run_and_compare_hotel(tmp_path):
    import csv
    import re

    outs = {}
    for policy in ("fixed", "rule_based"):
        out = tmp_path / policy
        res = run_cli("run", str(HOTEL_SMALL), "--policy", policy, "--seed", "2", "--out", str(out))
        assert res.returncode == 0, res.stderr
        outs[policy] = out
        files = {p.name for p in out.iterdir()}
        assert {
            "scenario.json",
            "kpis.json",
            "run.json",
            "timeseries.parquet",
            "zones.parquet",
            "guests.parquet",
            "guests.csv",
            "occupancy.png",
            "room_vs_preference.png",
            "satisfaction.png",
        } <= files
        kpis = json.loads((out / "kpis.json").read_text())
        for key in (
            "energy_kwh",
            "discomfort_kh",
            "mean_ppd",
            "peak_kw",
            "mean_satisfaction",
            "mean_review",
            "return_rate",
            "fairness_gap",
            "personal_data_used",
            "checkin_wait_min",
            "turned_away",
        ):
            assert key in kpis, key
        with (out / "guests.csv").open() as fh:
            rows = list(csv.DictReader(fh))
        assert rows and all(re.fullmatch(r"G\d{2}-\d{5}", r["guest"]) for r in rows)
        assert json.loads((out / "run.json").read_text())["policy"] == policy
    res = run_cli("compare", str(outs["fixed"]), str(outs["rule_based"]))
    assert res.returncode == 0, res.stderr
    assert "mean satisfaction" in res.stdout and "(rule_based)" in res.stdout


def test_run_same_seed_identical_kpis(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for out in (a, b):
        assert (
            run_cli("run", str(HOTEL_SMALL), "--policy", "fixed", "--out", str(out)).returncode == 0
        )
    assert (a / "kpis.json").read_bytes() == (b / "kpis.json").read_bytes()


def test_run_unknown_policy_and_non_run_dir_are_clear_errors(tmp_path):
    res = run_cli("run", str(HOTEL_SMALL), "--policy", "smart", "--out", str(tmp_path / "x"))
    assert res.returncode == 2 and "unknown policy 'smart'" in res.stderr
    assert not (tmp_path / "x").exists()
    res = run_cli("compare", str(tmp_path))
    assert res.returncode == 2 and "not a run directory" in res.stderr
    res = run_cli(
        "train", str(HOTEL_SMALL), "--stop-when-beats", "smart", "--out", str(tmp_path / "t")
    )
    assert res.returncode == 2 and "--stop-when-beats 'smart'" in res.stderr
    assert not (tmp_path / "t").exists()


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("run", "--bogus"), "No such option: --bogus"),
        (("frobnicate",), "No such command 'frobnicate'"),
        (("check",), "Missing argument"),
        (("train", "--steps", "many"), "Invalid value"),
    ],
)
def test_usage_mistakes_give_typer_usage_and_exit_2(args, says):
    res = run_cli(*args)
    assert res.returncode == 2, res.stderr
    assert "Usage:" in res.stderr and says in res.stderr
    assert "Traceback" not in res.stderr + res.stdout


def test_check_rejects_infinite_horizon_with_one_line(tmp_path):
    bad = tmp_path / "inf.toml"
    bad.write_text((SCENARIOS / "tiny.toml").read_text() + "\n")
    text = bad.read_text()
    assert "[simulation]" in text
    bad.write_text(
        text.replace("[simulation]", "[simulation]\nhorizon_days = inf", 1).replace(
            "horizon_days = 3\n", ""
        )
    )
    res = run_cli("check", str(bad))
    assert res.returncode == 2, res.stdout
    assert "simulation.horizon_days = inf: input should be a finite number" in res.stderr
    assert "Traceback" not in res.stderr


def test_shipped_scenarios_run_by_name_from_any_folder(tmp_path):
    res = run_cli("check", "hotel_small", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    res = run_cli("run", "hotel_small", "--policy", "fixed", "--out", "r", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert json.loads((tmp_path / "r" / "kpis.json").read_text())["energy_kwh"] > 0
    res = run_cli("check", "no_such_scenario", cwd=tmp_path)
    shipped = "nor a shipped scenario: building, homes, homes_small, hotel"
    assert res.returncode == 2 and shipped in res.stderr
