"""Hotel scenario validation: one clear line per mistake."""

from __future__ import annotations

import pytest

from tests.conftest import SCENARIOS, run_cli
from twin.errors import ScenarioError
from twin.scenario import load_scenario

SMALL = (SCENARIOS / "hotel_small.toml").read_text()


@pytest.mark.parametrize(
    ("old", "new", "must_contain"),
    [
        ("rate_per_day = 4.5", "rate_per_day = -3", ["hotel.arrivals.rate_per_day = -3", ">= 0"]),
        (
            'name = "business"\nshare = 0.45',
            'name = "business"\nshare = 0.5',
            ["hotel", "shares must sum to 1", "1.05"],
        ),
        ("business = 0.15", "businesss = 0.15", ["unknown segment businesss", "known segments"]),
        ("staff = 1", "staff = 0", ["hotel.front_desk.staff = 0", ">= 1"]),
        ("party_size = [3, 5]", "party_size = [5, 3]", ["party_size = [5, 3]", "minimum exceeds"]),
        ('venue = "hotel"', 'venue = "building"', ["only valid with venue = 'hotel'"]),
        (
            "pref_temp_c = { mean = 21.0, sd = 1.0, low = 18.0, high = 24.5 }",
            "pref_temp_c = { mean = 30.0, sd = 1.0, low = 18.0, high = 24.5 }",
            ["hotel.segments[0].pref_temp_c", "mean = 30.0 must lie within"],
        ),
    ],
)
def test_bad_hotel_values_give_one_clear_line(tmp_path, old, new, must_contain):
    assert old in SMALL
    path = tmp_path / "bad.toml"
    path.write_text(SMALL.replace(old, new, 1))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    message = str(info.value)
    assert len(message.splitlines()) == 1, message
    for part in must_contain:
        assert part in message, message
    res = run_cli("check", str(path))
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert len([ln for ln in res.stderr.splitlines() if ln.strip()]) == 1
