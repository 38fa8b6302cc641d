"""A homes run is the whole neighbourhood: twin run, its run directory, and evaluation."""

from __future__ import annotations

import json

from policies import make_policy
from policies.evaluation import headline_kpis, rollout_seeds, summarise
from policies.rollout import copy_seeds, run_copies
from tests.conftest import run_cli
from twin.scenario import load_scenario

SMALL = load_scenario("homes_small")
REQUIRED = (
    "energy_kwh", "discomfort_kh", "overrides_per_home_week", "preheat_late_min", "peak_kw",
    "personal_data_used", "fairness_gap", "mean_ppd", "cost", "mean_satisfaction",
)  # fmt: skip


def test_twin_run_simulates_the_neighbourhood_and_writes_its_artefacts(tmp_path):
    out = tmp_path / "run"
    res = run_cli("run", "homes_small", "--policy", "learning_thermostat", "--out", str(out))
    assert res.returncode == 0, res.stderr
    kpis = json.loads((out / "kpis.json").read_text())
    for key in REQUIRED:
        assert kpis.get(key) is not None, key
    assert kpis["homes"] == SMALL.home.n_homes
    assert kpis["personal_data_used"] > 0
    for name in ("home_week.png", "learned_occupancy.png", "neighbourhood_load.png",
                 "residents.csv", "residents.parquet", "zones.parquet", "timeseries.parquet",
                 "scenario.json", "run.json"):  # fmt: skip
        assert (out / name).is_file(), name
    residents = (out / "residents.csv").read_text().splitlines()
    assert len(residents) == kpis["residents"] + 1
    assert json.loads((out / "run.json").read_text())["policy"] == "learning_thermostat"


def test_a_run_is_reproducible_and_its_copies_come_from_the_run_seed():
    a, _ = run_copies(SMALL, lambda t: make_policy("fixed", t), seed=4)
    b, _ = run_copies(SMALL, lambda t: make_policy("fixed", t), seed=4)
    c, _ = run_copies(SMALL, lambda t: make_policy("fixed", t), seed=5)
    assert a.kpis == b.kpis and a.reward == b.reward
    assert a.kpis != c.kpis
    assert copy_seeds(4, 3) == copy_seeds(4, 3) and len(set(copy_seeds(4, 6))) == 6


def test_evaluation_scores_one_neighbourhood_per_seed():
    episodes = rollout_seeds(SMALL, lambda t: make_policy("fixed", t), [4, 5])
    assert len(episodes) == 2
    single, _ = run_copies(SMALL, lambda t: make_policy("fixed", t), seed=5)
    assert episodes[1] == {**single.kpis, "reward": single.reward}
    summary = summarise(episodes, headline_kpis(SMALL))
    assert summary["energy_kwh"]["n"] == 2 and "reward" in summary
