"""The store's discrete events: arrivals, the door, the checkout lanes and the exits."""

from __future__ import annotations

import numpy as np
import pytest
import simpy

from agents.store.checkout import Lanes
from agents.store.model import BALKED, EXIT_COLUMNS, NO_PURCHASE, PAID, RENEGED
from agents.store.slots import EMPTY
from tests.agents.test_shopper_kernel import house_commands
from twin.scenario import load_scenario
from twin.world import World

X = {name: i for i, name in enumerate(EXIT_COLUMNS)}


def small(**store_changes):
    s = load_scenario("store_small")
    if not store_changes:
        return s
    sections = {k: v for k, v in store_changes.items() if "." in k}
    store = s.store
    for path, value in sections.items():
        part, field = path.split(".")
        store = store.model_copy(
            update={part: getattr(store, part).model_copy(update={field: value})}
        )
    flat = {k: v for k, v in store_changes.items() if "." not in k}
    return s.model_copy(update={"store": store.model_copy(update=flat)})


def run(scenario, seeds, steps=None) -> World:
    w = World(scenario, n_envs=len(seeds))
    w.reset(seeds)
    for _ in range(steps or w.n_steps):
        w.step(house_commands(w))
    return w


def test_arrivals_follow_the_scenarios_poisson_rate():
    s = small()
    w = run(s, list(range(40)))
    counts = np.array([m.arrivals for m in w.venue.models])
    weekday = s.simulation.start.weekday()
    expected = sum(s.store.arrival_rate(weekday, h) for h in range(24))
    # Poisson: mean within 4 standard errors, variance about the mean.
    assert abs(counts.mean() - expected) < 4 * np.sqrt(expected / counts.size)
    assert 0.5 * expected < counts.var(ddof=1) < 1.8 * expected


def test_every_shopper_leaves_once_and_slots_are_never_shared():
    w = run(small(), [1, 2])
    for e, model in enumerate(w.venue.models):
        exits, masks, shown = model.exit_table()
        in_store = int((w.venue.slots.stage[e] != EMPTY).sum())
        assert model.arrivals - model.turned_away == exits.shape[0] + in_store
        ids = exits[:, X["shopper"]]
        assert np.unique(ids).size == ids.size  # nobody leaves twice
        assert (exits[:, X["exit_s"]] >= exits[:, X["arrival_s"]]).all()
        assert len(model.free) + in_store == w.venue.slots.stage.shape[1]
        assert sorted(model.shoppers) == sorted(np.flatnonzero(w.venue.slots.stage[e] != EMPTY))
        paid = exits[:, X["outcome"]] == PAID
        assert (exits[paid, X["items"]] > 0).all()
        assert (exits[exits[:, X["outcome"]] == NO_PURCHASE, X["items"]] == 0).all()
        assert w.kpis(e)["revenue"] == pytest.approx(exits[paid, X["spend"]].sum(), abs=1e-6)


def test_a_full_store_turns_shoppers_away_at_the_door():
    w = run(small(max_shoppers=4), [5])
    model = w.venue.models[0]
    assert model.turned_away > 10
    assert w.kpis(0)["turned_away"] == model.turned_away


def test_one_slow_lane_makes_shoppers_balk_and_renege():
    slow = small(
        **{
            "checkout.lanes": 1,
            "checkout.service_base_s": load_scenario(
                "store_small"
            ).store.checkout.service_base_s.model_copy(update={"mean": 170.0}),
        }
    )
    w = run(slow, [7, 8])
    outcomes = np.concatenate([m.exit_table()[0][:, X["outcome"]] for m in w.venue.models])
    assert (outcomes == BALKED).sum() > 0 and (outcomes == RENEGED).sum() > 0
    for model in w.venue.models:
        exits = model.exit_table()[0]
        reneged = exits[exits[:, X["outcome"]] == RENEGED]
        assert (reneged[:, X["spend"]] == 0).all()  # an abandoned basket earns nothing
    kpis = w.kpis(0)
    assert kpis["queue_wait_p95_min"] > kpis["queue_wait_p50_min"] > 0


def test_lanes_serve_first_come_first_served_and_pick_the_shortest():
    sim = simpy.Environment()
    served, done = [], []
    lanes = Lanes(sim, 2, lambda lane, t: served.append((sim.now, lane, t)) or 10.0,
                  lambda lane, t: done.append((sim.now, lane, t)))  # fmt: skip
    for ticket in range(5):
        lane, _ = lanes.shortest()
        lanes.join(lane, ticket)
    assert [t for _, _, t in served] == [0, 1]  # both lanes busy at once
    assert lanes.total() == 5 and lanes.waiting() == 3
    assert lanes.leave(0, 2) and not lanes.leave(0, 2)  # ticket 2 gives up waiting
    sim.run()
    assert [t for _, _, t in done] == [0, 1, 4, 3]  # lane 0: 0 then 4; lane 1: 1 then 3
    assert all(
        end - start == 10.0 for (start, _, _), (end, _, _) in zip(served[:2], done[:2], strict=True)
    )


def test_the_store_runs_the_same_alone_or_batched():
    batched = run(small(), [11, 12, 13], steps=100)
    for e, seed in enumerate([11, 12, 13]):
        alone = run(small(), [seed], steps=100)
        np.testing.assert_array_equal(batched.venue.slots.spend[e], alone.venue.slots.spend[0])
        assert batched.kpis(e) == alone.kpis(0)
