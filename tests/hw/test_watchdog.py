"""Kill the controller process: every device hands control back to the building."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hw_adapters.audit import read_audit_log
from hw_adapters.testing.ports import free_udp_port
from hw_adapters.testing.site import with_point_changes, with_sections
from tests.hw.conftest import Site
from tests.hw.rigs import wait

pytestmark = pytest.mark.hardware
ROOT = Path(__file__).resolve().parents[2]


def test_killing_the_controller_makes_every_device_fall_back(site: Site, tmp_path: Path) -> None:
    # The child gets its own BACnet port; its rates are raised so it can act at once.
    child_map = with_sections(site.map, bacnet={"local_address": f"127.0.0.1/8:{free_udp_port()}"})
    fast = {"max_rate_per_min": 1e7}
    child_map = with_point_changes(child_map, {"room_01.heat": fast, "lobby.heat": fast})
    (tmp_path / "map.json").write_text(child_map.to_json())
    commands = {"room_01.heat": 21.0, "room_02.mode": 1, "lobby.heat": 21.0, "lobby.genre": 2}
    (tmp_path / "commands.json").write_text(json.dumps(commands))
    proc = subprocess.Popen(
        [sys.executable, "-m", "hw_adapters.testing.controller_process", str(tmp_path / "map.json"),
         str(tmp_path / "audit.jsonl"), str(tmp_path / "commands.json")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready", (
            proc.stderr.read() if proc.stderr else ""
        )
        audit = (tmp_path / "audit.jsonl").read_text()
        assert site.bacnet.priority_array("room_01.heat")[11] == 21.0, (
            audit,
            site.bacnet.fallbacks,
        )
        assert site.modbus.value("room_02.mode") == 1.0
        assert wait(lambda: site.mqtt.value("lobby.genre") == 2.0)
        assert wait(lambda: site.modbus.heartbeats >= 2 and site.bacnet.heartbeats >= 2)
        assert not site.modbus.fallen_back and not site.bacnet.fallbacks
        killed = time.monotonic()
        proc.send_signal(signal.SIGKILL)
        proc.wait(5)
    finally:
        proc.kill()
        proc.wait(5)
    # Modbus: the heartbeat register stops; the device restores its own values
    assert wait(lambda: site.modbus.fallen_back, 5)
    assert site.modbus.value("room_02.mode") == 3.0
    # BACnet: the heartbeat object stops; the device clears priority 12
    assert wait(lambda: bool(site.bacnet.fallbacks), 5)
    assert site.bacnet.priority_array("room_01.heat") == [None] * 16
    assert site.bacnet.present_value("room_01.heat") == 20.0
    # MQTT: the broker publishes the Last Will; the devices take their fail-safes
    assert wait(lambda: site.mqtt.availability[-1:] == ["offline"], 5)
    assert wait(
        lambda: site.mqtt.value("lobby.genre") == 0.0 and site.mqtt.value("lobby.heat") == 20.0
    )
    assert time.monotonic() - killed < 5
    # the killed controller's audit log holds every command it handled, nothing torn
    log = read_audit_log(tmp_path / "audit.jsonl")
    assert [(r["point"], r["decision"]) for r in log] == [(p, "accepted") for p in commands]
