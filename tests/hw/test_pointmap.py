from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

import pytest

from hw_adapters.pointmap import (
    PointMap,
    check_covers,
    load_point_map,
    zone_requirements,
)
from hw_adapters.testing.site import EXAMPLE_MAP
from twin.errors import PointMapError


def raw() -> dict[str, Any]:
    return tomllib.loads(EXAMPLE_MAP.read_text())


def problems(data: dict[str, Any]) -> list[str]:
    with pytest.raises(PointMapError) as err:
        PointMap.from_dict(data, source="site.toml")
    return str(err.value).splitlines()


def point(data: dict[str, Any], name: str) -> dict[str, Any]:
    return next(p for p in data["points"] if p["name"] == name)


def test_example_map_loads_and_round_trips_through_json(tmp_path: Path) -> None:
    pm = load_point_map(EXAMPLE_MAP)
    assert {p.protocol for p in pm.points} == {"mqtt", "modbus", "bacnet"}
    assert pm.zones() == ("lobby", "room_01", "room_02")
    saved = tmp_path / "site.json"
    saved.write_text(pm.to_json())
    assert load_point_map(saved) == pm


def test_each_problem_is_one_line_naming_point_and_field() -> None:
    data = raw()
    point(data, "room_01.heat")["quantity"] = "heat_setpoint_f"
    point(data, "room_01.temp")["writable"] = True
    cool = point(data, "room_02.cool")
    cool["min"], cool["max"] = 28.0, 20.0
    point(data, "lobby.volume")["fail_safe"] = 90.0
    point(data, "room_01.cool")["priority"] = 1
    point(data, "lobby.genre")["name"] = "lobby.volume"
    lines = problems(data)
    expected = [
        "points[1] (room_01.heat).quantity: unknown quantity 'heat_setpoint_f'",
        "points[0] (room_01.temp).writable: writable sensor",
        "points[5] (room_02.cool).max: min = 28.0 >= max = 20.0",
        "points[13] (lobby.volume).fail_safe: fail_safe = 90.0 outside [min, max] = [35.0, 65.0]",
        "points[2] (room_01.cool).priority: priority 1 is BACnet life safety",
        "points[13] (lobby.volume).name: duplicate of points[12]",
    ]
    assert len(lines) == len(expected), lines
    for want in expected:
        assert sum(want in line for line in lines) == 1, (want, lines)
    assert all(line.startswith("site.toml: ") for line in lines)


def test_duplicate_addresses_and_overlapping_registers() -> None:
    data = raw()
    point(data, "room_01.cool")["bacnet"] = {"object_type": "analog-value", "instance": 1}
    point(data, "room_02.mode")["modbus"] = {"register_type": "holding", "address": 1}
    lines = problems(data)
    assert any("(room_01.cool): same bacnet address as point 'room_01.heat'" in x for x in lines)
    overlap = "(room_02.mode): holding register 1 overlaps point 'room_02.heat'"
    assert any(overlap in x for x in lines)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"priority": 8}, "would beat operator overrides"),
        ({"stale_after_s": 5.0}, "stale_after_s is for sensors"),
        ({"protocol": "modbus"}, "protocol = 'modbus' needs a modbus"),
        ({"unit": "degF"}, "heat_setpoint_c is in 'degC'"),
        ({"scale": 0.0}, "scale must not be 0"),
        ({"fail_safe": None}, "needs fail_safe"),
    ],
)
def test_point_rules(change: dict[str, Any], message: str) -> None:
    data = raw()
    p = point(data, "room_01.heat")
    for key, value in change.items():
        if value is None:
            p.pop(key)
        else:
            p[key] = value
    assert any(message in line for line in problems(data)), problems(data)


def test_enum_points_need_whole_bounds_and_one_label_per_index() -> None:
    data = raw()
    genre = point(data, "lobby.genre")
    genre["options"] = ["ambient", "jazz"]
    assert any("2 options for indices 0..3" in x for x in problems(data))
    genre["options"] = ["a", "b", "c", "d"]
    genre["max"] = 2.5
    assert any("must be whole numbers" in x for x in problems(data))


def test_fail_safe_set_points_respect_the_deadband() -> None:
    data = raw()
    data["envelope"]["min_deadband_k"] = 5.0
    assert any("below the deadband 5 K" in x for x in problems(data))


def test_coverage_names_every_missing_point() -> None:
    pm = load_point_map(EXAMPLE_MAP)
    need = zone_requirements(["room_01", "room_02", "lobby", "spa"])
    need["lobby"].append("music_genre")
    need["room_01"].append("light_lux")
    assert pm.coverage(need) == [
        "room_01: no writable point for light_lux",
        "spa: no writable point for heat_setpoint_c",
        "spa: no writable point for cool_setpoint_c",
        "spa: no sensor point for temperature_c",
    ]
    with pytest.raises(PointMapError, match="spa: no sensor point for temperature_c"):
        check_covers(pm, need)
    check_covers(pm, zone_requirements(pm.zones()))


def test_secrets_come_from_a_file_or_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = raw()
    secret = tmp_path / "mqtt.pw"
    secret.write_text("s3cret\n")
    text = EXAMPLE_MAP.read_text().replace(
        'topic_prefix = "twin/hotel-small"',
        'topic_prefix = "twin/hotel-small"\nusername = "twin"\npassword_file = "mqtt.pw"',
    )
    (tmp_path / "site.toml").write_text(text)
    pm = load_point_map(tmp_path / "site.toml")
    assert pm.mqtt is not None and pm.mqtt.password() == "s3cret"
    d2 = copy.deepcopy(data)
    d2["mqtt"].update(username="twin", password_env="TWIN_TEST_MQTT_PW")
    pm2 = PointMap.from_dict(d2)
    assert pm2.mqtt is not None
    monkeypatch.delenv("TWIN_TEST_MQTT_PW", raising=False)
    with pytest.raises(PointMapError, match="TWIN_TEST_MQTT_PW.*not set"):
        pm2.mqtt.password()
    monkeypatch.setenv("TWIN_TEST_MQTT_PW", "x")
    assert pm2.mqtt.password() == "x"


def test_bad_files_give_one_clear_line(tmp_path: Path) -> None:
    with pytest.raises(PointMapError, match="no such point map file"):
        load_point_map(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("name = \n")
    with pytest.raises(PointMapError, match="not valid TOML"):
        load_point_map(bad)
