"""Store scenario validation: the shipped stores load, every mistake gives one clear line."""

from __future__ import annotations

import math
import tomllib

import pytest

from tests.conftest import SCENARIOS, run_cli
from tests.test_scenario import BASE, _float_leaves, _replaced
from twin.errors import ScenarioError
from twin.scenario import Behaviour, Scenario, load_scenario
from twin.scenario.store import open_fractions, parse_map

SMALL = (SCENARIOS / "store_small.toml").read_text()
SMALL_MAP = """##############
#PPP..DDD..BB#
#............#
#SSS..HHH..BB#
#SSS..HHH....#
#............#
#..C..C......#
###E##########"""
STORES = ("store.toml", "store_small.toml")


@pytest.mark.parametrize("name", STORES)
def test_shipped_store_loads_and_round_trips(name):
    s = load_scenario(SCENARIOS / name)
    assert s.venue == "store" and s.store is not None
    again = Scenario.from_json(s.to_json())
    assert again == s and again.to_json() == s.to_json()
    assert again.store.floor.legend == s.store.floor.legend
    assert again.store.segments[0].category_affinity == s.store.segments[0].category_affinity


def test_shipped_store_is_the_store_the_brief_describes():
    s = load_scenario(SCENARIOS / "store.toml")
    store = s.store
    assert 10 <= len(store.categories) <= 14
    assert all(3 <= len(c.prices) <= 5 for c in store.categories)
    assert 4 <= len(store.music) <= 6 and 8 <= len(store.displays) <= 10
    assert len(store.floor.cells_of("checkout")) == 6 and store.checkout.lanes == 4  # 4 staffed
    assert 3 <= len(store.segments) <= 5
    assert 5 <= len(s.zones) <= 6 and all(z.count == 1 and z.kind == "retail" for z in s.zones)
    assert s.simulation.step_minutes == 1
    assert s.simulation.start.hour == 7 and s.simulation.n_steps == 14.5 * 60
    # peak arrivals ~2-2.5 per minute on the simulated weekday
    weekday = s.simulation.start.weekday()
    peak = max(store.arrival_rate(weekday, h) for h in range(24)) / 60
    assert 2.0 <= peak <= 2.5


def test_every_behaviour_value_of_the_shipped_store_has_a_source():
    behaviour = load_scenario(SCENARIOS / "store.toml").store.behaviour
    fields = set(Behaviour.model_fields) - {"sources"}
    assert set(behaviour.sources) == fields
    for name, source in behaviour.sources.items():
        assert len(source) > 8, name
    # the defaults carry their sources in the field descriptions (and the JSON schema)
    assert all(Behaviour.model_fields[name].description for name in fields)


def write(tmp_path, text):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    return path


def one_line_error(tmp_path, text):
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    message = str(info.value)
    assert len(message.splitlines()) == 1, message
    assert message.startswith(f"{path}: "), message
    return message


def with_map(rows: str) -> str:
    assert SMALL_MAP in SMALL
    return SMALL.replace(SMALL_MAP, rows)


CUT_OFF_BAKERY = """##############
#PPP..DDD.#BB#
#.........####
#SSS..HHH.#BB#
#SSS..HHH.####
#............#
#..C..C......#
###E##########"""
CUT_OFF_LANE = """##############
#PPP..DDD..BB#
#............#
#SSS..HHH..BB#
#SSS..HHH..###
#..........#C#
#..C.......###
###E##########"""
CUT_OFF_AISLE = """##############
#PPP..DDD..BB#
#............#
#SSS..HHH..BB#
#SSS..HHH..###
#..........#.#
#..C..C....###
###E##########"""

CASES = {
    "unknown map character": (
        with_map(SMALL_MAP.replace("#..C..C", "#..C.qC")),
        ["store.floor.map", "character 'q' at row 6, col 5", "not in the legend", "legend keys"],
    ),
    "ragged rows": (
        with_map(SMALL_MAP.replace("#SSS..HHH....#", "#SSS..HHH.....#")),
        ["store.floor.map", "row 4 has 15 characters but row 0 has 14"],
    ),
    "legend key of two characters": (
        SMALL.replace('"#" = { kind = "wall" }', '"##" = { kind = "wall" }'),
        ["store.floor.legend", "key '##' must be a single visible character"],
    ),
    "legend category not in categories": (
        SMALL.replace('category = "produce", zone', 'category = "fruit", zone'),
        ["store: floor.legend['P'].category = 'fruit' is not a category", "produce"],
    ),
    "category without section cells": (
        SMALL + '\n[[store.categories]]\nname = "frozen"\nprices = [2.99]\n',
        ["store: categories[5] (frozen) has no section cells in floor.map"],
    ),
    "legend zone that is no zone group": (
        SMALL.replace(
            'category = "produce", zone = "fresh"', 'category = "produce", zone = "back"'
        ),
        ["store.floor.legend['P'].zone = 'back'", "no [[zones]] group", "fresh, front"],
    ),
    "legend zone of a group with count > 1": (
        SMALL.replace(
            'name = "fresh"\nkind = "retail"', 'name = "fresh"\nkind = "retail"\ncount = 2'
        ),
        ["store.floor.legend['P'].zone = 'fresh'", "count = 2", "count = 1: front"],
    ),
    "section without category": (
        SMALL.replace('category = "snacks", zone = "front"', 'zone = "front"'),
        ["store.floor.legend.S", "kind = 'section' needs a category"],
    ),
    "wall with a zone": (
        SMALL.replace('"#" = { kind = "wall" }', '"#" = { kind = "wall", zone = "front" }'),
        ["store.floor.legend['#']", "walls belong to no zone"],
    ),
    "no entrance": (
        with_map(SMALL_MAP.replace("###E###", "#######")),
        ["store.floor.map: has no entrance cell"],
    ),
    "no checkout": (
        with_map(SMALL_MAP.replace("#..C..C", "#......")),
        ["store.floor.map: has no checkout cell"],
    ),
    "unreachable section": (
        with_map(CUT_OFF_BAKERY),
        ["store.floor.map: sections not reachable from the entrance: bakery"],
    ),
    "unreachable checkout": (
        with_map(CUT_OFF_LANE),
        ["store.floor.map: checkout cells at (5, 12) are not reachable from the entrance"],
    ),
    "unreachable aisle": (
        with_map(CUT_OFF_AISLE),
        ["store.floor.map: cells at (5, 12) are not reachable from the entrance"],
    ),
    "display outside the map": (
        SMALL.replace("at = [6, 1]", "at = [9, 1]"),
        ["store: displays[0].at = [9, 1] (entrance_screen) is outside the map of 8 rows x 14"],
    ),
    "display on a wall": (
        SMALL.replace("at = [6, 1]", "at = [0, 4]"),
        ["store: displays[0].at = [0, 4] (entrance_screen) is on a wall ('#')"],
    ),
    "display promoting an unknown category": (
        SMALL.replace(
            'category = "dairy"\n\n[[store.segments]]', 'category = "milk"\n\n[[store.segments]]'
        ),
        ["store: displays[1].category = 'milk' is not a category"],
    ),
    "more lanes than checkout cells": (
        SMALL.replace("lanes = 2", "lanes = 3"),
        ["store: checkout.lanes = 3 exceeds the 2 checkout cells in floor.map"],
    ),
    "distribution with low > high": (
        SMALL.replace(
            "pref_temp_c = { mean = 20.5, sd = 1.0, low = 17.0, high = 24.0 }",
            "pref_temp_c = { mean = 20.5, sd = 1.0, low = 25.0, high = 24.0 }",
        ),
        ["store.segments[0].pref_temp_c", "low = 25.0 must not exceed high = 24.0"],
    ),
    "impulse outside 0..1": (
        SMALL.replace(
            "impulse = { mean = 0.35, sd = 0.15, low = 0.0, high = 1.0 }",
            "impulse = { mean = 0.35, sd = 0.15, low = 0.0, high = 1.5 }",
        ),
        ["store.segments[0]: impulse.high = 1.5 must be <= 1.0"],
    ),
    "unknown behaviour source": (
        SMALL + '\n[store.behaviour.sources]\ndwell_mins = "Milliman 1982"\n',
        ["store.behaviour.sources", "unknown field 'dwell_mins'", "dwell_min"],
    ),
    "unknown genre in a liking": (
        SMALL.replace("genre_liking = { pop = 0.7,", "genre_liking = { rock = 0.7,"),
        ["store: segments[0].genre_liking (commuters): unknown rock", "ambient, pop"],
    ),
    "unknown category in an affinity": (
        SMALL.replace("category_affinity = { bakery = 0.5,", "category_affinity = { cakes = 0.5,"),
        ["store: segments[0].category_affinity (commuters): unknown cakes", "produce"],
    ),
    "store section in a building scenario": (
        SMALL.replace('venue = "store"', 'venue = "building"'),
        ["a [store] section is only valid with venue = 'store', not 'building'"],
    ),
    "nobody arrives while open": (
        SMALL.replace(
            "rate_per_hour = 90",
            "rate_per_hour = 90\nhour_profile = [" + ", ".join(["0"] * 12 + ["1"] * 12) + "]",
        ),
        ["store: arrivals.hour_profile is 0 in every opening hour"],
    ),
    "no segment for an open hour": (
        SMALL.replace('name = "seniors"\nshare = 0.4', 'name = "seniors"\nshare = 0.0').replace(
            'name = "commuters"\nshare = 0.6',
            'name = "commuters"\nshare = 0.6\nhour_profile = ['
            + ", ".join(["1"] * 10 + ["0"] * 14)
            + "]",
        ),
        ["store: segments: no segment arrives at hour 10", "arrivals.hour_profile[10]"],
    ),
    "closing before opening": (
        SMALL.replace("opening_hours = [9, 11]", "opening_hours = [11, 9]"),
        ["store: opening_hours = [11.0, 9.0]: opening must be before closing"],
    ),
    "repeated category": (
        SMALL.replace('name = "household"\nprices', 'name = "snacks"\nprices'),
        ["store: category names must be unique; repeated: snacks"],
    ),
    "inverted volume range": (
        SMALL.replace("volume_range_db = [40, 75]", "volume_range_db = [75, 40]"),
        ["store: volume_range_db = [75.0, 40.0]: low must be below high"],
    ),
    "appeal of the wrong length": (
        SMALL.replace("appeal = [0.3, 0.0, -0.2]", "appeal = [0.3, 0.0]"),
        ["store.categories[2]: appeal has 2 values but prices has 3"],
    ),
    "tempo out of range": (
        SMALL.replace("tempo_bpm = 110", "tempo_bpm = 300"),
        ["store.music[1].tempo_bpm = 300", "<= 220"],
    ),
    "cell size out of range": (
        SMALL.replace("cell_m = 2.0", "cell_m = 0.2"),
        ["store.floor.cell_m = 0.2", "> 0.25"],
    ),
}


@pytest.mark.parametrize("case", list(CASES), ids=lambda c: c.replace(" ", "_"))
def test_each_store_mistake_gives_one_clear_line(tmp_path, case):
    text, must_contain = CASES[case]
    assert text != SMALL, "the edit did not apply"
    message = one_line_error(tmp_path, text)
    for part in must_contain:
        assert part in message, message


def test_store_venue_without_store_section(tmp_path):
    message = one_line_error(tmp_path, 'venue = "store"\n' + BASE)
    assert "venue = 'store' needs a [store] section" in message


def test_a_store_mistake_through_the_real_cli(tmp_path):
    path = write(tmp_path, with_map(CUT_OFF_BAKERY))
    res = run_cli("check", str(path))
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "not reachable from the entrance: bakery" in lines[0], lines
    ok = run_cli("check", str(SCENARIOS / "store_small.toml"))
    assert ok.returncode == 0 and "store scenario 'store-small'" in ok.stdout


@pytest.mark.parametrize("bad", [math.inf, -math.inf, math.nan], ids=str)
def test_every_float_of_the_small_store_must_be_finite(bad):
    data = tomllib.loads(SMALL)
    leaves = list(_float_leaves(data))
    assert sum(path.startswith("store.") for path, _ in leaves) > 60
    for path, _ in leaves:
        with pytest.raises(ScenarioError) as info:
            Scenario.from_dict(_replaced(data, path, bad))
        lines = str(info.value).splitlines()
        assert len(lines) == 1, (path, lines)
        assert f"{path} = {bad}" in lines[0] and "finite" in lines[0], (path, lines)


def test_store_floats_of_the_full_store_must_be_finite():
    data = tomllib.loads((SCENARIOS / "store.toml").read_text())
    leaves = [path for path, _ in _float_leaves(data) if path.startswith("store.")]
    assert len(leaves) > 200
    for path in leaves:
        with pytest.raises(ScenarioError) as info:
            Scenario.from_dict(_replaced(data, path, math.nan))
        assert str(info.value) == f"<dict>: {path} = nan: input should be a finite number"


def test_parse_map_ignores_blank_edges_and_trailing_spaces():
    assert parse_map("\n\n  ##  \n  #E   \n\n") == ("  ##", "  #E")
    with pytest.raises(ValueError, match="the map is empty"):
        parse_map("\n   \n")
    with pytest.raises(ValueError, match="row 1 has 3 characters but row 0 has 4"):
        parse_map("####\n#E#\n")


def test_arrival_rate_brings_rate_per_hour_on_an_average_day():
    store = load_scenario(SCENARIOS / "store.toml").store
    days = store.arrivals.day_of_week
    open_h = store.opening_hours[1] - store.opening_hours[0]
    per_day = [sum(store.arrival_rate(d, h) for h in range(24)) for d in range(7)]
    assert sum(per_day) / 7 == pytest.approx(store.arrivals.rate_per_hour * open_h)
    assert per_day[6] == 0 and days[6] == 0  # closed on Sundays
    assert all(store.arrival_rate(0, h) == 0 for h in (7, 21, 22))
    # a store opening at half past gets half of that hour's arrivals
    half = store.model_copy(update={"opening_hours": (8.5, 21.0)})
    assert open_fractions(half.opening_hours)[8] == 0.5
    assert sum(half.arrival_rate(2, h) for h in range(24)) == pytest.approx(
        store.arrivals.rate_per_hour * 12.5 * days[2] / (sum(days) / 7)
    )


def test_segment_mix_follows_the_segments_hour_profiles():
    store = load_scenario(SCENARIOS / "store.toml").store
    names = [s.name for s in store.segments]
    for h in range(24):
        assert sum(store.segment_mix(h)) == pytest.approx(1.0)
    morning, evening = store.segment_mix(9), store.segment_mix(18)
    assert max(range(len(names)), key=morning.__getitem__) == names.index("seniors")
    assert evening[names.index("commuters")] > 2 * evening[names.index("seniors")]
    # bargain hunters have no hour profile: they arrive in the same mix at any hour
    assert store.segment_mix(3) == (0.0, 0.0, 0.0, 0.0, 1.0)
    # where no segment arrives (a closed hour), the plain shares are returned
    profile = store.segments[0].hour_profile
    segments = tuple(s.model_copy(update={"hour_profile": profile}) for s in store.segments)
    shares = [s.share for s in segments]
    closed = store.model_copy(update={"segments": segments})
    assert closed.segment_mix(3) == pytest.approx([x / sum(shares) for x in shares])


def test_scenario_json_schema_includes_the_store():
    schema = Scenario.model_json_schema()
    assert "Store" in schema["$defs"] and "LegendEntry" in schema["$defs"]
    described = schema["$defs"]["Behaviour"]["properties"]["dwell_per_bpm"]["description"]
    assert "Milliman 1982" in described
