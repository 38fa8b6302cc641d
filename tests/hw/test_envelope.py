"""The envelope and controller logic, on in-memory adapters (no devices)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from hw_adapters.audit import read_audit_log
from hw_adapters.controller import Controller, point_commands
from hw_adapters.pointmap import load_point_map
from hw_adapters.testing.site import EXAMPLE_MAP
from tests.hw.fakes import FakeAdapter
from twin.interface import Commands


class Clock:
    def __init__(self) -> None:
        self.t = 1_000_000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fakes(clock: Clock) -> dict[str, FakeAdapter]:
    pm = load_point_map(EXAMPLE_MAP)
    out = {proto: FakeAdapter(proto) for proto in ("mqtt", "modbus", "bacnet")}
    for p in pm.points:
        value = p.fail_safe if p.writable else 21.0
        assert value is not None
        out[p.protocol].set(p.name, value, clock.t)
    return out


def tick(ctl: Controller, fakes: dict[str, FakeAdapter], clock: Clock, seconds: float) -> None:
    """Let time pass; the sensors report fresh temperatures."""
    clock.t += seconds
    for f in fakes.values():
        for name in list(f.values):
            if name.endswith(".temp"):
                f.set(name, f.values[name], clock.t)
    ctl.refresh()


def make(
    fakes: dict[str, FakeAdapter], tmp_path: Path, clock: Clock, mode: str = "act"
) -> Controller:
    pm = load_point_map(EXAMPLE_MAP)
    return Controller(pm, fakes, tmp_path / "audit.jsonl", mode=mode, clock=clock, heartbeat=False)


def test_out_of_envelope_commands_are_rejected_with_reasons_never_clipped(
    fakes: dict[str, FakeAdapter], tmp_path: Path, clock: Clock
) -> None:
    ctl = make(fakes, tmp_path, clock)
    clock.t += 60  # one minute: set-points may move 0.5 K
    ctl.refresh()
    bad = {
        "room_01.heat": math.nan,
        "room_02.heat": math.inf,
        "lobby.heat": 1e9,
        "room_02.cool": 26.0,  # 2 K in a minute: too fast
        "lobby.genre": 1.5,
        "lobby_screen.content": 7.0,
        "room_01.temp": 22.0,  # a sensor
    }
    records = ctl.apply(bad)
    reasons = {r.point: r.reason for r in records}
    assert all(r.decision == "rejected" and r.sent is None for r in records)
    assert reasons["room_01.heat"].startswith("not finite")
    assert reasons["room_02.heat"].startswith("not finite")
    assert reasons["lobby.heat"].startswith("out of bounds: 1e+09 not in [16, 24]")
    assert reasons["room_02.cool"].startswith("rate: change 2 from 24 in 60.0 s exceeds 0.5/min")
    assert reasons["lobby.genre"].startswith("not an index")
    assert reasons["lobby_screen.content"].startswith("out of bounds")
    assert reasons["room_01.temp"].startswith("read-only point")
    assert all(not f.writes for f in fakes.values())
    ctl.close()
    log = read_audit_log(tmp_path / "audit.jsonl")
    assert [r["point"] for r in log[: len(bad)]] == list(bad)
    assert log[0]["requested"] == "nan" and log[1]["requested"] == "inf"


def test_deadband_rejects_both_set_points_of_the_zone(
    fakes: dict[str, FakeAdapter], tmp_path: Path, clock: Clock
) -> None:
    ctl = make(fakes, tmp_path, clock)
    clock.t += 600
    ctl.refresh()
    recs = ctl.apply({"room_02.heat": 23.0, "room_02.cool": 23.5})
    assert [r.decision for r in recs] == ["rejected", "rejected"]
    assert "deadband: cool 23.5 - heat 23 = 0.5 K < 1 K in 'room_02'" in recs[0].reason
    # against the cool value in force (24) a heat of 23.5 is too close as well
    assert ctl.apply({"room_02.heat": 23.5})[0].reason.startswith("deadband")
    ok = ctl.apply({"room_02.heat": 22.0, "room_02.cool": 25.0})
    assert [r.decision for r in ok] == ["accepted", "accepted"]
    assert fakes["modbus"].writes == [("room_02.heat", 22.0), ("room_02.cool", 25.0)]


def test_rate_limit_counts_from_the_last_value_sent(
    fakes: dict[str, FakeAdapter], tmp_path: Path, clock: Clock
) -> None:
    ctl = make(fakes, tmp_path, clock)
    clock.t += 120
    ctl.refresh()
    assert ctl.apply({"room_01.heat": 21.0})[0].decision == "accepted"  # 1 K in 2 min
    clock.t += 60
    ctl.refresh()
    assert ctl.apply({"room_01.heat": 22.0})[0].decision == "rejected"  # 1 K in 1 min
    assert ctl.apply({"room_01.heat": 21.5})[0].decision == "accepted"


def test_stale_sensor_sends_the_zone_to_fail_safe(
    fakes: dict[str, FakeAdapter], tmp_path: Path, clock: Clock
) -> None:
    ctl = make(fakes, tmp_path, clock)
    clock.t += 601  # the readings are now older than stale_after_s = 600
    recs = ctl.apply({"room_01.heat": 20.5, "room_01.cool": 24.5})
    assert [(r.decision, r.sent) for r in recs] == [("fallback", 20.0), ("fallback", 24.0)]
    assert "stale sensor: 'room_01.temp' is 601.0 s old (> 600 s)" in recs[0].reason
    assert fakes["bacnet"].writes == [("room_01.heat", 20.0), ("room_01.cool", 24.0)]
    tick(ctl, fakes, clock, 60)
    assert ctl.apply({"room_01.heat": 20.5})[0].decision == "accepted"


def test_override_locks_the_point_out_of_policy_control(
    fakes: dict[str, FakeAdapter], tmp_path: Path, clock: Clock
) -> None:
    ctl = make(fakes, tmp_path, clock)
    clock.t += 600
    ctl.refresh()
    assert ctl.override("lobby.heat", 22.0).decision == "accepted"
    rec = ctl.apply({"lobby.heat": 21.0})[0]
    assert rec.decision == "rejected" and rec.reason.startswith("override")
    assert ctl.override("lobby.heat", 40.0).decision == "rejected"  # operators keep bounds
    ctl.release_override("lobby.heat")
    tick(ctl, fakes, clock, 120)
    assert ctl.apply({"lobby.heat": 21.0})[0].decision == "accepted"
    assert fakes["mqtt"].writes == [("lobby.heat", 22.0), ("lobby.heat", 21.0)]


@pytest.mark.parametrize("mode", ["dry-run", "shadow"])
def test_dry_run_and_shadow_write_nothing_but_log_everything(
    fakes: dict[str, FakeAdapter], tmp_path: Path, clock: Clock, mode: str
) -> None:
    ctl = make(fakes, tmp_path, clock, mode=mode)
    clock.t += 600
    fakes["modbus"].set("room_02.heat", 19.0, clock.t)  # the site's own control moved it
    ctl.refresh()
    recs = ctl.apply({"room_02.heat": 21.0, "lobby.heat": 99.0})
    ctl.close()
    assert all(not f.writes and not f.relinquished for f in fakes.values())
    assert [r.decision for r in recs] == ["accepted", "rejected"]
    assert recs[0].sent is None and recs[0].mode == mode
    if mode == "shadow":
        assert recs[0].site == 19.0
        assert "policy wants 21, site holds 19, difference +2" in recs[0].reason
    else:
        assert "dry-run: would send 21" in recs[0].reason


def test_close_hands_every_point_back_and_audit_log_is_append_only(
    fakes: dict[str, FakeAdapter], tmp_path: Path, clock: Clock
) -> None:
    ctl = make(fakes, tmp_path, clock)
    ctl.close()
    ctl.close()  # idempotent
    assert sorted(fakes["bacnet"].relinquished) == ["room_01.cool", "room_01.heat"]
    assert all(f.closed for f in fakes.values())
    first = (tmp_path / "audit.jsonl").read_text()
    n_writable = sum(p.writable for p in load_point_map(EXAMPLE_MAP).points)
    assert len(first.splitlines()) == n_writable
    ctl2 = make(fakes, tmp_path, clock)
    ctl2.apply({"lobby.heat": 20.0})
    ctl2.close()
    second = (tmp_path / "audit.jsonl").read_text()
    assert second.startswith(first) and len(second.splitlines()) == 2 * n_writable + 1
    for line in second.splitlines():
        rec = json.loads(line)
        assert set(rec) == {"time", "point", "requested", "sent", "mode", "decision", "reason",
                            "source", "site", "latency_ms"}  # fmt: skip


def test_failed_writes_are_audited_not_lost(
    fakes: dict[str, FakeAdapter], tmp_path: Path, clock: Clock
) -> None:
    ctl = make(fakes, tmp_path, clock)
    clock.t += 600
    ctl.refresh()
    fakes["modbus"].fail = True
    rec = ctl.apply({"room_02.heat": 21.0})[0]
    assert rec.decision == "failed" and "fake modbus: down" in rec.reason
    assert ctl.health["modbus"] is None
    ctl.refresh()
    assert ctl.health["modbus"] == "fake modbus: down"


def test_point_commands_maps_twin_commands_onto_points() -> None:
    pm = load_point_map(EXAMPLE_MAP)
    zones = ["room_01", "room_02", "lobby"]
    cmd = Commands(
        heat_setpoint_c=np.array([[20.5, 21.0, 19.5]]),
        cool_setpoint_c=np.array([[24.5, 25.0, 25.5]]),
        light_lux=np.array([[0.0, 0.0, 400.0]]),
        light_cct_k=np.array([[3000.0, 3000.0, 4000.0]]),
        venue={"music_genre": np.array([[0, 0, 2]]), "display_category": np.array([[1]])},
    )
    got = point_commands(pm, cmd, zones, display_names=["lobby_screen"])
    assert got["room_01.heat"] == 20.5 and got["lobby.cool"] == 25.5
    assert got["lobby.light"] == 400.0 and got["lobby.genre"] == 2.0
    assert got["lobby_screen.content"] == 1.0
    assert "lobby.volume" not in got and "room_02.mode" not in got
