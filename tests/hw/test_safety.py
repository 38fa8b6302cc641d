"""The controller on the example site with all three real endpoints, judged from the
device side: nothing outside the envelope ever reaches a device, and the audit log
accounts for every command."""

from __future__ import annotations

import json
import math
import re
import time
from pathlib import Path

import pytest

from hw_adapters.audit import read_audit_log
from hw_adapters.controller import Controller
from hw_adapters.pointmap import load_point_map
from hw_adapters.testing.mqtt_device import MqttRecorder
from hw_adapters.testing.site import with_point_changes
from tests.hw.conftest import Site
from tests.hw.rigs import wait
from twin.errors import HardwareError, PointMapError

pytestmark = pytest.mark.hardware


class AheadClock:
    """Wall-clock time plus an offset we advance, so rate limits open up without waiting."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


def test_nothing_outside_the_envelope_reaches_a_device(site: Site, tmp_path: Path) -> None:
    clock = AheadClock()
    audit = tmp_path / "audit.jsonl"
    ctl = Controller.connect(site.map, audit, mode="act", clock=clock)
    try:
        clock.offset += 120  # set-points may move 1 K
        good = {"room_01.heat": 21.0, "room_02.heat": 21.0, "lobby.heat": 21.0}
        assert [r.decision for r in ctl.step(good)] == ["accepted"] * 3
        clock.offset += 240  # 2 K
        bad = {
            "room_01.heat": math.nan,
            "room_02.heat": math.inf,
            "lobby.heat": 1e9,
            "room_01.cool": 27.5,  # +3.5 K in 6 min: too fast
            "room_02.cool": 22.5,  # with the heat below: cool - heat = 0.5 K < 1 K
            "lobby.cool": 22.0,  # with lobby heat 21 in force: 1 K is allowed...
            "lobby.genre": 7,  # out of bounds
            "lobby_screen.content": 1.5,  # not an index
            "lobby.volume": -math.inf,
        }
        recs = ctl.step({**bad, "room_02.heat": 22.0})  # heat 22 is fine alone
        decisions = {r.point: (r.decision, r.reason.split(":")[0]) for r in recs}
        assert decisions == {
            "room_01.heat": ("rejected", "not finite"),
            "room_02.heat": ("rejected", "deadband"),
            "lobby.heat": ("rejected", "out of bounds"),
            "room_01.cool": ("rejected", "rate"),
            "room_02.cool": ("rejected", "deadband"),
            "lobby.cool": ("accepted", "within envelope"),
            "lobby.genre": ("rejected", "out of bounds"),
            "lobby_screen.content": ("rejected", "not an index"),
            "lobby.volume": ("rejected", "not finite"),
        }
        assert wait(lambda: site.mqtt.commands_to("lobby.cool") == [22.0])
        # from the device side: only the accepted values ever arrived
        assert site.bacnet.priority_array("room_01.heat")[11] == 21.0
        assert site.bacnet.priority_array("room_01.cool")[11] is None
        assert site.modbus.writes_to("room_02.heat") == [21.0]
        assert site.modbus.writes_to("room_02.cool") == []
        assert site.mqtt.commands_to("lobby.heat") == [21.0]
        assert site.mqtt.commands_to("lobby.genre") == []
        assert site.mqtt.commands_to("lobby.volume") == []
        assert site.mqtt.commands_to("lobby_screen.content") == []
    finally:
        ctl.close()
    # a clean stop hands everything back: BACnet NULL, Modbus/MQTT fail-safes, offline
    assert site.bacnet.priority_array("room_01.heat") == [None] * 16
    assert site.bacnet.present_value("room_01.heat") == 20.0
    assert site.modbus.value("room_02.heat") == 20.0
    assert wait(lambda: site.mqtt.value("lobby.cool") == 24.0)
    assert wait(lambda: site.mqtt.availability[-1:] == ["offline"])
    log = read_audit_log(audit)
    n_writable = sum(p.writable for p in site.map.points)
    assert len(log) == 3 + len(bad) + n_writable  # one record per command, and per hand-back
    assert [r["point"] for r in log[3 : 3 + len(bad)]] == list(bad)
    assert all(r["sent"] is None for r in log[3 : 3 + len(bad)] if r["decision"] == "rejected")


def test_a_stale_sensor_sends_its_zone_to_fail_safe(site: Site, tmp_path: Path) -> None:
    # real time only (staleness is judged on the wall clock), so rates are raised here
    fast = {"max_rate_per_min": 600.0}
    changes = {"lobby.temp": {"stale_after_s": 0.5}, "lobby.heat": fast, "room_02.heat": fast}
    pm = with_point_changes(site.map, changes)
    ctl = Controller.connect(pm, tmp_path / "audit.jsonl", mode="act")
    try:
        time.sleep(0.2)
        site.mqtt.set_value("lobby.temp", 21.0)
        assert wait(lambda: "lobby.temp" in ctl.refresh())
        assert ctl.step({"lobby.heat": 21.0})[0].decision == "accepted"
        assert wait(lambda: site.mqtt.value("lobby.heat") == 21.0)
        time.sleep(0.6)  # the lobby sensor goes quiet
        recs = ctl.step({"lobby.heat": 21.5, "room_02.heat": 21.0})
        assert (recs[0].decision, recs[0].sent) == ("fallback", 20.0)
        assert "stale sensor: 'lobby.temp'" in recs[0].reason
        assert recs[1].decision == "accepted"  # the other zones carry on
        assert wait(lambda: site.mqtt.commands_to("lobby.heat") == [21.0, 20.0])
        assert site.modbus.writes_to("room_02.heat") == [21.0]
    finally:
        ctl.close()


def test_overrides_lock_the_policy_out_on_the_device(site: Site, tmp_path: Path) -> None:
    clock = AheadClock()
    ctl = Controller.connect(site.map, tmp_path / "audit.jsonl", mode="act", clock=clock)
    try:
        clock.offset += 120
        ctl.step({"room_01.heat": 21.0})
        assert ctl.override("room_01.heat", 22.5).decision == "accepted"
        slots = site.bacnet.priority_array("room_01.heat")
        assert (slots[7], slots[11]) == (22.5, 21.0)  # operator at 8 beats the policy at 12
        clock.offset += 120
        rec = ctl.step({"room_01.heat": 21.5})[0]
        assert rec.decision == "rejected" and rec.reason.startswith("override")
        assert site.bacnet.priority_array("room_01.heat")[11] == 21.0
        ctl.release_override("room_01.heat")
        assert site.bacnet.priority_array("room_01.heat")[7] is None
        # the occupant's own panel writes at 8: the controller notices and steps back
        site.bacnet.set_value("room_01.cool", 23.0, priority=8)
        assert ctl.sync_overrides() == ["room_01.cool"]
        clock.offset += 120
        assert ctl.step({"room_01.cool": 24.5})[0].reason.startswith("override")
        site.bacnet.release("room_01.cool", 8)
        assert ctl.sync_overrides() == []
        clock.offset += 120
        assert ctl.step({"room_01.cool": 24.5})[0].decision == "accepted"
    finally:
        ctl.close()


@pytest.mark.parametrize("mode", ["dry-run", "shadow"])
def test_dry_run_and_shadow_leave_the_devices_alone(site: Site, tmp_path: Path, mode: str) -> None:
    clock = AheadClock()
    ctl = Controller.connect(site.map, tmp_path / "audit.jsonl", mode=mode, clock=clock)
    clock.offset += 120
    recs = ctl.step({"room_01.heat": 21.0, "room_02.heat": 21.0, "lobby.heat": 21.0})
    ctl.close()
    assert [r.decision for r in recs] == ["accepted"] * 3 and all(r.sent is None for r in recs)
    if mode == "shadow":
        assert [r.site for r in recs] == [20.0, 20.0, 20.0]
        assert "site holds 20, difference +1" in recs[0].reason
    time.sleep(0.1)
    assert site.bacnet.priority_array("room_01.heat") == [None] * 16
    assert site.modbus.writes == [] and site.modbus.heartbeats == 0
    assert site.mqtt.commands == []


def test_a_device_stopped_mid_run_gives_a_clear_error(site: Site, tmp_path: Path) -> None:
    clock = AheadClock()
    audit = tmp_path / "audit.jsonl"
    ctl = Controller.connect(site.map, audit, mode="act", clock=clock)
    try:
        site.modbus.stop()
        with pytest.raises(
            HardwareError, match=r"modbus 127\.0\.0\.1:\d+ unit 1: read 'room_02.temp'"
        ):
            ctl.read()
        clock.offset += 120
        recs = ctl.step({"room_02.heat": 21.0, "lobby.heat": 21.0})
        assert recs[0].decision == "failed" and "write failed: modbus" in recs[0].reason
        assert recs[1].decision == "accepted"
        assert ctl.health["modbus"] is not None
    finally:
        ctl.close()
    log = read_audit_log(audit)
    assert [r["decision"] for r in log[:2]] == ["failed", "accepted"]
    assert sum(r["decision"] == "failed" for r in log) == 1 + 3  # + the Modbus hand-backs


def test_a_malformed_point_map_writes_nothing(site: Site, tmp_path: Path) -> None:
    text = (Path(__file__).parents[2] / "hw_adapters/examples/hotel_small_points.toml").read_text()
    text = text.replace("fail_safe = 20.0\npriority = 12", "fail_safe = 30.0\npriority = 2")
    bad = tmp_path / "site.toml"
    bad.write_text(text)
    with pytest.raises(PointMapError) as err:
        load_point_map(bad)
    lines = str(err.value).splitlines()
    where = f"{bad}: points[1] (room_01.heat)"
    assert lines == [
        f"{where}.fail_safe: fail_safe = 30.0 outside [min, max] = [16.0, 24.0]",
        f"{where}.priority: priority 2 is BACnet life safety (1-2): use 3-16, e.g. 12",
    ]
    assert site.bacnet.priority_array("room_01.heat") == [None] * 16
    assert site.modbus.writes == [] and site.mqtt.commands == []


PERSONAL = ("business", "leisure", "family", "elderly", "guest", "prefer", "@", "booking")
TOPIC = re.compile(
    r"^(homeassistant/(climate|light|select|number|sensor)/hotel-small-site_[\w\-]+/config"
    r"|twin/hotel-small/(status|[\w]+/[\w]+/(set|state)))$"
)


def test_no_personal_data_in_topics_payloads_or_registers(site: Site, tmp_path: Path) -> None:
    clock = AheadClock()
    with MqttRecorder("127.0.0.1", site.broker.port) as rec:
        ctl = Controller.connect(site.map, tmp_path / "audit.jsonl", mode="act", clock=clock)
        clock.offset += 120
        ctl.step({"lobby.heat": 21.0, "lobby.genre": 1, "lobby.light": 400.0, "room_02.heat": 21.0,
                  "lobby_screen.content": 2})  # fmt: skip
        ctl.close()
        assert wait(lambda: any(m.payload == "offline" for m in rec.all()))
        messages = rec.all()
    assert messages
    for m in messages:
        assert TOPIC.match(m.topic), m.topic
        text = (m.topic + " " + m.payload).lower()
        assert not any(word in text for word in PERSONAL), m
        if m.topic.endswith("/config"):
            continue
        if m.payload.startswith("{"):
            assert set(json.loads(m.payload)) <= {"state", "brightness", "color_temp", "color_mode"}
        elif m.payload not in ("online", "offline"):
            float(m.payload)  # a bare number
    # Modbus carries numbers in mapped registers only; BACnet objects are named by point
    assert {w.point for w in site.modbus.writes} <= {p.name for p in site.map.points}
