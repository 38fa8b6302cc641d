"""twin validate: the replay reproduces the twin exactly, and a trained hotel policy on the
rig passes with the default reality gap and fails, saying why, with a large one."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from hw_adapters.deploy import Deployment
from hw_adapters.gap import RealityGap, load_gap
from hw_adapters.replay import replay
from hw_adapters.rig import Rig
from hw_adapters.validate import energy_metrics, validate_run
from hw_adapters.validate_report import write_validation
from hw_adapters.venues import site_binding
from tests.hw.rigs import EXAMPLES, record_of_world, running_rig, scenario, site_map
from twin.physics.passes import ACC_ENERGY_LIGHT_J
from twin.rundir import staged_run_dir
from twin.world import World


def test_guideline_14_metrics_by_hand() -> None:
    m, s = np.array([10.0, 12.0, 8.0, 10.0]), np.array([9.0, 12.0, 9.0, 8.0])
    got = energy_metrics(m, s)
    # sum(m - s) = 2, sum((m - s)^2) = 6, n - 1 = 3, mean(m) = 10
    assert got["nmbe_pct"] == pytest.approx(2 / 3 / 10 * 100)
    assert got["cvrmse_pct"] == pytest.approx(np.sqrt(6 / 3) / 10 * 100)


def test_replay_of_the_worlds_own_inputs_reproduces_it() -> None:
    """Without protocols or gap: the replay (and its warm-up) is the World's physics."""
    s = scenario("hotel_small", 24)
    w = World(RealityGap.zero().apply(s), 1)
    w.reset([3])
    b = site_binding(w.venue.task())
    Rig.warm_up(type("R", (), {"gap": RealityGap.zero(), "scenario": s, "dt": w.dt, "seed": 3,
                                "world": w, "binding": b})())  # fmt: skip
    rows = []
    for t in range(w.n_steps):
        own = b.own_control(w)
        w.step(b.commands(own))
        feed = {"context": b.feed_context(w)}
        heat = b.occupant_heat_w(feed, w.venue.context(), w.measurements())
        e = (w.energy_hvac[0].sum() + w.acc[ACC_ENERGY_LIGHT_J, 0]) / 3.6e6
        rows.append((w.air[0].copy(), w.setpoint[0].copy(), w.cool_setpoint[0].copy(),
                     own["light_lux"], own["light_cct_k"], heat, w.t_out[t + 1, 0],
                     w.ghi[t + 1, 0], e))  # fmt: skip
    rec = record_of_world(s, w, rows)
    rp = replay(rec)
    # row 0 has no reading from before it (the weather and occupants it starts with)
    assert np.abs(rp.air - rec.t_air)[1:].max() < 0.1
    site = np.diff(rec.energy_kwh)
    assert abs(rp.energy_kwh[1:].sum() / site.sum() - 1) < 0.005


@pytest.fixture(scope="module")
def trained_hotel_policy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A short PPO run on the small hotel (a residual on the rule baseline)."""
    from policies.training import TrainConfig, Trainer
    from twin.scenario import scenario_path

    out = tmp_path_factory.mktemp("train") / "ppo"
    config = TrainConfig(
        scenario=str(scenario_path("hotel_small").resolve()), total_steps=1024, n_envs=4,
        checkpoint_every=0, eval_every=0,
    )  # fmt: skip
    Trainer.create(config, out).run(progress_bar=False)
    return out / "policy.zip"


def _deploy_and_validate(policy: Path, gap: RealityGap, tmp: Path) -> tuple[object, Path]:
    with running_rig("hotel_small", 24, tmp / "rig", gap=gap) as rig:
        dep = Deployment(str(policy), site_map(rig), rig.scenario, tmp / "deploy", mode="act",
                         log=lambda m: None)  # fmt: skip
        result = dep.run()
    assert result.stop_reason == "the site reports the end of its run"
    v, rec, rp = validate_run(result.out)
    with staged_run_dir(tmp / "validation") as stage:
        write_validation(stage, v, rec, rp, str(result.out), "hotel-small-rig")
    return v, tmp / "validation"


@pytest.mark.hardware
@pytest.mark.slow
def test_trained_policy_passes_with_the_default_gap_and_fails_with_a_large_one(
    trained_hotel_policy: Path, tmp_path: Path
) -> None:
    v, report = _deploy_and_validate(trained_hotel_policy, RealityGap(), tmp_path / "default")
    assert v.passed, v.reasons  # type: ignore[attr-defined]
    assert v.energy["cvrmse_pct"] < 30 and abs(v.energy["nmbe_pct"]) < 10  # type: ignore[attr-defined]
    text = (report / "report.md").read_text()
    assert "**Result: PASS**" in text and "CV(RMSE)" in text
    assert json.loads((report / "validation.json").read_text())["passed"] is True
    assert (report / "temperatures.png").is_file() and (report / "energy.png").is_file()

    big = load_gap(EXAMPLES / "gap_large.toml")
    v, report = _deploy_and_validate(trained_hotel_policy, big, tmp_path / "large")
    assert not v.passed  # type: ignore[attr-defined]
    reasons = "\n".join(v.reasons)  # type: ignore[attr-defined]
    assert "energy NMBE" in reasons and "outside Guideline 14's hourly limit" in reasons
    assert "temperature RMSE" in reasons
    assert "**Result: FAIL**" in (report / "report.md").read_text()
