"""MQTT adapter against a real Mosquitto broker on loopback."""

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
from hw_adapters.controller import Controller
from hw_adapters.discovery import discovery_configs
from hw_adapters.mqtt import MqttAdapter
from hw_adapters.pointmap import PointMap
from hw_adapters.testing.mosquitto import Mosquitto
from hw_adapters.testing.mqtt_device import MqttDevice, MqttRecorder
from hw_adapters.testing.site import with_sections
from tests.hw.conftest import need_mosquitto
from tests.hw.rigs import wait
from twin.errors import HardwareError

pytestmark = pytest.mark.hardware
ROOT = Path(__file__).resolve().parents[2]


def adapter(pm: PointMap, **kw: object) -> MqttAdapter:
    assert pm.mqtt is not None
    return MqttAdapter(pm.mqtt, pm.of_protocol("mqtt"), **kw)  # type: ignore[arg-type]


def test_write_reaches_the_device_and_reads_back(
    mqtt_map: PointMap, mqtt_device: MqttDevice
) -> None:
    pts = mqtt_map.of_protocol("mqtt")
    mqtt_device.set_value("lobby.temp", 21.5)
    with adapter(mqtt_map) as ad:
        assert wait(lambda: "lobby.temp" in ad.read(pts))
        assert ad.read(pts)["lobby.temp"].value == 21.5
        ad.write(mqtt_map.point("lobby.heat"), 21.0)
        ad.write(mqtt_map.point("lobby.light"), 500.0)  # brightness 150 of 255
        ad.write(mqtt_map.point("lobby.cct"), 4000.0)  # kelvin
        ad.write(mqtt_map.point("lobby.genre"), 2)
        assert wait(lambda: len(mqtt_device.commands) == 4)
        payloads = [c.payload for c in mqtt_device.commands]
        assert payloads == [
            "21.0",
            '{"state": "ON", "brightness": 150}',
            '{"color_temp": 4000}',
            "2",
        ]
        assert wait(lambda: ad.read(pts)["lobby.genre"].value == 2.0)
        got = {k: r.value for k, r in ad.read(pts).items()}
        assert got["lobby.heat"] == 21.0 and got["lobby.light"] == 500.0
        assert got["lobby.cct"] == 4000.0


def test_discovery_configs_are_retained_with_the_right_fields(
    broker: Mosquitto, mqtt_map: PointMap
) -> None:
    with adapter(mqtt_map, discovery=discovery_configs(mqtt_map)):
        with MqttRecorder(
            "127.0.0.1", broker.port, ("homeassistant/#", "twin/hotel-small/status")
        ) as rec:
            assert wait(lambda: len(rec.all()) >= 7)
            msgs = {m.topic: m for m in rec.all()}
    assert all(m.retain for m in msgs.values())
    assert msgs["twin/hotel-small/status"].payload == "online"
    cfg = {t.split("/")[1] + "/" + t.split("/")[2]: json.loads(m.payload)
           for t, m in msgs.items() if t.startswith("homeassistant/")}  # fmt: skip
    climate = cfg["climate/hotel-small-site_lobby"]
    assert (climate["min_temp"], climate["max_temp"], climate["temp_step"]) == (16.0, 28.0, 0.5)
    assert climate["temperature_low_command_topic"] == "twin/hotel-small/lobby/heat/set"
    assert climate["temperature_high_command_topic"] == "twin/hotel-small/lobby/cool/set"
    assert climate["current_temperature_topic"] == "twin/hotel-small/lobby/temperature/state"
    light = cfg["light/hotel-small-site_lobby_light"]
    assert light["schema"] == "json" and light["brightness"] is True
    assert light["color_temp_kelvin"] is True and (light["min_kelvin"], light["max_kelvin"]) == (
        2700,
        5000,
    )
    genre = cfg["select/hotel-small-site_lobby_genre"]
    assert genre["options"] == ["ambient", "jazz", "classical", "pop"]
    assert "{'ambient': 0, 'jazz': 1" in genre["command_template"]
    assert cfg["select/hotel-small-site_lobby_screen_content"]["options"] == [
        "house",
        "restaurant",
        "spa",
    ]
    volume = cfg["number/hotel-small-site_lobby_volume"]
    assert (volume["min"], volume["max"], volume["unit_of_measurement"]) == (35.0, 65.0, "dB(A)")
    for c in cfg.values():
        assert c["availability_topic"] == "twin/hotel-small/status"
        assert c["unique_id"] and c["device"]["identifiers"] == ["hotel-small-site"]


def spawn_controller(
    tmp_path: Path, pm: PointMap, commands: dict[str, float], *protocols: str
) -> subprocess.Popen[str]:
    (tmp_path / "map.json").write_text(pm.to_json())
    (tmp_path / "commands.json").write_text(json.dumps(commands))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "hw_adapters.testing.controller_process", str(tmp_path / "map.json"),
         str(tmp_path / "child-audit.jsonl"), str(tmp_path / "commands.json"), *protocols],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT,
    )  # fmt: skip
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if line.strip() != "ready":
        proc.kill()
        raise AssertionError(
            f"controller did not start: {line}{proc.stderr.read() if proc.stderr else ''}"
        )
    return proc


def test_last_will_marks_a_killed_controller_offline_and_devices_fall_back(
    tmp_path: Path, broker: Mosquitto, mqtt_map: PointMap, mqtt_device: MqttDevice
) -> None:
    mqtt_device.set_value("lobby.temp", 21.0)
    with MqttRecorder("127.0.0.1", broker.port, ("twin/hotel-small/status",)) as rec:
        proc = spawn_controller(
            tmp_path, mqtt_map, {"lobby.genre": 2, "lobby_screen.content": 1}, "mqtt"
        )
        try:
            assert wait(lambda: mqtt_device.value("lobby.genre") == 2.0)
            assert rec.on("twin/hotel-small/status")[-1] == "online"
            t0 = time.monotonic()
            proc.send_signal(signal.SIGKILL)
            proc.wait(5)
            assert wait(lambda: rec.on("twin/hotel-small/status")[-1:] == ["offline"], 10)
            will_delay = time.monotonic() - t0
        finally:
            proc.kill()
            proc.wait(5)
    assert wait(lambda: mqtt_device.value("lobby.genre") == 0.0)  # the device's fail-safe
    assert mqtt_device.value("lobby_screen.content") == 0.0 and mqtt_device.fallbacks
    assert will_delay < 5


def test_broker_restart_reconnects_and_every_command_is_audited(
    tmp_path: Path, broker: Mosquitto, mqtt_map: PointMap, mqtt_device: MqttDevice
) -> None:
    mqtt_device.set_value("lobby.temp", 21.0)
    audit = tmp_path / "audit.jsonl"
    ctl = Controller.connect(mqtt_map, audit, mode="act", protocols=["mqtt"])
    try:
        ctl.step({"lobby.genre": 1})
        assert wait(lambda: mqtt_device.value("lobby.genre") == 1.0)
        broker.stop()
        assert wait(lambda: not ctl.adapters["mqtt"].connected)  # type: ignore[attr-defined]
        lost = ctl.step({"lobby.genre": 3, "lobby_screen.content": 2})
        assert [r.decision for r in lost] == ["failed", "failed"]
        assert "broker not connected" in lost[0].reason
        broker.start()
        assert ctl.adapters["mqtt"].wait_connected(10)  # type: ignore[attr-defined]
        # the heartbeat republishes every fail-safe before the policy may act again
        assert wait(lambda: any("reconnected" in r["reason"] for r in read_audit_log(audit)), 5)
        assert wait(lambda: mqtt_device.value("lobby.genre") == 0.0, 10)
        back = ctl.step({"lobby.genre": 3})
        assert back[0].decision == "accepted"
        assert wait(lambda: mqtt_device.value("lobby.genre") == 3.0)
    finally:
        ctl.close()
    log = read_audit_log(audit)
    n_mqtt_writable = sum(p.writable for p in mqtt_map.of_protocol("mqtt"))
    # 1 + 2 + 1 commands, one fail-safe per point after the reconnect and on close
    assert len(log) == 4 + 2 * n_mqtt_writable
    assert [r["decision"] for r in log[:3]] == ["accepted", "failed", "failed"]
    assert sum("reconnected" in r["reason"] for r in log) == n_mqtt_writable


def test_tls_and_password_are_required_when_the_broker_asks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mqtt_map: PointMap
) -> None:
    need_mosquitto()
    monkeypatch.setenv("TWIN_TEST_MQTT_PASSWORD", "correct horse")
    with Mosquitto(tmp_path / "tls", users={"twin": "correct horse"}, tls=True) as b:
        assert b.tls is not None
        full = {"port": b.port, "username": "twin", "password_env": "TWIN_TEST_MQTT_PASSWORD",
                "ca_file": str(b.tls.ca), "client_cert": str(b.tls.client_cert),
                "client_key": str(b.tls.client_key)}  # fmt: skip
        pm = with_sections(mqtt_map, mqtt=full)
        with adapter(pm) as ad:
            assert ad.connected
            ad.write(pm.point("lobby.genre"), 1)  # acknowledged by the broker
        monkeypatch.setenv("TWIN_TEST_MQTT_PASSWORD", "wrong")
        with pytest.raises(HardwareError, match="connection refused: Not authorized"):
            adapter(pm)
        creds = {"username": "twin", "password_env": "TWIN_TEST_MQTT_PASSWORD"}
        no_tls = with_sections(mqtt_map, mqtt={"port": b.port, **creds})
        with pytest.raises(HardwareError, match="connection refused: no CONNACK"):
            adapter(no_tls, connect_timeout_s=1.0)
        no_cert = with_sections(mqtt_map, mqtt={**full, "client_cert": None, "client_key": None})
        with pytest.raises(HardwareError, match="cannot connect|connection refused"):
            adapter(no_cert, connect_timeout_s=1.0)
