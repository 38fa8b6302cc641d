"""The rig and twin deploy: the same observation as the twin, the twin's run-directory
columns, every command audited and inside the envelope as the devices saw it."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from hw_adapters.audit import read_audit_log
from hw_adapters.controller import Controller, open_adapters
from hw_adapters.deploy import Deployment
from hw_adapters.feed import FeedReader
from hw_adapters.gap import RealityGap
from hw_adapters.rig import Rig
from hw_adapters.sitegen import rig_point_map, to_toml
from hw_adapters.venues import site_binding
from tests.hw.rigs import EXAMPLES, rig_map, running_rig, scenario, site_map, wait
from twin.rundir import read_table
from twin.world import World

pytestmark = pytest.mark.hardware

#: The columns of a simulated run's zones.parquet (twin.report.write_run).
TWIN_ZONE_COLUMNS = [
    "time", "zone", "occupied", "count", "t_air_c", "t_op_c", "heat_setpoint_c",
    "cool_setpoint_c", "lux", "p_hvac_el_w", "p_light_w",
]  # fmt: skip


@pytest.mark.parametrize("name", ["hotel_small", "store_small", "homes_small"])
def test_shipped_rig_maps_are_what_the_generator_makes(name: str) -> None:
    shipped = (EXAMPLES / f"{name}_rig.toml").read_text()
    body = to_toml(rig_point_map(name))
    assert shipped.endswith(body)


@pytest.mark.parametrize(
    ("name", "steps"), [("hotel_small", 20), ("store_small", 75), ("homes_small", 36)]
)
def test_deploy_side_observation_equals_the_twins(name: str, steps: int, tmp_path: Path) -> None:
    """Zero gap: what twin deploy encodes from points and feed is the twin's observation."""
    s = scenario(name, 3 if name == "store_small" else 24)
    with Rig(s, rig_map(name), tmp_path / "rig", gap=RealityGap.zero(), fast=True) as rig:
        for _ in range(steps):  # a state with guests (shoppers) in the building
            rig.step()
        twin_obs, twin_known = rig.world.venue.task(personal_data=True).observe()
        pm = site_map(rig)
        binding = site_binding(World(rig.scenario, 1).venue.task(personal_data=True))
        assert pm.mqtt is not None
        with FeedReader(pm.mqtt) as feed:
            ctl = Controller(pm, open_adapters(pm), tmp_path / "audit.jsonl", mode="dry-run")
            try:
                assert feed.wait_for(lambda m: m["step"] == rig.world.t, 20) is not None

                def deploy_obs() -> tuple[np.ndarray, np.ndarray]:
                    msg, _ = feed.latest()
                    assert msg is not None
                    readings = ctl.refresh()
                    meas = binding.measurements(pm, readings, msg)
                    return binding.encode(meas, binding.context(msg, pm, readings))

                def same() -> bool:
                    obs, _ = deploy_obs()
                    return bool(np.allclose(obs, twin_obs, rtol=1e-6, atol=1e-5))

                wait(same, 20)
                obs, known = deploy_obs()
            finally:
                ctl.close()
    np.testing.assert_allclose(obs, twin_obs, rtol=1e-6, atol=1e-5)
    assert known.sum() == twin_known.sum() > 0  # consented preferences were shown


def test_deploy_act_writes_a_run_directory_in_the_twins_columns(tmp_path: Path) -> None:
    with running_rig("hotel_small", 3, tmp_path / "rig", gap=RealityGap.zero()) as rig:
        pm = site_map(rig)
        dep = Deployment("rule_based", pm, rig.scenario, tmp_path / "deploy", mode="act",
                         steps=6, log=lambda m: None)  # fmt: skip
        result = dep.run()
        got = {name: list(rig.mqtt.commands_to(name)) for name in rig.mqtt.points}
        modbus = list(rig.modbus.writes) if rig.modbus else []
    out = result.out
    assert result.steps == 6 and result.clean
    zones = read_table(out / "zones.parquet")
    assert list(zones) == TWIN_ZONE_COLUMNS
    assert len(zones["zone"]) == 6 * 14
    assert np.isfinite(zones["t_air_c"]).all() and np.isfinite(zones["heat_setpoint_c"]).all()
    run = json.loads((out / "run.json").read_text())
    assert run["kind"] == "deploy" and run["mode"] == "act" and run["steps"] == 6
    kpis = json.loads((out / "kpis.json").read_text())
    assert kpis["commands_rejected"] == 0 and kpis["energy_kwh"] > 0
    audit = read_audit_log(out / "audit.jsonl")
    sent = {}
    for r in audit:
        sent.setdefault(r["point"], set()).add(r["sent"])
    # from the device side: every value received was audited as sent, and within bounds
    for name, values in got.items():
        p = pm.point(name)
        for v in values:
            assert p.min <= v <= p.max  # type: ignore[operator]
            assert any(s is not None and math.isclose(v, s, abs_tol=p.max / 254)  # type: ignore[operator]
                       for s in sent.get(name, ()))  # fmt: skip
    assert modbus and all(math.isfinite(w.value) for w in modbus)


def test_store_deploys_through_the_same_generic_code(tmp_path: Path) -> None:
    with running_rig("store_small", 3, tmp_path / "rig", speed=120) as rig:
        dep = Deployment("rule_based", site_map(rig), rig.scenario, tmp_path / "deploy",
                         mode="shadow", steps=4, log=lambda m: None)  # fmt: skip
        result = dep.run()
        assert not rig.mqtt.commands  # shadow: nothing written
    audit = read_audit_log(result.out / "audit.jsonl")
    points = {r["point"] for r in audit}
    assert {"front.genre", "front.volume", "entrance_screen.content"} <= points
    assert all(r["sent"] is None for r in audit)
    assert all("shadow" in r["reason"] for r in audit if r["decision"] == "accepted")
