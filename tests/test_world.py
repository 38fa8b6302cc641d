"""The hotel World: one clock, determinism, batching, consent and the hotel's events."""

from __future__ import annotations

import json

import numpy as np
import pytest

from agents.kernels import OUT, VACANT
from policies import make_policy
from policies.rollout import run_episode
from tests.conftest import SCENARIOS
from twin.envs.hotel import HotelEnv
from twin.errors import ScenarioError
from twin.interface import Commands
from twin.scenario import load_scenario
from twin.venues.hotel.task import HotelTask
from twin.world import World

SMALL = SCENARIOS / "hotel_small.toml"


def house_action(world: World) -> Commands:
    ne, nz = world.n_envs, world.nz
    return Commands(
        np.full((ne, nz), 21.0), np.full((ne, nz), 24.0), np.full((ne, nz), 300.0),
        np.full((ne, nz), 3500.0),
    )  # fmt: skip


def run_world(seeds, steps=None):
    w = World(load_scenario(SMALL), n_envs=len(seeds))
    w.reset(seeds)
    a = house_action(w)
    for _ in range(steps or w.n_steps):
        w.step(a)
    return w


def test_same_seed_same_kpis_different_seed_differs():
    a, b, c = (run_world([s]).kpis(0) for s in (5, 5, 6))
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    assert a != c


def test_batched_world_equals_single_worlds():
    seeds = [3, 11, 42]
    batched = run_world(seeds, steps=150)
    for e, seed in enumerate(seeds):
        single = run_world([seed], steps=150)
        np.testing.assert_array_equal(batched.theta_m[e], single.theta_m[0])
        np.testing.assert_array_equal(batched.venue.slots.sat[e], single.venue.slots.sat[0])
        np.testing.assert_array_equal(batched.venue.slots.state[e], single.venue.slots.state[0])
        assert batched.kpis(e) == single.kpis(0)


def test_mesa_agents_follow_the_slots():
    w = run_world([1], steps=60)  # 15:00 on day one: some guests out, some in
    w.sync_agents()
    hotel, slots = w.venue.hotels[0], w.venue.slots
    active = np.flatnonzero(slots.active[0] == 1)
    assert len(hotel.agents) == active.size > 0
    for agent in hotel.agents:
        assert slots.active[0, agent.slot] == 1
        expected = hotel.outside if slots.state[0, agent.slot] == OUT else agent.slot
        assert agent.cell is hotel.space[expected]
    assert np.all(slots.state[0][slots.active[0] == 0] == VACANT)


def test_rooms_are_never_double_booked_and_full_hotel_turns_guests_away(tmp_path):
    text = SMALL.read_text().replace("rate_per_day = 4.5", "rate_per_day = 30")
    path = tmp_path / "busy.toml"
    path.write_text(text)
    w = World(load_scenario(path))
    w.reset([0])
    a = house_action(w)
    for _ in range(w.n_steps):
        w.step(a)
    records = w.records(0)
    by_room: dict[str, list[tuple[float, float]]] = {}
    for r in records:
        by_room.setdefault(r["room"], []).append((r["arrival_h"], r["departure_h"]))
    for stays in by_room.values():
        stays.sort()
        for (_, dep), (arr, _) in zip(stays, stays[1:], strict=False):
            assert arr >= dep - 1e-9, "two guests in one room at once"
    k = w.kpis(0)
    assert k["turned_away"] > 0 and k["occupancy"] > 0.8


def test_one_slow_clerk_makes_guests_queue(tmp_path):
    text = (
        SMALL.read_text()
        .replace("count = 8", "count = 60")
        .replace("rate_per_day = 4.5", "rate_per_day = 40")
    )
    text = text.replace(
        "checkin_min = { mean = 4.0, sd = 1.5", "checkin_min = { mean = 12.0, sd = 1.5"
    )
    path = tmp_path / "slow.toml"
    path.write_text(text)
    fast = tmp_path / "fast.toml"
    fast.write_text(text.replace("[hotel.front_desk]\nstaff = 1", "[hotel.front_desk]\nstaff = 6"))
    waits = {}
    for name, p in (("slow", path), ("fast", fast)):
        w = World(load_scenario(p))
        w.reset([0])
        a = house_action(w)
        for _ in range(w.n_steps):
            w.step(a)
        waits[name] = w.kpis(0)["checkin_wait_min"]
    assert waits["slow"] > 1.0  # one clerk, 12-minute check-ins, afternoon peaks
    assert waits["fast"] < waits["slow"] / 3


def test_non_consenting_guests_preferences_never_reach_the_policy():
    w = World(load_scenario(SMALL))
    w.reset([2])
    for _ in range(70):
        w.step(house_action(w))
    s = w.venue.slots
    sold = s.active[0] == 1
    refusing = sold & (s.consent[0] == 0)
    consenting = sold & (s.consent[0] == 1)
    assert refusing.any() and consenting.any()

    def observe(personal_data: bool) -> dict[str, np.ndarray]:
        return HotelTask(w, personal_data).reference()

    before = observe(personal_data=True)
    s.prefs[0, 0, refusing] += 3.0  # change what refusing guests really want
    s.prefs[2, 0, refusing] *= 2.0
    s.prefs[3, 0, refusing] += 800.0
    after = observe(personal_data=True)
    for key in ("room_pref_temp_c", "room_pref_lux", "room_pref_cct_k", "room_pref_known"):
        np.testing.assert_array_equal(before[key], after[key])
    assert np.all(before["room_pref_known"][0][refusing] == 0)
    # Consenting guests' preferences do show, and only when personal data is allowed.
    s.prefs[0, 0, consenting] += 1.0
    shown = observe(personal_data=True)["room_pref_temp_c"][0]
    np.testing.assert_allclose(shown[consenting], s.prefs[0, 0, consenting])
    hidden = observe(personal_data=False)
    assert np.all(hidden["room_pref_known"] == 0)
    assert np.all(hidden["room_pref_temp_c"] == w.scenario.thermostat.heating_setpoint_c)


def test_rule_based_beats_fixed_on_satisfaction_and_only_it_uses_personal_data():
    env = HotelEnv(SMALL)
    results = {}
    for name in ("fixed", "rule_based"):
        eps = [run_episode(env, make_policy(name, env.task), seed=s) for s in (0, 1)]
        results[name] = eps
    for fixed, rule in zip(results["fixed"], results["rule_based"], strict=True):
        assert rule.kpis["mean_satisfaction"] > fixed.kpis["mean_satisfaction"]
        assert fixed.kpis["personal_data_used"] == 0
        assert rule.kpis["personal_data_used"] > 0
        assert rule.kpis["energy_kwh"] < 1.1 * fixed.kpis["energy_kwh"]


def test_world_rejects_a_building_scenario():
    with pytest.raises(ScenarioError, match="venue = 'building'"):
        World(load_scenario(SCENARIOS / "tiny.toml"))


def test_guest_outcomes_are_the_records_reduced_and_give_the_same_kpis():
    # KPIs read the lean outcomes; they must say what the full records say, whether or
    # not the checked-out guests' records were built already.
    w = run_world([3, 4])
    fields = ("segment", "checked_out", "mean_satisfaction", "final_satisfaction", "present_h")
    fields += ("mean_ppd", "review", "return_probability")
    for e in range(2):
        kpis_before = w.kpis(e)
        before = w.venue.outcomes(e)
        records = w.records(e)  # builds the checked-out records
        after = w.venue.outcomes(e)
        assert len(before) == len(records) == len(after) > 10
        assert any(r["checked_out"] for r in records) and not all(r["checked_out"] for r in records)
        for outcomes in (before, after):
            for outcome, record in zip(outcomes, records, strict=True):
                for name in fields:
                    np.testing.assert_equal(getattr(outcome, name), record[name])
        assert w.kpis(e) == kpis_before


def test_arbitrated_world_resolves_override_then_policy_then_schedule(monkeypatch):
    from twin.arbitration import SOURCES
    from twin.venues.hotel.venue import HotelVenue

    monkeypatch.setattr(HotelVenue, "arbitrated", True)  # the hotel's guests gain a say
    w = World(load_scenario(SMALL), n_envs=2)
    w.reset([1, 2])
    a = house_action(w)
    a.heat_setpoint_c[0, 1] = np.nan  # the policy relinquishes one zone of copy 0
    w.step(a)
    heat = w.command_source["heat_setpoint_c"]
    assert SOURCES[heat[0, 1]] == "schedule" and SOURCES[heat[0, 0]] == "policy"
    th = w.scenario.thermostat
    assert w.setpoint[0, 1] in (th.heating_setpoint_c, th.setback_heating_c)
    where = np.zeros((2, w.nz), bool)
    where[1, 2] = True
    w.override("heat_setpoint_c", np.full((2, w.nz), 25.0), where)
    w.step(house_action(w))
    assert w.setpoint[1, 2] == 25.0 and w.setpoint[1, 3] == 21.0
    assert SOURCES[w.command_source["heat_setpoint_c"][1, 2]] == "override"
    w.release("heat_setpoint_c")
    w.step(house_action(w))
    assert w.setpoint[1, 2] == 21.0


def test_a_venue_without_arbitration_refuses_overrides():
    w = run_world([1], steps=1)
    with pytest.raises(RuntimeError, match="does not arbitrate"):
        w.override("heat_setpoint_c", np.zeros((1, w.nz)), np.ones((1, w.nz), bool))


def test_copies_can_share_one_sky_as_broadcast_views():
    w = World(load_scenario(SMALL), n_envs=3, shared_weather=True)
    w.reset([4, 5, 6])
    assert w.t_out.strides[1] == 0 and w._site.strides[1] == 0  # one column, no copies
    alone = World(load_scenario(SMALL), n_envs=1)
    alone.reset([4])
    for e in range(3):  # copy 0's sky for everyone
        np.testing.assert_array_equal(w.t_out[:, e], alone.t_out[:, 0])
        np.testing.assert_array_equal(w.measurements().site[e], alone.measurements().site[0])
    for _ in range(20):
        w.step(house_action(w))
    assert np.isfinite(w.air).all()


def test_a_venue_can_give_each_copy_its_own_building(monkeypatch):
    from twin.building import build_building
    from twin.venues.hotel.venue import HotelVenue

    bigger = load_scenario(SMALL)
    zones = tuple(z.model_copy(update={"floor_area_m2": 2 * z.floor_area_m2}) for z in bigger.zones)
    other = build_building(bigger.model_copy(update={"zones": zones}))
    monkeypatch.setattr(
        HotelVenue, "copy_building", lambda self, e, streams: other if e == 1 else None
    )
    w = World(load_scenario(SMALL), n_envs=2)
    w.reset([1, 2])
    np.testing.assert_array_equal(w.coef[0], w.building.coef)
    np.testing.assert_array_equal(w.coef[1], other.coef)
    np.testing.assert_array_equal(w.light[1, 2], other.installed_light_w)
    assert not np.array_equal(w.equipment_w[0], w.equipment_w[1])
