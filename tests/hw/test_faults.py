"""Faults during a deployment on the rig, judged from the device side: a policy emitting
NaN, inf and 1e9, a stale sensor, the broker killed and back, a device stopped and back,
the controller killed. No out-of-envelope value reaches a device, points fall back,
the deployment resumes or stops with a clear message, and the audit log accounts for
every command."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hw_adapters.audit import read_audit_log
from hw_adapters.deploy import Deployment
from hw_adapters.gap import RealityGap
from hw_adapters.pointmap import PointMap
from policies import make_policy
from tests.hw.rigs import running_rig, site_map, wait
from twin.world import World

pytestmark = [pytest.mark.hardware, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]


class Misbehaving:
    """The rule baseline, but at chosen steps some outputs are NaN, inf or 1e9."""

    name = "misbehaving"
    uses_personal_data = True

    def __init__(self, base: Any, bad: dict[int, float]) -> None:
        self.base, self.bad, self.calls = base, bad, 0

    def predict(self, observation: Any, state: Any = None, episode_start: Any = None,
                deterministic: bool = True) -> tuple[np.ndarray, Any]:  # fmt: skip
        action, _ = self.base.predict(observation, deterministic=deterministic)
        action = np.array(action, dtype=np.float64)
        value = self.bad.get(self.calls)
        self.calls += 1
        if value is not None:
            action[0::4] = value  # every zone's heating set-point
            action[2] = value  # and the first zone's light
        return action, state


def in_bounds(pm: PointMap, name: str, v: float) -> bool:
    p = pm.point(name)
    assert p.min is not None and p.max is not None
    return math.isfinite(v) and p.min - 1e-6 <= v <= p.max + 1e-6


def test_faults_during_a_deployment(tmp_path: Path) -> None:
    with running_rig("hotel_small", 24, tmp_path / "rig", gap=RealityGap.zero()) as rig:
        pm = site_map(rig)
        bacnet_seen: list[tuple[str, float | None]] = []
        step = rig.step

        def watched_step() -> None:  # the BACnet slot the controller writes, every site step
            step()
            if rig.bacnet is not None and "bacnet" not in rig.down:
                for p in pm.of_protocol("bacnet"):
                    if p.writable:
                        bacnet_seen.append(
                            (p.name, rig.bacnet.priority_array(p.name)[p.priority - 1])
                        )

        rig.step = watched_step  # type: ignore[method-assign]
        task = World(rig.scenario, 1).venue.task()
        policy = Misbehaving(make_policy("rule_based", task), {2: np.nan, 3: np.inf, 4: 1e9})
        lines: list[str] = []
        dep = Deployment(policy, pm, rig.scenario, tmp_path / "deploy", mode="act", steps=34,
                         log=lines.append)  # fmt: skip
        modbus_devices = [rig.modbus]
        box: dict[str, Any] = {}
        runner = threading.Thread(target=lambda: box.setdefault("result", dep.run()))
        runner.start()
        assert wait(lambda: getattr(dep, "k", 0) >= 5, 60)
        rig.frozen.add("room_3.temp")  # a stale sensor from here on
        assert wait(lambda: dep.k >= 9, 60)
        rig.broker.stop()  # the broker dies mid-deployment...
        time.sleep(1.5)
        rig.broker.start()  # ...and comes back on the same port
        assert wait(lambda: dep.k >= 20, 60)
        rig.stop_device("modbus")  # the Modbus room controller stops...
        time.sleep(1.5)
        rig.restart_device("modbus")  # ...and starts again on its fail-safe values
        modbus_devices.append(rig.modbus)
        runner.join(120)
        assert not runner.is_alive()
        mqtt_commands = list(rig.mqtt.commands)
        assert rig.modbus is not None
        assert wait(lambda: rig.modbus.heartbeats > 0, 5)  # type: ignore[union-attr]
    result = box["result"]
    assert result.steps == 34, result
    audit = read_audit_log(tmp_path / "deploy" / "audit.jsonl")
    # 1. nothing outside the envelope reached a device, whatever the policy asked
    assert mqtt_commands
    assert all(in_bounds(pm, c.point, c.value) for c in mqtt_commands)
    writes = [w for d in modbus_devices if d is not None for w in d.writes]
    assert writes and all(in_bounds(pm, w.point, w.value) for w in writes)
    assert bacnet_seen and all(v is None or in_bounds(pm, n, v) for n, v in bacnet_seen)
    # 2. the bad outputs were rejected, with their reasons
    reasons = [r["reason"] for r in audit if r["decision"] == "rejected"]
    assert any(r.startswith("not finite: nan") for r in reasons)
    assert any(r.startswith("out of bounds: inf") or r.startswith("not finite: inf")
               for r in reasons)  # fmt: skip
    assert any(r.startswith("out of bounds: 6e+09 not in [15, 27]") for r in reasons)
    # 3. the stale sensor: room_3's set-points fell back to their fail-safe values
    stale = [r for r in audit if r["point"] == "room_3.heat" and r["decision"] == "fallback"
             and r["source"] == "policy"]  # fmt: skip
    assert stale and all("stale sensor: 'room_3.temp'" in r["reason"] for r in stale)
    assert {r["sent"] for r in stale} == {pm.point("room_3.heat").fail_safe}
    after = [r for r in audit if r["point"] == "room_3.heat" and r["time"] > stale[0]["time"]
             and r["source"] == "policy"]  # fmt: skip
    assert all(r["decision"] in ("fallback", "failed") for r in after)  # never the policy again
    # 4. broker and device faults were reported, and the deployment resumed after both
    text = "\n".join(lines)
    assert "mqtt: broker connection lost" in text and "mqtt: answering again" in text
    assert "modbus:" in text and "modbus: answering again" in text
    failed = [r for r in audit if r["decision"] == "failed"]
    assert any(pm.point(r["point"]).protocol == "mqtt" for r in failed)
    assert any("mqtt broker reconnected" in r["reason"] for r in audit)
    last = audit[-1]["time"]
    late_ok = [r for r in audit if r["decision"] == "accepted" and r["point"] == "room_2.heat"]
    assert late_ok and late_ok[-1]["time"] > failed[-1]["time"] and last >= late_ok[-1]["time"]
    # 5. the audit log accounts for every command a device received
    sent = {}
    for r in audit:
        if r["sent"] is not None:
            sent.setdefault(r["point"], []).append(r["sent"])
    for c in mqtt_commands:
        assert any(math.isclose(c.value, s, abs_tol=2.0) for s in sent[c.point]), c
    for w in writes:
        assert any(math.isclose(w.value, s, rel_tol=1e-6) for s in sent[w.point]), w


def test_a_killed_controller_hands_every_point_back(tmp_path: Path) -> None:
    with running_rig("hotel_small", 24, tmp_path / "rig", gap=RealityGap.zero()) as rig:
        out = tmp_path / "deploy"
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        proc = subprocess.Popen(
            [sys.executable, "-m", "twin.cli", "deploy", "rule_based", "--points",
             str(rig.workdir / "site.json"), "--mode", "act", "--out", str(out)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:

            def steps_done() -> int:
                path = out / "steps.jsonl"
                return len(path.read_text().splitlines()) if path.is_file() else 0

            assert wait(lambda: steps_done() >= 3 or proc.poll() is not None, 90), "no steps"
            assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
            assert rig.modbus is not None and rig.bacnet is not None
            assert wait(lambda: rig.mqtt.remote("lobby.heat"), 20)
            assert rig.modbus.heartbeats > 0 and rig.bacnet.heartbeats > 0
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
        # from the device side: the Last Will, the heartbeat time-outs, the priority slots
        assert wait(lambda: rig.mqtt.availability[-1:] == ["offline"], 20)
        assert wait(lambda: not rig.mqtt.remote("lobby.heat"), 5)
        assert wait(lambda: rig.modbus.fallen_back, 10)  # type: ignore[union-attr]
        assert wait(lambda: bool(rig.bacnet.fallbacks), 10)  # type: ignore[union-attr]
        heat = site_map(rig).point("room_1.heat")
        assert rig.bacnet.priority_array("room_1.heat")[heat.priority - 1] is None  # type: ignore[union-attr]
        # the building's own control holds the points again
        own = rig.binding.own_control(rig.world)
        z = rig.binding.zone_names.index("lobby")
        assert wait(lambda: rig.mqtt.value("lobby.heat") == own["heat_setpoint_c"][z], 10)
    # the audit log survived the kill intact: every line is a whole record
    audit = read_audit_log(out / "audit.jsonl")
    assert audit and all(r["mode"] == "act" for r in audit)
    assert (out / "steps.jsonl").is_file()
    assert not (out / "run.json").exists()  # the killed run never claimed to be complete
    json.loads((out / "steps.jsonl").read_text().splitlines()[0])
