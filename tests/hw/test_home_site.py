"""A home on the rig: one home of the neighbourhood is a site; deploy of the home baselines
over the real protocols; residents' overrides reach the controller at the operator
priority and lock the policy out; twin validate passes with the default reality gap."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from agents.home.kernels import Q_A_DEC, Q_A_INC
from hw_adapters.audit import read_audit_log
from hw_adapters.deploy import Deployment
from hw_adapters.gap import RealityGap
from hw_adapters.validate import validate_run
from hw_adapters.venues import site_binding, site_scenario
from policies.rollout import copy_seeds
from tests.hw.rigs import record_of_world, running_rig, scenario, site_map
from twin.building import build_building
from twin.errors import ScenarioError
from twin.scenario import load_scenario
from twin.world import World


def test_a_site_is_one_home_of_the_neighbourhood(tmp_path: Path) -> None:
    """Home 2 pinned: the building and household copy 2 of `twin run` has, through JSON."""
    s = load_scenario("homes_small")
    pinned = site_scenario(s, 2)
    assert pinned.home is not None and pinned.home.n_homes == 1
    assert site_scenario(pinned) is pinned  # pinning twice changes nothing
    (tmp_path / "scenario.json").write_text(pinned.to_json())
    again = load_scenario(tmp_path / "scenario.json")  # as twin deploy / validate read it
    hood = World(s, 6)
    hood.reset(copy_seeds(s.simulation.seed, 6))
    one = World(again, 1)
    one.reset([again.simulation.seed])
    np.testing.assert_allclose(one.coef[0], hood.coef[2])
    np.testing.assert_allclose(one.q_heat_max[0], hood.q_heat_max[2])
    np.testing.assert_allclose(build_building(again).coef, hood.coef[2])  # what replay uses
    a: Any = one.venue.slots
    b: Any = hood.venue.slots
    assert a.size[0] == b.size[2] and a.household[0] == b.household[2]
    np.testing.assert_allclose(a.traits[:, 0], b.traits[:, 2])
    assert not np.allclose(one.coef[0], hood.coef[0])  # another home is another building
    with pytest.raises(ScenarioError, match="--home 6: .* has 6 homes"):
        site_scenario(s, 6)
    with pytest.raises(ScenarioError, match="not a neighbourhood of homes"):
        site_scenario(load_scenario("hotel_small"), 1)


def test_the_feed_holds_nothing_about_the_residents() -> None:
    """The feed's context: consent, program, holds; no preference, name or count."""
    s = site_scenario(scenario("homes_small", 24))
    w = World(s, 1)
    w.reset([s.simulation.seed])
    b = site_binding(w.venue.task())
    for _ in range(40):
        w.step(b.commands(b.own_control(w)))
    ctx = b.feed_context(w)
    assert set(ctx) == {"consent", "program", "zones"}
    assert all(set(z) == {"source"} for z in ctx["zones"].values())
    slots: Any = w.venue.slots
    traits = {float(v) for v in slots.traits[:, 0, : slots.size[0]].ravel() if abs(v) > 1.5}
    assert traits and not traits & set(_numbers(ctx))


def _numbers(obj: Any) -> list[float]:
    if isinstance(obj, dict):
        return [x for v in obj.values() for x in _numbers(v)]
    if isinstance(obj, (int, float)) and not isinstance(obj, bool):
        return [float(obj)]
    return []


@pytest.mark.hardware
def test_resident_overrides_reach_the_deploy_at_operator_priority(tmp_path: Path) -> None:
    """Residents who override often: each hold arrives as a BACnet write at priority 8,
    the deployment locks the point out and sends nothing there until it is released."""
    with running_rig("homes_small", 8, tmp_path / "rig", gap=RealityGap.zero()) as rig:
        venue: Any = rig.world.venue  # its residents override often (the rig's World only)
        venue.params[[Q_A_INC, Q_A_DEC]] = (2.0, -2.0)
        pm = site_map(rig)
        dep = Deployment("fixed", pm, rig.scenario, tmp_path / "deploy", mode="act",
                         log=lambda m: None)  # fmt: skip
        result = dep.run()
    assert result.stop_reason == "the site reports the end of its run"
    audit = read_audit_log(result.out / "audit.jsonl")
    assert pm.bacnet is not None and pm.bacnet.override_priority == 8
    locks = [i for i, r in enumerate(audit) if r["source"] == "site"
             and "the site holds priority 8" in r["reason"]]  # fmt: skip
    assert locks, "no resident override reached the deployment"
    for i in locks:
        name = audit[i]["point"]
        for r in audit[i + 1 :]:
            if r["point"] != name:
                continue
            if r["source"] in ("override", "controller"):  # released; handed back at the end
                break
            assert r["source"] == "policy" and r["decision"] == "rejected", r
            assert r["reason"].startswith("override") and r["sent"] is None
    policy = [r for r in audit if r["source"] == "policy"]
    assert any(r["decision"] == "accepted" and r["sent"] is not None for r in policy)
    assert all(r["decision"] == "accepted" or r["reason"].startswith("override") for r in policy)


@pytest.mark.hardware
def test_learning_thermostat_on_a_home_passes_validate(tmp_path: Path) -> None:
    """A day of one home under the learning thermostat, over BACnet, Modbus and MQTT."""
    with running_rig("homes_small", 24, tmp_path / "rig") as rig:
        dep = Deployment("learning_thermostat", site_map(rig), rig.scenario,
                         tmp_path / "deploy", mode="act", log=lambda m: None)  # fmt: skip
        result = dep.run()
    assert result.stop_reason == "the site reports the end of its run"
    kpis = json.loads((result.out / "kpis.json").read_text())
    assert kpis["energy_kwh"] > 0 and kpis["commands_accepted"] > 0
    run = json.loads((result.out / "run.json").read_text())
    assert run["venue"] == "home" and run["policy"] == "learning_thermostat"
    scen = json.loads((result.out / "scenario.json").read_text())
    assert scen["home"]["n_homes"] == 1  # the site's own home, as the rig played it
    v, _, _ = validate_run(result.out)
    assert v.passed, v.reasons
    assert v.energy["cvrmse_pct"] < 30 and abs(v.energy["nmbe_pct"]) < 10


def test_replay_of_a_homes_own_inputs_reproduces_it() -> None:
    """Without protocols or gap: the replay of the home's recorded inputs (its residents'
    heat from presence counts, the lights' levels) is the home World's physics."""
    from hw_adapters.replay import replay
    from hw_adapters.rig import Rig
    from twin.physics.passes import ACC_ENERGY_LIGHT_J

    s = site_scenario(scenario("homes_small", 24))
    w = World(RealityGap.zero().apply(s), 1)
    w.reset([s.simulation.seed])
    b = site_binding(w.venue.task())
    seed = s.simulation.seed
    Rig.warm_up(type("R", (), {"gap": RealityGap.zero(), "scenario": s, "dt": w.dt, "seed": seed,
                                "world": w, "binding": b})())  # fmt: skip
    rows = []
    for t in range(w.n_steps):
        cmds = b.commands(b.own_control(w))
        w.step(cmds)  # leaves the values in force (the residents' lights) in cmds
        feed = {"context": b.feed_context(w)}
        heat = b.occupant_heat_w(feed, w.venue.context(), w.measurements())
        e = (w.energy_hvac[0].sum() + w.acc[ACC_ENERGY_LIGHT_J, 0]) / 3.6e6
        rows.append((w.air[0].copy(), w.setpoint[0].copy(), w.cool_setpoint[0].copy(),
                     np.round(cmds.light_lux[0]), cmds.light_cct_k[0].copy(), heat,
                     w.t_out[t + 1, 0], w.ghi[t + 1, 0], e))  # fmt: skip
    rec = record_of_world(s, w, rows)
    assert rec.light_lux.max() > 0 and rec.occupant_heat_w.max() > 0  # lights on, people home
    rp = replay(rec)
    assert np.abs(rp.air - rec.t_air)[1:].max() < 0.05
    site = np.diff(rec.energy_kwh)
    assert abs(rp.energy_kwh[1:].sum() / site.sum() - 1) < 0.005
