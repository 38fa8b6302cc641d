"""The shoppers' per-step update: the Numba kernel against the Mesa agents, and by hand.

:func:`agents.store.shopper_kernel.shopper_step` (all slots of all copies, what the
World runs) and :func:`agents.store.reference.shopper_step_reference` (one Mesa agent at
a time in plain Python) must give the same result from the same state and the same
uniform streams. They are compared on a small store run into its rush hour, so that
shoppers enter, walk, browse, buy, notice displays and reach the checkout; the purchase,
routing and attention rules are also checked against their formulas.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from agents.store import reference
from agents.store.shopper_kernel import Ambience, shopper_step
from agents.store.slots import BROWSING, EMPTY
from twin.interface import Commands
from twin.scenario import load_scenario
from twin.world import World

UPDATED = ("stage", "place", "target", "zone", "timer", "visit_min", "plan", "visited",
           "bought", "seen", "shown", "sat", "comfort", "acc", "tcl", "ppd_now", "items",
           "spend", "ready_s", "left_early")  # fmt: skip


def house_commands(w: World) -> Commands:
    ne, nz = w.n_envs, w.nz
    v = w.venue
    return Commands(
        np.full((ne, nz), 20.0), np.full((ne, nz), 24.0), np.full((ne, nz), 600.0),
        np.full((ne, nz), 4000.0),
        venue={"music_genre": np.zeros((ne, nz), int), "music_volume_db": np.full((ne, nz), 62.0),
               "display_category": np.tile(np.arange(v.n_displays) % v.n_categories, (ne, 1))},
    )  # fmt: skip


@pytest.fixture(scope="module")
def world() -> World:
    """Two copies of the small store an hour after opening (the shop is busy)."""
    w = World(load_scenario("store_small"), n_envs=2)
    w.reset([3, 4])
    for _ in range(70):
        w.step(house_commands(w))
    stage = w.venue.slots.stage
    assert (stage != EMPTY).sum(axis=1).min() >= 5
    assert (stage == BROWSING).any()
    return w


def inputs(w: World, slots) -> dict:
    v = w.venue
    out = w.out
    return {
        "t0_s": w.now_s, "dt_h": w.dt_h, "p": v.tables.params, "beh": v.tables.behaviour,
        "geo": v.tables.geometry, "cat": v.tables.catalogue,
        "amb": Ambience(out.air, out.op, out.lux, out.cct, v.genre,
                        v.tables.catalogue.tempo_bpm[v.genre], v.volume, v.display),
        "slots": slots, "count": w.count.copy(), "noise": v._noise,
        "cursor": v._cursor.copy(), "disclosed": (slots.consent == 1) & (slots.stage != 0),
        "ready": np.zeros_like(slots.ready), "n_ready": np.zeros(w.n_envs, np.int64),
        "sacc": np.zeros_like(v.sacc), "tacc": v.tacc.copy(), "visits": v.visits.copy(),
        "dwell_min": v.dwell_min.copy(),
    }  # fmt: skip


def by_kernel(w: World):
    slots = w.venue.slots.copy()
    inp = inputs(w, slots)
    shopper_step(
        inp["t0_s"], inp["dt_h"], inp["p"], inp["beh"], inp["geo"], inp["cat"], inp["amb"],
        slots.arrays(), inp["count"], inp["noise"], inp["cursor"], inp["disclosed"],
        inp["ready"], inp["n_ready"], inp["sacc"], inp["tacc"], inp["visits"], inp["dwell_min"],
    )  # fmt: skip
    return slots, inp


def by_mesa(w: World):
    slots = w.venue.slots.copy()
    inp = inputs(w, slots)
    reference.start_step(inp)
    for model in w.venue.models:
        model.agents.sort("slot", ascending=True).do(reference.shopper_step_reference, inp)
    reference.end_step(inp)
    return slots, inp


def test_kernel_equals_mesa_agents_over_several_steps(world: World) -> None:
    w = world
    moved = 0
    for _ in range(5):
        a, ia = by_kernel(w)
        b, ib = by_mesa(w)
        for name in UPDATED:
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
        for key in ("count", "cursor", "ready", "n_ready", "sacc", "tacc", "visits", "dwell_min"):
            np.testing.assert_array_equal(ia[key], ib[key], err_msg=key)
        moved += int((a.stage != w.venue.slots.stage).sum())
        w.step(house_commands(w))  # on to a new state
    assert moved > 0  # the comparison covered stage changes, not only timers


def test_the_comparison_notices_a_different_comfort_rule(world: World, monkeypatch) -> None:
    """A plausible bug on the Mesa side (music forgotten in comfort) must show up."""
    a, _ = by_kernel(world)
    p = world.venue.tables.params.copy()
    from agents.store.shopper_kernel import P_W_M

    p[P_W_M] = 0.0  # the music weight, zeroed for the Mesa path only

    original = reference._feel

    def feel_without_music(s, e, m, inp):
        original(s, e, m, {**inp, "p": p})

    monkeypatch.setattr(reference, "_feel", feel_without_music)
    b, _ = by_mesa(world)
    assert not np.array_equal(a.comfort, b.comfort)


def test_purchase_frequencies_follow_the_multinomial_logit(world: World) -> None:
    """Many shoppers finishing the same browse buy each product as often as the MNL says."""
    from agents.store import shopper_kernel as sk

    w = world
    v = world.venue
    beh = v.tables.behaviour
    cat = v.tables.catalogue._replace(  # one pick of one unit: the spend names the product
        picks_mean=np.zeros_like(v.tables.catalogue.picks_mean),
        quantity_mean=np.zeros_like(v.tables.catalogue.quantity_mean),
    )
    slots = v.slots.copy()
    m = int(np.flatnonzero(slots.stage[0] != EMPTY)[0])
    c = 0
    slots.place[0, m] = c
    slots.visit_min[0, m] = beh[sk.B_DWELL_MEAN]
    slots.seen[0, m] = 0
    common = beh[sk.B_AFFINITY_U] * slots.affinity[c, 0, m] + beh[sk.B_MOOD_U] * (
        slots.sat[0, m] - 0.5
    )
    slope = beh[sk.B_PRICE_COEF] * slots.prefs[7, 0, m]
    n = int(cat.n_products[c])
    weights = np.exp(cat.appeal[c, :n] - slope * np.log(cat.prices[c, :n]) + common)
    expected = np.r_[weights, math.exp(beh[sk.B_NO_PURCHASE_U])]
    expected /= expected.sum()
    trials, counts = 4000, np.zeros(n + 1)
    view = slots.arrays()
    noise = np.random.default_rng(0).random((1, 40 * trials))
    cursor = np.zeros(1, np.int64)
    purchase = getattr(sk._purchase, "py_func", sk._purchase)  # plain Python, JIT or not
    for _ in range(trials):
        view.spend[0, m] = 0.0
        purchase(view, 0, m, v.tables.geometry, cat, beh, noise, cursor, np.zeros((4, 1, w.nz)))
        spent = view.spend[0, m]
        counts[np.flatnonzero(np.isclose(cat.prices[c, :n], spent))[0] if spent else n] += 1
    freq = counts / trials
    assert np.all(np.abs(freq - expected) < 4 * np.sqrt(expected * (1 - expected) / trials))
