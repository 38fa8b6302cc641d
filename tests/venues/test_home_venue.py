"""The home venue: homes from the stock, arbitration in the kernel, KPIs, one home per copy."""

from __future__ import annotations

import math

import numpy as np
import pytest

from agents.home.slots import A_DISCOMFORT, A_OVERRIDES
from agents.kernels import ASLEEP, AWAKE
from twin.arbitration import DEFAULT, SOURCES, PriorityArray
from twin.building import build_building
from twin.interface import Commands
from twin.scenario import load_scenario
from twin.venues.home.kernel import (
    H_EVENTS,
    H_LATE_H,
    P_ELAPSED_H,
    P_PENDING,
    PREHEAT_CAP_H,
    HomeState,
    _preheat,
)
from twin.venues.home.venue import draw_home
from twin.world import World

SMALL = load_scenario("homes_small")
NAMES = ("heat_setpoint_c", "cool_setpoint_c", "light_lux", "light_cct_k")


def program(world: World) -> Commands:
    """Every command relinquished: the thermostat's program (and residents) decide."""
    nan = np.full((world.n_envs, world.nz), np.nan)
    return Commands(nan.copy(), nan.copy(), nan.copy(), nan.copy())


def random_commands(world: World, g: np.random.Generator) -> Commands:
    shape = (world.n_envs, world.nz)
    heat = g.uniform(15.0, 23.0, shape)
    heat[g.random(shape) < 0.3] = np.nan  # the policy relinquishes some points
    nan = np.full(shape, np.nan)
    return Commands(heat, heat + 3.0, nan, nan.copy())


def test_each_home_is_drawn_from_the_stock():
    stock = SMALL.home.stock
    g = np.random.default_rng(0)
    areas, kinds, facing = [], [], []
    for _ in range(400):
        home = draw_home(SMALL, g)
        build_building(home)  # a valid building every time
        living, bedroom = home.zones
        areas.append(living.floor_area_m2 + bedroom.floor_area_m2)
        kinds.append(living.construction)
        facing.append((living.orientation[0], bedroom.orientation[0]))
        assert living.u_wall_w_m2k == bedroom.u_wall_w_m2k
        share = living.window_area_m2 / living.floor_area_m2
        assert stock.window_share.low - 1e-12 <= share <= stock.window_share.high + 1e-12
    areas = np.array(areas)
    d = stock.floor_area_m2
    assert d.low - 1e-9 <= areas.min() and areas.max() <= d.high + 1e-9
    assert abs(np.median(areas) - d.mean) < 8.0
    for name, share in stock.construction.items():
        assert abs(np.mean([k == name for k in kinds]) - share) < 0.08, name
    opposite = {"N": "S", "S": "N", "E": "W", "W": "E"}
    assert all(b == opposite[a] for a, b in facing)
    assert abs(np.mean([a == "S" for a, _ in facing]) - stock.orientation["S"]) < 0.08


def test_copy_i_of_a_neighbourhood_is_the_home_a_one_copy_world_with_its_seed_gives():
    seeds = [21, 22, 23]
    many, one = World(SMALL, n_envs=3), World(SMALL, n_envs=1)
    many.reset(seeds)
    one.reset([seeds[1]])
    g = np.random.default_rng(5)
    for _ in range(120):
        c = random_commands(many, g)
        mine = Commands(*(np.array(a)[[1]] for a in c.zone_arrays().values()))
        many.step(c)
        one.step(mine)
    np.testing.assert_array_equal(many.air[1], one.air[0])
    np.testing.assert_array_equal(many.venue.slots.sat[1], one.venue.slots.sat[0])
    assert many.kpis(1) == one.kpis(0)


def test_the_kernel_resolves_the_priority_arrays_as_priority_array_resolve_does():
    w = World(SMALL, n_envs=4)
    w.reset([1, 2, 3, 4])
    g = np.random.default_rng(2)
    for t in range(100):
        where = g.random((4, w.nz)) < 0.2
        if t % 7 == 0:
            w.override("heat_setpoint_c", g.uniform(18, 24, (4, w.nz)), where)
        if t % 11 == 0:
            w.release("heat_setpoint_c", g.random((4, w.nz)) < 0.5)
        before = {k: w.arbitration[k].slots.copy() for k in NAMES}
        changed = t > 0 and w.schedule_occupied[t] != w.schedule_occupied[t - 1]
        held = w.venue.state.held.copy()
        c = random_commands(w, g)
        policy = {k: np.array(v, dtype=float) for k, v in c.zone_arrays().items()}
        prog = w.venue.program(t)
        w.step(c)
        for j, k in enumerate(NAMES):
            ref = PriorityArray((4, w.nz), w.arbitration[k].default)
            ref.slots[0] = before[k][0]
            if changed and k in NAMES[:2]:
                ref.slots[0][held] = np.nan  # residents' holds end with the program's change
            ref.write("policy", policy[k])
            ref.write("schedule", np.full((4, w.nz), prog[j]))
            value, source = ref.resolve()
            np.testing.assert_array_equal(w.command_source[k], source, err_msg=k)
            if k == "heat_setpoint_c":
                np.testing.assert_array_equal(w.setpoint, value)
            if k == "cool_setpoint_c":  # the deadband may raise cooling after resolution
                assert np.all(w.cool_setpoint >= value) and np.all(
                    w.cool_setpoint >= w.setpoint + 0.5 - 1e-12
                )
    sources = w.command_source["light_lux"]
    assert np.all(sources == SOURCES.index("override"))  # residents switch the lights


def test_a_residents_hold_ends_with_the_programs_next_change_an_operators_does_not():
    w = World(SMALL, n_envs=2)
    w.reset([7, 8])
    th = SMALL.thermostat
    end = int(round(th.occupied_hours[1] / w.dt_h))  # 23:00 on day 0
    for _ in range(end - 2):
        w.step(program(w))
    heat = w.arbitration["heat_setpoint_c"]
    heat.slots[0, 0, 0] = 24.5  # a resident's override in home 0's living zone
    w.venue.state.held[0, 0] = True
    w.override(
        "heat_setpoint_c", np.full((2, w.nz), 23.5), np.array([[False, False], [True, False]])
    )
    w.step(program(w))
    assert w.setpoint[0, 0] == 24.5 and w.setpoint[1, 0] == 23.5
    w.step(program(w))
    assert w.t == end
    w.step(program(w))  # the step starting at 23:00: the program changes to its setback
    assert w.setpoint[0, 0] == th.setback_heating_c
    assert SOURCES[w.command_source["heat_setpoint_c"][0, 0]] == "schedule"
    assert w.setpoint[1, 0] == 23.5  # an operator's override holds until released
    w.release("heat_setpoint_c")
    w.step(program(w))
    assert w.setpoint[1, 0] == th.setback_heating_c


def test_occupancy_lights_and_counts_follow_the_residents():
    w = World(SMALL, n_envs=6)
    w.reset(list(range(6)))
    s, v = w.venue.slots, w.venue
    seen_awake = seen_asleep = False
    for _ in range(96):
        w.step(program(w))
        awake = (s.state == AWAKE).sum(axis=1)
        asleep = (s.state == ASLEEP).sum(axis=1)
        np.testing.assert_array_equal(w.count[:, v.living], awake)
        np.testing.assert_array_equal(w.zone_occupied[:, v.living], awake > 0)
        np.testing.assert_array_equal(w.count[:, v.bedrooms].sum(axis=1), asleep)
        lux = w.arbitration["light_lux"].slots[0]
        want = np.where(s.state == AWAKE, s.traits[3], 0.0).max(axis=1)
        np.testing.assert_array_equal(lux[:, v.living], want)
        assert np.all(lux[:, v.bedrooms] == 0.0)
        seen_awake |= bool(awake.any())
        seen_asleep |= bool(asleep.any())
    assert seen_awake and seen_asleep
    assert np.all(w.command_source["light_cct_k"] == SOURCES.index("schedule"))
    assert DEFAULT not in w.command_source["heat_setpoint_c"]


def test_preheat_lateness_counts_the_hours_below_comfort_after_an_arrival():
    hs = HomeState(
        held=np.zeros((1, 2), bool), n_over=np.zeros((1, 2), np.int64), pre=np.zeros((3, 1)),
        hacc=np.zeros((5, 1)), disclosed=np.zeros(1, bool),
    )  # fmt: skip
    pre = getattr(_preheat, "py_func", _preheat)
    dt = 0.25
    # arrival at 18.0 C wanting 20: three cold steps, then warm enough
    for was, now, t_op in ((False, False, 17.0), (False, True, 18.0), (True, True, 19.0),
                           (True, True, 19.8), (True, True, 20.1), (True, True, 20.5)):  # fmt: skip
        pre(hs, 0, was, now, t_op, 20.0, dt)
    assert hs.hacc[H_EVENTS, 0] == 1 and hs.hacc[H_LATE_H, 0] == pytest.approx(3 * dt)
    pre(hs, 0, False, True, 21.0, 20.0, dt)  # a warm arrival: on time
    assert hs.hacc[H_EVENTS, 0] == 2 and hs.hacc[H_LATE_H, 0] == pytest.approx(3 * dt)
    pre(hs, 0, False, True, 15.0, 20.0, dt)  # never warm: counted up to the cap
    for _ in range(int(PREHEAT_CAP_H / dt) + 5):
        pre(hs, 0, True, True, 15.0, 20.0, dt)
    assert hs.hacc[H_EVENTS, 0] == 3
    assert hs.hacc[H_LATE_H, 0] == pytest.approx(3 * dt + PREHEAT_CAP_H)
    assert hs.pre[P_PENDING, 0] == 0 and hs.pre[P_ELAPSED_H, 0] >= PREHEAT_CAP_H


def test_home_and_neighbourhood_kpis_by_hand():
    w = World(SMALL, n_envs=4, shared_weather=True)
    w.reset([31, 32, 33, 34])
    v = w.venue
    load = []
    for _ in range(w.n_steps):
        w.step(program(w))
        load.append(w.step_zone_power.sum())
    run = v.run_kpis()
    homes = [w.kpis(e) for e in range(4)]
    assert run["energy_kwh"] == pytest.approx(
        sum(w.building_kpis(e)["energy_kwh"] for e in range(4))
    )
    assert run["peak_kw"] == pytest.approx(max(load) / 1000.0)
    assert run["peak_kw"] <= sum(h["peak_kw"] for h in homes) + 1e-9
    weeks = w.n_steps * w.dt_h / 168.0
    overrides = v.slots.acc[A_OVERRIDES].sum()
    assert run["overrides"] == overrides == sum(h["overrides"] for h in homes)
    assert run["overrides_per_home_week"] == pytest.approx(overrides / (4 * weeks))
    active = v.slots.active == 1
    assert run["discomfort_kh"] == pytest.approx(
        v.slots.acc[A_DISCOMFORT][active].sum() / active.sum()
    )
    assert run["personal_data_used"] == 0.0  # nobody learned anything
    assert run["band_discomfort_kh"] == pytest.approx(
        np.mean([w.building_kpis(e)["discomfort_kh"] for e in range(4)])
    )
    sats = {k: v for k, v in run.items() if k.startswith("satisfaction_")}
    if len(sats) > 1:
        assert run["fairness_gap"] == pytest.approx(max(sats.values()) - min(sats.values()))
    assert math.isnan(v.kpis(0)["fairness_gap"])  # one home is one household type
