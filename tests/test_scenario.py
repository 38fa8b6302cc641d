"""Scenario files: validation errors name the field, the value and what is valid."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import SCENARIOS
from twin.building import build_building
from twin.errors import ScenarioError
from twin.scenario import Scenario, load_scenario

SHIPPED = sorted(SCENARIOS.glob("*.toml"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_scenarios_load_and_round_trip(path):
    s = load_scenario(path)
    again = Scenario.from_json(s.to_json())
    assert again == s
    assert again.to_json() == s.to_json()
    assert build_building(s).n_zones == s.n_zones


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "s.toml"
    p.write_text(text)
    return p


BASE = """
name = "t"
[[zones]]
name = "room"
floor_area_m2 = 20
exterior_wall_area_m2 = 8
window_area_m2 = 2
"""


def error_of(tmp_path: Path, text: str) -> str:
    with pytest.raises(ScenarioError) as info:
        load_scenario(write(tmp_path, text))
    return str(info.value)


def test_minimal_scenario_gets_defaults(tmp_path):
    s = load_scenario(write(tmp_path, BASE))
    assert s.n_zones == 1 and s.simulation.step_minutes == 15


@pytest.mark.parametrize(
    ("edit", "must_contain"),
    [
        (("floor_area_m2 = 20", "floor_area_m2 = -5"), ["zones[0].floor_area_m2 = -5", "> 0"]),
        (("floor_area_m2 = 20", 'floor_area_m2 = "20"'), ["zones[0].floor_area_m2", "'20'"]),
        (
            ("window_area_m2 = 2", "window_area_m2 = 2\nwindow_aera = 3"),
            ["zones[0].window_aera", "unknown key", "window_area_m2"],
        ),
        (
            ('name = "room"', 'name = "room"\nheating_capacity_w_m2 = 0'),
            ["zones[0].heating_capacity_w_m2 = 0", "> 0"],
        ),
        (('name = "room"', 'name = "room"\nu_wall_w_m2k = -0.3'), ["zones[0].u_wall_w_m2k = -0.3"]),
        (
            ('name = "room"', 'name = "room"\nconstruction = "medium_heavy"'),
            ["zones[0].construction", "medium_heavy", "'heavy'"],
        ),
        (
            ('name = "t"', 'name = "t"\n[simulation]\nhorizon_days = 0'),
            ["simulation.horizon_days = 0", "> 0"],
        ),
        (
            ('name = "t"', 'name = "t"\n[simulation]\nstep_minutes = 7'),
            ["simulation", "step_minutes = 7", "must divide an hour"],
        ),
        (
            (
                'name = "t"',
                'name = "t"\n[thermostat]\nheating_setpoint_c = 25\ncooling_setpoint_c = 20',
            ),
            ["thermostat", "inverted"],
        ),
        (('name = "t"', 'name = "t"\n[weather]\nkind = "tmy3"'), ["weather", "tmy3", "synthetic"]),
    ],
)
def test_bad_values_name_the_field(tmp_path, edit, must_contain):
    old, new = edit
    assert old in BASE
    message = error_of(tmp_path, BASE.replace(old, new, 1))
    for part in must_contain:
        assert part in message, message
    assert str(tmp_path / "s.toml") in message


def test_missing_required_field_and_unknown_section(tmp_path):
    msg = error_of(tmp_path, BASE.replace("floor_area_m2 = 20\n", ""))
    assert "zones[0].floor_area_m2: required field is missing" in msg
    msg = error_of(tmp_path, BASE + "\n[hvacc]\nsubsteps = 2\n")
    assert "hvacc: unknown key" in msg and "hvac" in msg


def test_unknown_key_in_tagged_weather_section_lists_valid_keys(tmp_path):
    msg = error_of(tmp_path, BASE + '\n[weather]\nkind = "synthetic"\nmean_temp = 3\n')
    assert "weather.mean_temp: unknown key" in msg and "mean_temp_c" in msg


def test_not_toml_and_missing_file(tmp_path):
    assert "not valid TOML" in error_of(tmp_path, "name = ")
    with pytest.raises(ScenarioError, match="no such scenario file"):
        load_scenario(tmp_path / "nope.toml")


def test_physically_impossible_envelope_is_rejected(tmp_path):
    s = load_scenario(write(tmp_path, BASE.replace("window_area_m2 = 2", "window_area_m2 = 400")))
    with pytest.raises(ScenarioError, match=r"zones\[0\] \(room\).*window_area_m2 = 400"):
        build_building(s)


def test_epw_path_resolves_relative_to_the_scenario(tmp_path):
    (tmp_path / "w").mkdir()
    p = tmp_path / "w" / "s.toml"
    p.write_text(BASE + '\n[weather]\nkind = "epw"\npath = "../data/site.epw"\n')
    s = load_scenario(p)
    assert s.weather.path == str((tmp_path / "data" / "site.epw").resolve())


def test_with_seed_replaces_only_the_seed(tiny):
    s = load_scenario(tiny)
    t = s.with_seed(123)
    assert t.simulation.seed == 123 and t.simulation.start == s.simulation.start
    assert t.zones == s.zones


def _float_leaves(node, path=""):
    """(field path, value) of every float in plain scenario data, lists included."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _float_leaves(value, f"{path}.{key}" if path else key)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _float_leaves(value, f"{path}[{i}]")
    elif isinstance(node, float):
        yield path, node


def _replaced(node, path, value):
    import copy
    import re

    data = copy.deepcopy(node)
    parts = re.findall(r"[^.\[\]]+|\[\d+\]", path)
    target = data
    for part in parts[:-1]:
        target = target[int(part[1:-1])] if part.startswith("[") else target[part]
    last = parts[-1]
    if last.startswith("["):
        target[int(last[1:-1])] = value
    else:
        target[last] = value
    return data


@pytest.mark.parametrize("name", ["hotel.toml", "building.toml"])
@pytest.mark.parametrize("bad", [float("inf"), float("-inf"), float("nan")], ids=str)
def test_every_float_of_a_shipped_scenario_must_be_finite(name, bad):
    import tomllib

    data = tomllib.loads((SCENARIOS / name).read_text())
    leaves = list(_float_leaves(data))
    assert len(leaves) > 30
    for path, _ in leaves:
        with pytest.raises(ScenarioError) as info:
            Scenario.from_dict(_replaced(data, path, bad))
        lines = str(info.value).splitlines()
        assert len(lines) == 1, (path, lines)
        assert f"{path} = {bad}" in lines[0] and "finite" in lines[0], (path, lines)


def test_weather_section_without_kind_is_synthetic(tmp_path):
    s = load_scenario(write(tmp_path, BASE + "[weather]\nmean_temp_c = 3.0\n"))
    assert s.weather.kind == "synthetic" and s.weather.mean_temp_c == 3.0
    assert "weather.kind = 'foo'" in error_of(tmp_path, BASE + '[weather]\nkind = "foo"\n')


@pytest.mark.parametrize(
    ("section", "zeros"),
    [
        ("twin.scenario.hotel:Satisfaction", ("weight_thermal", "weight_light", "weight_cct")),
        ("twin.scenario.home:HomeSatisfaction", ("weight_thermal", "weight_light", "weight_cct")),
        ("twin.scenario.store:StoreSatisfaction",
         ("weight_thermal", "weight_light", "weight_cct", "weight_music")),
    ],
)  # fmt: skip
def test_satisfaction_comfort_weights_must_not_all_be_zero(section, zeros):
    import importlib

    from pydantic import ValidationError

    module, _, name = section.partition(":")
    cls = getattr(importlib.import_module(module), name)
    with pytest.raises(ValidationError, match="comfort weights must not all be zero"):
        cls(**dict.fromkeys(zeros, 0.0))
    # one term left is enough (the store's music alone, too)
    assert cls(**dict.fromkeys(zeros[:-1], 0.0)).weights()[-1] > 0
