"""Home scenario validation: the shipped neighbourhoods load, and each mistake is one line."""

from __future__ import annotations

import pytest

from tests.conftest import SCENARIOS, run_cli
from twin.errors import ScenarioError
from twin.scenario import Scenario, load_scenario
from twin.scenario.home import MAX_RESIDENTS

SMALL = (SCENARIOS / "homes_small.toml").read_text()
COMMUTER_WEEKDAY = (
    "weekday = { wake_h = { mean = 6.7, sd = 0.5, low = 5.0, high = 8.5 }, "
    "leave_h = { mean = 7.7, sd = 0.5, low = 6.0, high = 9.5 }, "
    "return_h = { mean = 18.0, sd = 1.0, low = 15.0, high = 21.5 }"
)


@pytest.mark.parametrize("name", ["homes", "homes_small"])
def test_shipped_neighbourhoods_load_and_round_trip(name):
    s = load_scenario(name)
    assert s.venue == "home" and s.home is not None
    assert {z.kind for z in s.zones} >= {"living", "bedroom"}
    assert abs(sum(h.share for h in s.home.households) - 1.0) < 1e-9
    names = {h.name for h in s.home.households}
    assert names == {
        "single_commuter", "couple", "family", "retired", "shift_worker", "home_office"
    }  # fmt: skip
    assert Scenario.from_json(s.to_json()) == s


#: The mistakes the issue names are also checked through `twin check` (a subprocess each).
THROUGH_CLI = ("return_h (mean 7)", "empty household", "must not exceed", "finite")


def bad(tmp_path, old: str, new: str) -> str:
    assert old in SMALL, old
    path = tmp_path / "bad.toml"
    path.write_text(SMALL.replace(old, new, 1))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    message = str(info.value)
    assert len(message.splitlines()) == 1, message
    if not any(k in message for k in THROUGH_CLI) or "floor_area" in message or "nan" in new:
        return message
    res = run_cli("check", str(path))
    assert res.returncode == 2 and "Traceback" not in res.stderr, res.stderr
    assert len([ln for ln in res.stderr.splitlines() if ln.strip()]) == 1, res.stderr
    return message


@pytest.mark.parametrize(
    ("old", "new", "must_contain"),
    [
        (  # returning before leaving
            COMMUTER_WEEKDAY,
            COMMUTER_WEEKDAY.replace(
                "mean = 18.0, sd = 1.0, low = 15.0, high = 21.5",
                "mean = 7.0, sd = 0.5, low = 6.0, high = 9.5",
            ),
            [
                "home.households[0].members[0].weekday",
                "return_h (mean 7) is before leave_h",
                "24 + hour",
            ],
        ),
        (  # leaving before waking
            COMMUTER_WEEKDAY,
            COMMUTER_WEEKDAY.replace(
                "mean = 7.7, sd = 0.5, low = 6.0", "mean = 6.0, sd = 0.5, low = 5.0"
            ),
            ["weekday", "leave_h (mean 6) is before wake_h"],
        ),
        (  # an empty household
            'role = "adult"\ncount = [1, 1]',
            'role = "adult"\ncount = [0, 0]',
            ["home.households[0]", "empty household"],
        ),
        (  # more residents than a home holds
            'role = "child"\ncount = [1, 3]',
            'role = "child"\ncount = [1, 6]',
            ["home.households[2]", f"at most {MAX_RESIDENTS}"],
        ),
        (  # a distribution with low > high
            "pref_temp_c = { mean = 20.3, sd = 1.0, low = 17.5, high = 24.0 }",
            "pref_temp_c = { mean = 20.3, sd = 1.0, low = 24.0, high = 17.5 }",
            ["home.households[0].members[0].pref_temp_c", "low = 24.0 must not exceed high = 17.5"],
        ),
        (
            "floor_area_m2 = { mean = 120, sd = 35, low = 55, high = 260 }",
            "floor_area_m2 = { mean = 120, sd = 35, low = 300, high = 260 }",
            ["home.stock.floor_area_m2", "low = 300.0 must not exceed high = 260.0"],
        ),
        (
            "construction = { light = 0.35, medium = 0.45, heavy = 0.2 }",
            "construction = { light = 0.35, medium = 0.45, heavy = 0.3 }",
            ["home.stock", "construction: shares must sum to 1"],
        ),
        (
            'name = "couple"\nshare = 0.2',
            'name = "couple"\nshare = 0.3',
            ["home", "households: shares must sum to 1", "1.1"],
        ),
        (
            "a_increase = -6.5",
            "a_increase = inf",
            ["home.overrides.a_increase", "finite"],
        ),
        (
            "trips_per_year = 3\n",
            "trips_per_year = nan\n",
            ["home.households[0].trips_per_year", "finite"],
        ),
        (
            "wake_h = { mean = 14.5, sd = 0.6, low = 12.5, high = 16.5 }",
            "wake_h = { mean = 14.5, sd = 0.6, low = 12.5, high = 25.0 }",
            ["home.households[4].members[0].weekday", "[0, 24)"],
        ),
        ('kind = "bedroom"', 'kind = "other"', ["kind 'living' and 'bedroom'"]),
        ("n_homes = 6", "n_homes = 0", ["home.n_homes = 0", ">= 1"]),
        (
            'role = "adult"\ncount = [1, 1]',
            'role = "adult"\ncount = [1, 1]\nshoe_size = 42',
            ["shoe_size: unknown key", "valid keys here"],
        ),
    ],
)
def test_bad_home_values_give_one_clear_line(tmp_path, old, new, must_contain):
    message = bad(tmp_path, old, new)
    for part in must_contain:
        assert part in message, message


def test_a_home_section_needs_the_home_venue(tmp_path):
    message = bad(tmp_path, 'venue = "home"', 'venue = "building"')
    assert "only valid with venue = 'home'" in message


def test_a_night_shift_may_return_after_midnight():
    s = load_scenario("homes_small")
    shift = next(h for h in s.home.households if h.name == "shift_worker").members[0]
    assert shift.weekday.return_h.mean > 24 > shift.weekday.leave_h.mean
