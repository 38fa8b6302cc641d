"""Store floor plan: distances, passes, zones, displays and the Mesa space of a text map."""

from __future__ import annotations

import math
import pickle
import time
from random import Random

import mesa
import networkx as nx
import numba
import numpy as np
import pytest
from mesa.discrete_space import CellAgent

from agents.store.floorplan import (
    AISLE,
    CHECKOUT,
    ENTRANCE,
    SECTION,
    WALL,
    FloorPlan,
    _build,
    _dijkstra,
    _walking_graph,
    cell_at,
)
from tests.conftest import SCENARIOS
from twin.building import build_building
from twin.errors import ScenarioError
from twin.scenario import Scenario, load_scenario
from twin.scenario.store import parse_map

SHIPPED = ("store.toml", "store_small.toml")


def tiny_store(
    floor_map: str,
    legend: dict[str, dict[str, str]],
    categories: list[str],
    zones: list[dict[str, object]] | None = None,
    displays: list[dict[str, object]] | None = None,
    cell_m: float = 2.0,
) -> Scenario:
    """A store scenario around a hand-drawn map (everything else at its defaults)."""
    zones = zones or [{"name": "hall"}]
    return Scenario.from_dict(
        {
            "name": "tiny-store",
            "venue": "store",
            "zones": [
                {"kind": "retail", "floor_area_m2": 50, "roof_area_m2": 50, **z} for z in zones
            ],
            "store": {
                "floor": {"cell_m": cell_m, "map": floor_map, "legend": legend},
                "categories": [{"name": c, "prices": [1.0]} for c in categories],
                "music": [{"name": "pop", "tempo_bpm": 110}],
                "displays": displays or [],
                "segments": [{"name": "all", "share": 1.0}],
                "checkout": {"lanes": 1},
            },
        }
    )


def wall_and_aisle(zone: str | None = None) -> dict[str, dict[str, str]]:
    aisle = {"kind": "aisle"} if zone is None else {"kind": "aisle", "zone": zone}
    return {"#": {"kind": "wall"}, ".": aisle}


# --------------------------------------------------------------------------- reference


def reference_graph(scenario: Scenario) -> nx.Graph:
    """The walking graph built straight from the map text, independently of FloorPlan.

    8-neighbour moves in metres; a diagonal only where both cells beside it are walkable.
    """
    store = scenario.store
    rows = parse_map(store.floor.map)
    walk = {
        (r, c)
        for r, row in enumerate(rows)
        for c, ch in enumerate(row)
        if store.floor.legend[ch].kind != "wall"
    }
    graph = nx.Graph()
    graph.add_nodes_from(walk)
    for r, c in walk:
        for dr in (-1, 0, 1):
            for dc in (-1, 0, 1):
                other = (r + dr, c + dc)
                if (dr, dc) == (0, 0) or other not in walk:
                    continue
                if dr and dc and not ((r + dr, c) in walk and (r, c + dc) in walk):
                    continue
                step = math.sqrt(2) if dr and dc else 1.0
                graph.add_edge((r, c), other, weight=step * store.floor.cell_m)
    return graph


def reference_places(scenario: Scenario) -> list[list[tuple[int, int]]]:
    store = scenario.store
    rows = parse_map(store.floor.map)
    cells = [
        (r, c, store.floor.legend[ch]) for r, row in enumerate(rows) for c, ch in enumerate(row)
    ]
    places = [[(r, c) for r, c, e in cells if e.category == name] for name in store.category_names]
    places.append([(r, c) for r, c, e in cells if e.kind == "entrance"])
    places.append([(r, c) for r, c, e in cells if e.kind == "checkout"])
    return places


@pytest.mark.parametrize("name", SHIPPED)
def test_distances_match_networkx_on_the_shipped_stores(name):
    scenario = load_scenario(SCENARIOS / name)
    plan = FloorPlan.of(scenario)
    graph = reference_graph(scenario)
    places = reference_places(scenario)
    assert [sorted(map(tuple, pc.tolist())) for pc in plan.place_cells] == places
    for a, cells in enumerate(places):
        length = nx.multi_source_dijkstra_path_length(graph, set(cells), weight="weight")
        for b, other in enumerate(places):
            assert plan.distance_m[a, b] == pytest.approx(min(length[x] for x in other), abs=1e-9)
        field = np.full(plan.shape, np.inf)
        for (r, c), d in length.items():
            field[r, c] = d
        np.testing.assert_allclose(plan.distance_field_m[a], field, atol=1e-9)
    assert np.array_equal(plan.distance_m, plan.distance_m.T)


@pytest.mark.parametrize("name", SHIPPED)
def test_every_path_is_a_shortest_walk_between_its_places(name):
    plan = FloorPlan.of(load_scenario(SCENARIOS / name))
    for a in range(len(plan.place_names)):
        for b in range(len(plan.place_names)):
            path = plan.path(a, b)
            steps = np.abs(np.diff(path, axis=0))
            assert (steps.max(axis=1) == 1).all()  # neighbouring cells only
            length = np.where(steps.sum(axis=1) == 2, math.sqrt(2), 1.0).sum() * plan.cell_m
            assert length == pytest.approx(plan.distance_m[a, b], abs=1e-9)
            assert plan.walkable[path[:, 0], path[:, 1]].all()
            start, end = (set(map(tuple, plan.place_cells[p].tolist())) for p in (a, b))
            assert tuple(path[0]) in start and tuple(path[-1]) in end
            assert np.array_equal(plan.path(b, a), path[::-1])


def test_hand_checked_distances_and_no_squeezing_between_corners():
    scenario = tiny_store(
        "#####\n#EA##\n#.#B#\n#...#\n#C..#\n#####",
        {
            **wall_and_aisle(),
            "E": {"kind": "entrance", "zone": "hall"},
            "C": {"kind": "checkout", "zone": "hall"},
            "A": {"kind": "section", "category": "apples", "zone": "hall"},
            "B": {"kind": "section", "category": "bread", "zone": "hall"},
        },
        ["apples", "bread"],
    )
    plan = FloorPlan.of(scenario)
    apples, bread, entrance, checkout = 0, 1, plan.entrance, plan.checkout
    # A (1,2) and B (2,3) touch diagonally between two walls: the walk goes round.
    assert plan.distance_m[apples, bread] == pytest.approx(6 * 2.0)
    assert plan.distance_m[entrance, apples] == pytest.approx(2.0)
    # E (1,1) straight down to C (4,1)
    assert plan.distance_m[entrance, checkout] == pytest.approx(3 * 2.0)
    # B (2,3) to C (4,1): (3,3) then diagonal to (4,2) then (4,1): 1 + sqrt(2) + 1 cells.
    assert plan.distance_m[bread, checkout] == pytest.approx((2 + math.sqrt(2)) * 2.0)
    assert plan.kind[1, 2] == SECTION and plan.kind[1, 1] == ENTRANCE
    assert plan.kind[4, 1] == CHECKOUT and plan.kind[2, 1] == AISLE and plan.kind[0, 0] == WALL
    assert plan.walkable.sum() == 10 and plan.walkable_area_m2 == 40.0
    np.testing.assert_array_equal(plan.section_area_m2, [4.0, 4.0])


# --------------------------------------------------------------------------- passes

CORRIDOR = "#########\n#.A.D.B.#\n#E.....C#\n#########"
CORRIDOR_LEGEND = {
    **wall_and_aisle(),
    "E": {"kind": "entrance", "zone": "hall"},
    "C": {"kind": "checkout", "zone": "hall"},
    "A": {"kind": "section", "category": "apples", "zone": "hall"},
    "D": {"kind": "section", "category": "dates", "zone": "hall"},
    "B": {"kind": "section", "category": "bread", "zone": "hall"},
}


def test_passes_and_their_order_along_a_corridor():
    # categories deliberately not in map order: bread 0 (col 6), apples 1 (col 2), dates 2
    plan = FloorPlan.of(tiny_store(CORRIDOR, CORRIDOR_LEGEND, ["bread", "apples", "dates"]))
    bread, apples, dates, entrance, checkout = 0, 1, 2, 3, 4
    # the only shortest walk from E (2,1) to C (2,7) is the bottom row
    np.testing.assert_array_equal(plan.path(entrance, checkout), [[2, c] for c in range(1, 8)])
    assert plan.distance_m[entrance, checkout] == pytest.approx(12.0)
    assert plan.passes[entrance, checkout].tolist() == [True, True, True]
    assert plan.pass_order[entrance, checkout].tolist() == [apples, dates, bread]
    assert plan.pass_order[checkout, entrance].tolist() == [bread, dates, apples]
    # an end place is never "passed"; the others are met in walking order
    assert plan.passes[apples, checkout].tolist() == [True, False, True]
    assert plan.pass_order[apples, checkout].tolist() == [dates, bread, -1]
    assert plan.pass_order[checkout, apples].tolist() == [bread, dates, -1]
    # E (2,1) steps diagonally onto A (1,2): nothing lies next to that walk but A itself
    assert plan.distance_m[entrance, apples] == pytest.approx(2.0 * math.sqrt(2))
    assert not plan.passes[entrance, apples].any()
    assert (plan.pass_order[entrance, apples] == -1).all()
    assert not plan.passes[np.arange(5), np.arange(5)].any()
    assert (plan.passes == plan.passes.transpose(1, 0, 2)).all()


def test_pass_order_lists_exactly_the_passed_sections_on_the_shipped_store():
    plan = FloorPlan.of(load_scenario(SCENARIOS / "store.toml"))
    n = plan.n_sections
    for a in range(n + 2):
        for b in range(n + 2):
            order = plan.pass_order[a, b]
            listed = order[order >= 0]
            assert (order[len(listed) :] == -1).all()
            assert sorted(listed.tolist()) == np.flatnonzero(plan.passes[a, b]).tolist()
            assert a not in listed and b not in listed
            # every listed section lies in or next to a cell of the walk
            path = plan.path(a, b)
            for s in listed:
                near = plan.section_of[
                    np.clip(path[:, :1] + [[-1, -1, -1, 0, 0, 0, 1, 1, 1]], 0, plan.shape[0] - 1),
                    np.clip(path[:, 1:] + [[-1, 0, 1, -1, 0, 1, -1, 0, 1]], 0, plan.shape[1] - 1),
                ]
                assert (near == s).any()
    assert plan.passes[plan.entrance].sum() > 0  # the walks from the door do pass sections


# --------------------------------------------------------------------------- zones

ZONED = "#######\n#X...Y#\n#E...C#\n#######"
ZONED_LEGEND = {
    **wall_and_aisle(),
    "E": {"kind": "entrance", "zone": "left"},
    "C": {"kind": "checkout", "zone": "right"},
    "X": {"kind": "section", "category": "xmas", "zone": "left"},
    "Y": {"kind": "section", "category": "yarn", "zone": "right"},
}
ZONES = [
    {"name": "backroom", "count": 3},  # zones 0-2, off the map
    {"name": "right"},  # zone 3
    {"name": "left"},  # zone 4
    {"name": "office"},  # zone 5, off the map
]


def test_aisles_take_the_zone_of_the_nearest_zoned_cell_ties_to_the_lower_index():
    scenario = tiny_store(ZONED, ZONED_LEGEND, ["xmas", "yarn"], zones=ZONES)
    plan = FloorPlan.of(scenario)
    right, left = 3, 4
    assert plan.zone_names == build_building(scenario).zone_names
    assert plan.zone_names[right] == "right" and plan.zone_names[left] == "left"
    # columns 2-4 are aisles; column 3 is 2 cells from both sides: the tie goes to 'right'
    expected = np.array(
        [
            [-1] * 7,
            [-1, left, left, right, right, right, -1],
            [-1, left, left, right, right, right, -1],
            [-1] * 7,
        ]
    )
    np.testing.assert_array_equal(plan.zone_of, expected)
    np.testing.assert_array_equal(plan.zone_area_m2, [0, 0, 0, 6 * 4.0, 4 * 4.0, 0])
    np.testing.assert_array_equal(plan.section_zone, [left, right])


def test_an_explicit_aisle_zone_is_kept():
    legend = {**ZONED_LEGEND, ".": {"kind": "aisle", "zone": "left"}}
    plan = FloorPlan.of(tiny_store(ZONED, legend, ["xmas", "yarn"], zones=ZONES))
    assert (plan.zone_of[1:3, 1:5] == 4).all() and (plan.zone_of[1:3, 5] == 3).all()


def test_shipped_zone_floor_areas_are_the_zones_share_of_the_map():
    for name in SHIPPED:
        scenario = load_scenario(SCENARIOS / name)
        plan = FloorPlan.of(scenario)
        declared = np.array([z.floor_area_m2 for z in scenario.zones])
        np.testing.assert_allclose(plan.zone_area_m2, declared)
        assert plan.zone_area_m2.sum() == plan.walkable_area_m2


# --------------------------------------------------------------------------- displays


def test_displays_see_the_places_within_their_view():
    displays = [
        {"name": "middle", "at": [1, 3], "view_m": 4.5},
        {"name": "corner", "at": [2, 1], "view_m": 0.5, "category": "yarn"},
    ]
    scenario = tiny_store(ZONED, ZONED_LEGEND, ["xmas", "yarn"], zones=ZONES, displays=displays)
    plan = FloorPlan.of(scenario)
    xmas, yarn, entrance, checkout = 0, 1, 2, 3
    # from (1,3): X and Y are 2 cells (4 m) away, E and C 1 + sqrt(2) cells (4.83 m)
    assert plan.distance_field_m[xmas, 1, 3] == plan.distance_field_m[yarn, 1, 3] == 4.0
    assert plan.distance_field_m[entrance, 1, 3] == pytest.approx(2 * (1 + math.sqrt(2)))
    assert plan.display_sees[0].tolist() == [True, True, False, False]
    # a display on the entrance sees the entrance only
    assert plan.display_sees[1].tolist() == [False, False, True, False]
    assert plan.display_sees[:, checkout].sum() == 0
    assert plan.display_names == ("middle", "corner")
    np.testing.assert_array_equal(plan.display_cell, [[1, 3], [2, 1]])
    np.testing.assert_array_equal(plan.display_zone, [3, 4])


def test_shipped_displays_each_see_some_place():
    plan = FloorPlan.of(load_scenario(SCENARIOS / "store.toml"))
    assert plan.display_sees.shape == (10, plan.n_sections + 2)
    assert plan.display_sees.any(axis=1).all()
    assert plan.display_sees[plan.display_names.index("entrance_screen"), plan.entrance]


# --------------------------------------------------------------------------- Mesa space


@pytest.mark.parametrize("name", SHIPPED)
def test_mesa_space_has_exactly_the_walkable_cells_and_moves(name):
    scenario = load_scenario(SCENARIOS / name)
    plan = FloorPlan.of(scenario)
    space = plan.to_space(Random(0))
    coords = {cell.coordinate for cell in space.all_cells}
    assert coords == set(map(tuple, np.argwhere(plan.walkable).tolist()))
    reference = reference_graph(scenario)
    for cell in space.all_cells:
        assert set(cell.connections) == set(reference.neighbors(cell.coordinate))
    assert space.G.number_of_edges() == reference.number_of_edges()
    again = pickle.loads(pickle.dumps(space))
    assert {c.coordinate for c in again.all_cells} == coords


def test_agents_can_stand_on_a_section_cell():
    plan = FloorPlan.of(load_scenario(SCENARIOS / "store_small.toml"))
    model = mesa.Model(rng=0)
    space = plan.to_space(model.random)
    r, c = plan.place_cells[plan.n_sections - 1][0].tolist()  # a household cell
    agent = CellAgent(model)
    agent.cell = cell_at(space, r, c)
    assert agent.cell.coordinate == (r, c) and agent in agent.cell.agents
    assert space.G.nodes[(r, c)]["section"] == plan.n_sections - 1
    assert space.G.nodes[(r, c)]["zone"] == plan.zone_of[r, c]
    assert plan.section_of[r, c] == plan.category_names.index("household")
    neighbour = next(iter(agent.cell.connections.values()))
    agent.move_to(neighbour)
    assert agent.cell is neighbour and agent not in cell_at(space, r, c).agents
    with pytest.raises(KeyError, match=r"\(0, 0\) is not a walkable cell"):
        cell_at(space, 0, 0)


# --------------------------------------------------------------------------- the plan


def test_plan_is_read_only_cached_and_needs_a_store():
    scenario = load_scenario(SCENARIOS / "store_small.toml")
    plan = FloorPlan.of(scenario)
    assert FloorPlan.of(Scenario.from_json(scenario.to_json())) is plan
    with pytest.raises(ValueError, match="read-only"):
        plan.distance_m[0, 0] = 1.0
    with pytest.raises(AttributeError):
        plan.cell_m = 1.0  # type: ignore[misc]
    with pytest.raises(ScenarioError, match="no \\[store\\] section"):
        FloorPlan.of(load_scenario(SCENARIOS / "hotel_small.toml"))


def test_dijkstra_kernel_matches_its_python_form():
    plan = FloorPlan.of(load_scenario(SCENARIOS / "store.toml"))
    _, _, ptr, nbr, step = _walking_graph(np.asarray(plan.walkable))
    sources = np.array([0, 57, 200], np.int64)
    jit_dist, jit_pred = _dijkstra(ptr, nbr, step, sources)
    python_form = getattr(_dijkstra, "py_func", _dijkstra)  # a plain function with JIT off
    py_dist, py_pred = python_form(ptr, nbr, step, sources)
    np.testing.assert_array_equal(jit_dist, py_dist)
    np.testing.assert_array_equal(jit_pred, py_pred)
    assert (jit_pred[sources] == -1).all() and (jit_dist[sources] == 0).all()


@pytest.mark.skipif(numba.config.DISABLE_JIT, reason="times the compiled kernel")
def test_building_the_shipped_store_plan_takes_well_under_a_second():
    scenario = load_scenario(SCENARIOS / "store.toml")
    FloorPlan.of(scenario)  # compiles or loads the kernel
    start = time.perf_counter()
    _build(scenario.store, scenario.zones)
    assert time.perf_counter() - start < 0.5  # ~5 ms measured on a 2-core dev machine
