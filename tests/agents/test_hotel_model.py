"""The hotel's discrete events: bookings, the front desk, check-in/out and their kernels.

The Numba kernels of :mod:`agents.hotel.kernels` and :func:`draw_profiles` are checked
against plain NumPy/Python references (their ``py_func`` is what runs under
``NUMBA_DISABLE_JIT=1``); the model is checked on runs of the small hotel: the desk
count the World reads, the stages of every stay, and that reading records changes
nothing.
"""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pytest
import simpy

from agents.hotel.kernels import (
    COL_EXPERIENCE,
    STAY_COLUMNS,
    assign_rooms,
    write_check_in,
    write_check_out,
)
from agents.hotel.model import INITIAL_SATISFACTION
from agents.hotel.population import (
    COL_CONSENT,
    COL_NIGHTS,
    COL_PARTY,
    COL_SEGMENT,
    PROFILE_COLUMNS,
    SegmentTable,
    draw_profiles,
    inverse_cdf,
    sample_profiles,
)
from agents.hotel.slots import GuestSlots
from agents.kernels import VACANT
from tests.conftest import SCENARIOS
from tests.test_world import house_action
from twin.scenario import load_scenario
from twin.world import World

SMALL = SCENARIOS / "hotel_small.toml"


def both(kernel):
    """The compiled kernel and its plain-Python body."""
    return (kernel, getattr(kernel, "py_func", kernel))


# ---------------------------------------------------------------------- kernels
def assign_reference(free_from, t_arr, pick):
    """Rooms by hand: a pool of rooms free at each arrival, uniform pick, swap-remove."""
    order = sorted(range(len(free_from)), key=lambda r: free_from[r])  # stable
    pool, joined, rooms = [], 0, []
    for t, u in zip(t_arr, pick, strict=True):
        while joined < len(order) and free_from[order[joined]] <= t:
            pool.append(order[joined])
            joined += 1
        if not pool:
            rooms.append(-1)
            continue
        k = int(u * len(pool))
        rooms.append(pool[k])
        pool[k] = pool[-1]
        pool.pop()
    return rooms


@pytest.mark.parametrize("kernel", both(assign_rooms))
def test_rooms_are_drawn_from_the_rooms_free_at_arrival(kernel):
    rng = np.random.default_rng(3)
    for _ in range(50):
        n_rooms, n = int(rng.integers(1, 30)), int(rng.integers(0, 40))
        free_from = rng.choice([-np.inf, np.inf, 0.0], n_rooms).astype(float)
        occupied = free_from == 0.0
        free_from[occupied] = rng.uniform(0, 86400, occupied.sum())
        t_arr = np.sort(rng.uniform(0, 86400, n))
        pick = rng.random(n)
        rooms = kernel(free_from, t_arr, pick)
        assert rooms.tolist() == assign_reference(free_from, t_arr, pick)
        got = rooms[rooms >= 0]
        assert len(set(got.tolist())) == got.size  # one arrival per room
        assert np.all(free_from[rooms[rooms >= 0]] <= t_arr[rooms >= 0])
        # Turned away only when every room free by then is taken.
        for i in np.flatnonzero(rooms < 0):
            assert (free_from <= t_arr[i]).sum() <= (rooms[:i] >= 0).sum()


def test_room_choice_is_uniform():
    free_from = np.full(4, -np.inf)
    picks = np.random.default_rng(0).random(40_000)
    rooms = [int(assign_rooms(free_from, np.zeros(1), picks[i : i + 1])[0]) for i in range(4000)]
    counts = np.bincount(rooms, minlength=4)
    assert counts.min() > 900 and counts.max() < 1100


def profiles_reference(params, sd_scale, segments, z, u):
    """The profile table in plain NumPy, column by column."""
    p = params[segments]
    x = np.clip(p[:, :10] + p[:, 10:20] * sd_scale * z, p[:, 20:30], p[:, 30:40])
    wake = x[:, 5]
    sleep = np.maximum(x[:, 6], wake + 1.0)
    out_start = np.maximum(x[:, 7], wake + 0.5)
    out_end = np.maximum(np.minimum(out_start + x[:, 8], sleep - 0.5), out_start)
    return np.column_stack([
        x[:, :5], p[:, 40], wake, out_start, out_end, sleep,
        np.maximum(1.0, np.round(x[:, 9])), p[:, 41] + np.floor(u[:, 0] * p[:, 42]),
        segments, u[:, 1] < p[:, 43], p[:, 44],
    ])  # fmt: skip


@pytest.mark.parametrize("kernel", both(draw_profiles))
def test_profiles_kernel_matches_numpy(kernel):
    hotel = load_scenario(SCENARIOS / "hotel.toml").hotel
    table = SegmentTable.of(hotel)
    rng = np.random.default_rng(1)
    n = 500
    segments = rng.integers(0, len(hotel.segments), n)
    z, u = 3.0 * rng.standard_normal((n, 10)), rng.random((n, 2))
    sd_scale = np.where(table.spread, 1.3, 1.0)
    out = np.full((n, len(PROFILE_COLUMNS)), np.nan)
    kernel(table.params, sd_scale, segments, z, u, out)
    np.testing.assert_array_equal(out, profiles_reference(table.params, sd_scale, segments, z, u))


def test_sampled_profiles_respect_the_segments():
    hotel = load_scenario(SCENARIOS / "hotel.toml").hotel
    segments = np.repeat(np.arange(len(hotel.segments)), 2000)
    g = sample_profiles(SegmentTable.of(hotel), segments, np.random.default_rng(0))
    assert g.shape == (segments.size, len(PROFILE_COLUMNS))
    wake, out_start, out_end, sleep = g[:, 6:10].T
    assert np.all(sleep >= wake + 1.0) and np.all(out_start >= wake + 0.5)
    assert np.all(out_start <= out_end) and np.all(out_end <= np.maximum(sleep - 0.5, out_start))
    for j, seg in enumerate(hotel.segments):
        mine = g[segments == j]
        lo, hi = seg.party_size
        assert set(np.unique(mine[:, COL_PARTY]).tolist()) == set(range(lo, hi + 1))
        assert abs(mine[:, COL_CONSENT].mean() - seg.consent_share) < 0.04
        d = seg.pref_temp_c
        assert np.all((mine[:, 0] >= d.low) & (mine[:, 0] <= d.high))
        assert abs(mine[:, 0].mean() - d.mean) < 0.1
        assert np.all(mine[:, COL_NIGHTS] >= 1) and np.all(mine[:, COL_SEGMENT] == j)


def test_inverse_cdf_never_draws_an_impossible_index():
    p = np.array([0.0, 0.3, 0.0, 0.7, 0.0])
    cdf = inverse_cdf(p)
    idx = np.searchsorted(cdf, np.array([0.0, 0.29, 0.3, 0.99, np.nextafter(1.0, 0.0)]), "right")
    assert idx.tolist() == [1, 1, 3, 3, 3]


@pytest.mark.parametrize("kernels", [both(write_check_in), both(write_check_out)])
def test_slot_writers_compiled_equal_python(kernels):
    rng = np.random.default_rng(5)
    guests = rng.random((3, len(STAY_COLUMNS)))
    guests[:, COL_SEGMENT] = [0, 2, 1]
    guests[:, COL_CONSENT] = [1, 0, 1]
    a = GuestSlots.allocate(2, 4)
    for f in fields(a):
        getattr(a, f.name)[...] = rng.integers(0, 9, getattr(a, f.name).shape)
    b = a.copy()
    jit, py = kernels
    if jit is write_check_in:
        jit(1, 2, guests, 1, 10.0, 20.0, 7, INITIAL_SATISFACTION, *a.check_in_arrays())
        py(1, 2, guests, 1, 10.0, 20.0, 7, INITIAL_SATISFACTION, *b.check_in_arrays())
        assert a.active[1, 2] == 1 and a.guest_id[1, 2] == 7 and a.segment[1, 2] == 2
        np.testing.assert_array_equal(a.prefs[:, 1, 2], guests[1, :6])
        np.testing.assert_array_equal(a.routine[:, 1, 2], guests[1, 6:10])
        assert a.state[1, 2] == VACANT and a.sat[1, 2] == INITIAL_SATISFACTION
        assert np.isinf(a.next_arrival_s[1, 2]) and np.isnan(a.next_prefs[:, 1, 2]).all()
    else:
        g2 = guests.copy()
        jit(1, 2, guests, 1, COL_EXPERIENCE, *a.check_out_arrays())
        py(1, 2, g2, 1, COL_EXPERIENCE, *b.check_out_arrays())
        np.testing.assert_array_equal(guests, g2)
        np.testing.assert_array_equal(
            guests[1, COL_EXPERIENCE : COL_EXPERIENCE + 4], b.acc[:, 1, 2]
        )
        assert a.active[1, 2] == 0 and a.guest_id[1, 2] == -1 and a.segment[1, 2] == -1
    for f in fields(a):
        np.testing.assert_array_equal(getattr(a, f.name), getattr(b, f.name), err_msg=f.name)


# ---------------------------------------------------------------------- the model
def busy_scenario(tmp_path):
    """The small hotel with many arrivals and one slow clerk (queues at the desk)."""
    text = (
        SMALL.read_text()
        .replace("count = 8", "count = 30")
        .replace("rate_per_day = 4.5", "rate_per_day = 25")
        .replace("checkin_min = { mean = 4.0, sd = 1.5", "checkin_min = { mean = 12.0, sd = 1.5")
    )
    path = tmp_path / "busy.toml"
    path.write_text(text)
    return load_scenario(path)


def test_at_desk_counts_the_parties_at_the_front_desk(tmp_path):
    w = World(busy_scenario(tmp_path), n_envs=2)
    w.reset([4, 9])
    a = house_action(w)
    seen = set()
    for _ in range(w.n_steps):
        w.step(a)
        for e, hotel in enumerate(w.venue.hotels):
            at_desk = len(hotel.desk.queue) + hotel.desk.count
            assert w.venue.slots.at_desk[e] == at_desk
            seen.add(at_desk)
    assert max(seen) >= 3  # a queue formed, so the count was exercised


def test_every_stay_goes_through_its_stages(tmp_path):
    w = World(busy_scenario(tmp_path), n_envs=1)
    w.reset([1])
    a = house_action(w)
    for _ in range(w.n_steps):
        w.step(a)
    hotel = w.venue.hotels[0]
    out, in_house = hotel.records, hotel.in_house_records()
    assert out and in_house and all(r["checked_out"] for r in out)
    assert not any(r["checked_out"] for r in in_house)
    # Guests who arrived during the run checked in after a desk wait; the others were
    # in the house at the start. Bookings not yet arrived or checked in make up the rest.
    arrived = [r for r in out + in_house if r["checkin_wait_min"] is not None]
    assert len(hotel.checkin_waits_min) == len(arrived) > 0
    assert hotel.arrivals - hotel.turned_away >= len(arrived) + len(hotel.waiting)
    assert min(hotel.checkin_waits_min) >= 0.0
    for r in out:
        assert r["arrival_h"] < r["departure_h"] and 1 <= r["review"] <= 5
        assert 0.0 <= r["return_probability"] <= 0.95
    # Rooms: one agent per checked-in guest, every cleaned room free of guests.
    assert len(hotel.agents) == int(w.venue.slots.active[0].sum()) == len(hotel.stays)
    assert not any(hotel.ready[room] for room in hotel.stays)
    assert all(not hotel.ready[room] for room in hotel.waiting)


def test_reading_records_mid_run_changes_nothing():
    def run(read: bool) -> tuple[dict, list]:
        w = World(load_scenario(SMALL))
        w.reset([3])
        a = house_action(w)
        for _ in range(w.n_steps):
            w.step(a)
            if read:
                w.records(0)
        return w.kpis(0), w.records(0)

    assert run(True) == run(False)


def test_hotel_runs_on_its_own_clock():
    """A HotelModel needs only a SimPy environment and slots (no World)."""
    from agents.hotel.model import HotelModel
    from twin.seeding import spawn_streams

    scenario = load_scenario(SMALL)
    w = World(scenario)
    rngs = spawn_streams(0)
    slots = GuestSlots.allocate(1, w.venue.n_rooms)
    sim = simpy.Environment()
    hotel = HotelModel(scenario, sim, slots, 0, w.venue.room_names, rngs["events"], rngs["agents"])
    sim.run(until=5 * 86400.0)
    assert hotel.arrivals > 0 and len(hotel.records) > 0
    assert len(hotel.datacollector.get_model_vars_dataframe()) == 5
    assert slots.at_desk[0] == len(hotel.desk.queue) + hotel.desk.count
