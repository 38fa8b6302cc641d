"""The residents: random numbers, routines, overrides and the per-step update.

The kernel (:func:`agents.home.kernels.resident_update`) is compared with the Mesa
agents' plain-Python update (:func:`agents.home.reference.resident_step_reference`) on a
small neighbourhood's state; routines and households against the scenario's
distributions; override chances against the logistic formula by hand. Everything here
also passes (and stays fast) with ``NUMBA_DISABLE_JIT=1``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import simpy
from scipy import stats

from agents.home import rng
from agents.home.kernels import (
    Q_A_DEC,
    Q_A_INC,
    Q_ASLEEP,
    Q_B_DEC,
    Q_B_INC,
    Q_SP_MAX,
    Q_SP_MIN,
    Q_STEP,
    draw_days,
    override_bound,
    override_chances,
    override_value,
    resident_update,
    routine_state,
)
from agents.home.model import HomesModel
from agents.home.population import (
    C_AWAY_WD,
    C_AWAY_WE,
    C_OFFICE,
    C_SD_WD,
    RoleTable,
    draw_trips,
    ordered_day,
)
from agents.home.reference import resident_step_reference
from agents.home.slots import ResidentSlots
from agents.kernels import ASLEEP, AWAKE, OUT
from twin.interface import Commands
from twin.scenario import load_scenario
from twin.seeding import spawn_streams
from twin.world import World

# Counter-based hashing wraps 64-bit integers on purpose; plain-Python runs say so.
pytestmark = pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
SMALL = load_scenario("homes_small")


def test_hashed_uniforms_are_uniform_deterministic_and_independent_of_each_other():
    key = rng.draw_key(np.random.default_rng(1))
    u = np.array(
        [rng.uniform(key, np.uint64(c), np.uint64(lane)) for c in range(400) for lane in range(5)]
    )
    assert u.min() >= 0.0 and u.max() < 1.0
    assert stats.kstest(u, "uniform").pvalue > 0.01
    # neighbouring counters and lanes are uncorrelated
    grid = u.reshape(400, 5)
    assert abs(np.corrcoef(grid[:-1, 0], grid[1:, 0])[0, 1]) < 0.15
    assert abs(np.corrcoef(grid[:, 0], grid[:, 1])[0, 1]) < 0.15
    assert rng.uniform(key, np.uint64(3), np.uint64(1)) == grid[3, 1]
    other = rng.draw_key(np.random.default_rng(2))
    assert rng.uniform(other, np.uint64(3), np.uint64(1)) != grid[3, 1]
    z = np.array([rng.normal_pair(key, np.uint64(c), np.uint64(0)) for c in range(1500)]).ravel()
    assert abs(z.mean()) < 0.08 and abs(z.std() - 1.0) < 0.06
    assert stats.kstest(z, "norm").pvalue > 0.01


@pytest.mark.parametrize(
    ("hour", "times", "state"),
    [
        (3.0, (7.0, 8.0, 18.0, 23.0), ASLEEP),
        (7.5, (7.0, 8.0, 18.0, 23.0), AWAKE),
        (12.0, (7.0, 8.0, 18.0, 23.0), OUT),
        (20.0, (7.0, 8.0, 18.0, 23.0), AWAKE),
        (23.5, (7.0, 8.0, 18.0, 23.0), ASLEEP),
        (0.5, (7.0, 8.0, 18.0, 24.75), AWAKE),  # bedtime after midnight
        (3.0, (14.5, 21.0, 31.0, 32.0), OUT),  # a night shift, 21:00-07:00
        (7.5, (14.5, 21.0, 31.0, 32.0), AWAKE),
        (10.0, (14.5, 21.0, 31.0, 32.0), ASLEEP),
        (16.0, (14.5, 21.0, 31.0, 32.0), AWAKE),
        (12.0, (7.0, 7.25, 7.25, 23.0), AWAKE),  # a day at home: empty absence
    ],
)
def test_where_a_resident_is_follows_the_day_around_the_clock(hour, times, state):
    assert routine_state(hour, *times) == state


def test_ordered_days_are_consistent_whatever_the_draws():
    g = np.random.default_rng(0)
    for _ in range(500):
        wake, leave, back, sleep = g.uniform(-3, 40, 4)
        out = bool(g.random() < 0.7)
        w, lv, bk, sl = ordered_day(wake, leave, back, sleep, out)
        assert 0.0 <= w < 24.0
        assert w < lv <= bk < sl <= w + 23.5 + 1e-12
        if not out:
            assert lv == bk


def _one_role_slots(n: int, role: int, table: RoleTable) -> ResidentSlots:
    s = ResidentSlots.allocate(n)
    s.active[:, 0] = 1
    s.role[:, 0] = role
    p = table.params[role]
    s.usual[:, :, 0] = p[:8][:, None]  # each resident's usual times: the role's means
    s.key_day[:] = [rng.draw_key(np.random.default_rng(i)) for i in range(n)]
    return s


def test_a_days_routine_varies_around_the_usual_times_with_the_roles_spreads():
    table = RoleTable.of(SMALL.home)
    role = table.role_names.index("single_commuter.adult")
    p = table.params[role]
    n = 3000
    s = _one_role_slots(n, role, table)
    draw_days(2, False, s.key_day, table.params, s.active, s.role, s.usual, s.today)  # Wednesday
    wake, leave, back, sleep = s.today[:, :, 0]
    out = back > leave
    # goes out: not working from home, and not staying in
    expected_out = (1 - p[C_OFFICE]) * p[C_AWAY_WD]
    assert abs(out.mean() - expected_out) < 3 * math.sqrt(expected_out * (1 - expected_out) / n)
    sd = p[C_SD_WD]
    for t, usual in ((wake, p[0]), (back[out], p[2])):
        assert abs(t.mean() - usual) < 4 * sd / math.sqrt(t.size)
        assert abs(t.std() - sd) < 0.1 * sd
    assert np.all(leave[~out] == back[~out])
    # weekends use the weekend routine and its chance of going out
    draw_days(5, True, s.key_day, table.params, s.active, s.role, s.usual, s.today)
    wk = s.today[:, :, 0]
    assert abs((wk[2] > wk[1]).mean() - p[C_AWAY_WE]) < 0.05
    # the same day drawn again gives the same times; another day other times
    before = s.today.copy()
    draw_days(5, True, s.key_day, table.params, s.active, s.role, s.usual, s.today)
    np.testing.assert_array_equal(before, s.today)
    draw_days(6, True, s.key_day, table.params, s.active, s.role, s.usual, s.today)
    assert not np.array_equal(before, s.today)


def _params() -> np.ndarray:
    w = World(SMALL, n_envs=1)
    return w.venue.params.copy()


def test_override_chances_are_the_logistic_model_per_hour_scaled_to_the_step():
    p = _params()
    ov = SMALL.home.overrides
    for cold in (-3.0, -1.0, 0.0, 0.7, 2.0, 4.0):
        for asleep in (False, True):
            for dt_h in (0.25, 1.0):
                up, down = override_chances(cold, asleep, dt_h, p)
                adj = ov.asleep_log_odds if asleep else 0.0
                hour_up = 1 / (1 + math.exp(-(ov.a_increase + ov.b_increase * cold + adj)))
                hour_down = 1 / (1 + math.exp(-(ov.a_decrease + ov.b_decrease * -cold + adj)))
                assert up == pytest.approx(1 - (1 - hour_up) ** dt_h, rel=1e-12, abs=1e-15)
                assert down == pytest.approx(1 - (1 - hour_down) ** dt_h, rel=1e-12, abs=1e-15)
                # the cheap bound the kernel tests draws against first is a bound
                assert override_bound(cold, asleep, p) >= max(up, down)
    assert p[Q_A_INC] == ov.a_increase and p[Q_B_DEC] == ov.b_decrease
    assert p[Q_A_DEC] == ov.a_decrease and p[Q_B_INC] == ov.b_increase
    assert p[Q_ASLEEP] == ov.asleep_log_odds


def test_an_override_goes_a_step_from_what_is_in_force_but_stays_near_the_preference():
    p = _params()
    step = p[Q_STEP]
    assert override_value(True, 20.0, 19.0, 25.0, p) == (
        20.0 + step,
        pytest.approx(math.nan, nan_ok=True),
    )
    assert override_value(True, 20.0, 20.2, 25.0, p)[0] == pytest.approx(20.2 + step)
    assert (
        override_value(True, 20.0, 20.8, 25.0, p)[0] == 20.0 + 2 * step
    )  # at most target + 2 steps
    assert math.isnan(override_value(True, 20.0, 23.0, 25.0, p)[0])  # already above: no change
    heat, cool = override_value(False, 20.0, 21.0, 25.0, p)
    assert heat == 20.0 - step and cool == 20.0 + step
    heat, cool = override_value(False, 20.0, 19.8, 20.2, p)
    assert heat == pytest.approx(19.8 - step) and cool >= heat + 0.5
    assert override_value(True, 40.0, 20.0, 40.0, p)[0] == p[Q_SP_MAX]
    assert override_value(False, 5.0, 6.0, 8.0, p)[0] == p[Q_SP_MIN]


@pytest.fixture(scope="module")
def world() -> World:
    """Two homes run from midnight to mid-afternoon under the thermostat program."""
    w = World(SMALL, n_envs=2)
    w.reset([11, 12])
    nan = np.full((2, w.nz), np.nan)
    for _ in range(60):
        w.step(Commands(nan.copy(), nan.copy(), nan.copy(), nan.copy()))
    return w


UPDATED = ("state", "sat", "acc", "tcl", "ppd_now", "score_now", "thermal_now", "excess_now")


@pytest.mark.parametrize("hour", [2.0, 7.0, 12.5, 19.0, 22.75])
def test_kernel_equals_the_mesa_agents_own_update(world, hour):
    v = world.venue
    g = np.random.default_rng(int(hour * 4))
    ne, nz = world.n_envs, world.nz
    # Rooms from cold to warm, so residents are uncomfortable both ways and override.
    zone = {
        "air": g.uniform(14.0, 26.0, (ne, nz)),
        "lux": g.uniform(0.0, 400.0, (ne, nz)),
        "cct": g.uniform(2700.0, 4000.0, (ne, nz)),
        "heat_now": g.uniform(16.0, 22.0, (ne, nz)),
    }
    zone["op"] = zone["air"] + g.uniform(-1.5, 0.5, (ne, nz))
    zone["op"][0, v.living] = 14.0  # a cold living zone in one home, a hot one in the other
    zone["op"][1, v.living] = 27.0
    zone["cool_now"] = zone["heat_now"] + 3.0
    a, b = v.slots.copy(), v.slots.copy()
    outs = []
    for slots, kernel in ((a, True), (b, False)):
        written = {
            "ov_heat": np.full((ne, nz), np.nan), "ov_cool": np.full((ne, nz), np.nan),
            "held": np.zeros((ne, nz), np.bool_), "n_over": np.zeros((ne, nz), np.int64),
        }  # fmt: skip
        for step in range(40):  # 10 h of steps at the same hour: many override draws
            written["n_over"][...] = 0
            if kernel:
                resident_update(
                    0, ne, step, hour, world.dt_h, v.params, slots.arrays(), v.living,
                    zone["air"], zone["op"], zone["lux"], zone["cct"], zone["heat_now"],
                    zone["cool_now"], written["ov_heat"], written["ov_cool"], written["held"],
                    written["n_over"],
                )  # fmt: skip
            else:
                saved = v.model.slots
                v.model.slots = slots
                try:
                    inputs = {"step": step, "hour": hour, "dt_h": world.dt_h, "p": v.params,
                              "living": v.living, **zone, **written}  # fmt: skip
                    v.model.agents.do(resident_step_reference, inputs)
                finally:
                    v.model.slots = saved
        outs.append(written)
    for name in UPDATED:
        np.testing.assert_allclose(
            getattr(a, name), getattr(b, name), rtol=0, atol=1e-9, err_msg=name
        )
    for key in outs[0]:
        np.testing.assert_array_equal(outs[0][key], outs[1][key], err_msg=key)
    present = np.isin(a.state, (AWAKE, ASLEEP))
    if present.any():
        assert np.isfinite(a.ppd_now[present]).all()
    # the comparison covered residents who overrode the thermostat (or nobody was home)
    made = (a.acc[4] - v.slots.acc[4]).sum()
    assert made > 0 or not (a.state == AWAKE).any()


def test_households_follow_the_types_shares_consent_and_member_counts():
    n = 1200
    sim = simpy.Environment()
    slots = ResidentSlots.allocate(n)
    streams = [spawn_streams(1000 + i) for i in range(n)]
    model = HomesModel(SMALL, sim, slots, streams, np.array([1]), 3 * 86400.0)
    home = SMALL.home
    counts = np.bincount(slots.household, minlength=len(home.households)) / n
    for h, ht in enumerate(home.households):
        assert abs(counts[h] - ht.share) < 4 * math.sqrt(ht.share * (1 - ht.share) / n), ht.name
        mine = slots.household == h
        size = slots.active[mine].sum(axis=1)
        lo = sum(m.count[0] for m in ht.members)
        hi = sum(m.count[1] for m in ht.members)
        assert size.min() >= lo and size.max() <= hi
        if mine.sum() > 60:
            assert abs(slots.consent[mine].mean() - ht.consent_share) < 0.15
    assert len(model.agents) == int(slots.active.sum())
    # preferences within their clipped ranges, bedtimes after waking
    active = slots.active == 1
    assert np.all(slots.traits[0][active] >= 17.5) and np.all(slots.traits[0][active] <= 25.0)
    assert np.all(slots.usual[3][active] > slots.usual[0][active])
    assert np.all(slots.bed[active] == 1)


def test_trips_come_at_the_yearly_rate_and_last_their_days():
    g = np.random.default_rng(3)
    years = 40.0
    trips = draw_trips(g, 3.0, (6.0, 2.0, 2.0, 12.0), years * 365 * 86400.0, 0.0)
    assert abs(len(trips) - 3.0 * years) < 4 * math.sqrt(3.0 * years)
    days = np.array([(b - a) / 86400.0 for a, b in trips])
    assert days.min() > 1.0 and days.max() < 13.0 and abs(days.mean() - 6.0) < 0.8
    assert all(trips[i][1] <= trips[i + 1][0] for i in range(len(trips) - 1))
    assert draw_trips(g, 0.0, (6.0, 2.0, 2.0, 12.0), 1e9, 0.0) == []
