"""Struct-of-arrays shopper state: ``max_shoppers`` slots per store copy.

The World's store venue allocates one :class:`ShopperSlots` for all copies; each copy's
:class:`agents.store.model.StoreModel` writes a free slot of its row ``e`` when a shopper
walks in and frees it when they leave, and the Numba kernel
(:func:`agents.store.shopper_kernel.shopper_step`) updates every occupied slot each step.
Category sets (the shopping list, what was visited, bought, seen promoted) are bit masks
over the catalogue's categories (at most 62 categories).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import NamedTuple

import numpy as np
from numba import njit

from agents.store.population import N_PREFS

# Stages of a shopper's trip (values of ``stage``).
EMPTY, ENTERING, WALKING, BROWSING, READY, QUEUED, PAYING = range(7)
STAGE_NAMES = ("empty", "entering", "walking", "browsing", "ready", "queued", "paying")
#: Most categories a catalogue may have (bit masks are int64).
MAX_CATEGORIES = 62

# Rows of ``acc``: comfort-hours, hours in the store, PPD-hours, hours disclosed to the policy.
ACC_SAT_H, ACC_IN_STORE_H, ACC_PPD_H, ACC_DISCLOSED_H = range(4)


class ShopperArrays(NamedTuple):
    """The slot arrays the shopper kernel reads and writes (see :class:`ShopperSlots`)."""

    stage: np.ndarray
    place: np.ndarray
    target: np.ndarray
    zone: np.ndarray
    timer: np.ndarray
    visit_min: np.ndarray
    prefs: np.ndarray
    liking: np.ndarray
    affinity: np.ndarray
    plan: np.ndarray
    visited: np.ndarray
    bought: np.ndarray
    seen: np.ndarray
    shown: np.ndarray
    favourites: np.ndarray
    consent: np.ndarray
    sat: np.ndarray
    comfort: np.ndarray
    acc: np.ndarray
    tcl: np.ndarray
    ppd_now: np.ndarray
    items: np.ndarray
    spend: np.ndarray
    ready_s: np.ndarray
    left_early: np.ndarray


@dataclass(slots=True)
class ShopperSlots:
    """Shopper state; shapes ``(ne, M)`` unless a leading field axis is noted."""

    stage: np.ndarray  # int8, EMPTY ... PAYING
    place: np.ndarray  # int64 place (section, entrance, checkout) being left or browsed
    target: np.ndarray  # int64 place being walked to
    zone: np.ndarray  # int64 building zone the shopper is in now
    timer: np.ndarray  # minutes left of the current walk or browse
    visit_min: np.ndarray  # minutes the current browse was planned to take
    prefs: np.ndarray  # (N_PREFS, ne, M), see agents.store.population.PREF_FIELDS
    liking: np.ndarray  # (G, ne, M) liking of each genre, 0..1
    affinity: np.ndarray  # (C, ne, M) affinity to each category, 0..1
    plan: np.ndarray  # int64 mask: listed categories not yet visited
    planned: np.ndarray  # int64 mask: the list as drawn at arrival
    visited: np.ndarray  # int64 mask: sections stopped at
    bought: np.ndarray  # int64 mask: categories bought from
    seen: np.ndarray  # int64 mask: categories seen promoted on a display
    shown: np.ndarray  # (C, ne, M) displays of each category the shopper noticed
    favourites: np.ndarray  # int64 mask: the shopper's favourite categories (top affinities)
    segment: np.ndarray  # int64 segment index, -1 when empty
    consent: np.ndarray  # int8, 1 if the shopper shares data (loyalty app)
    sat: np.ndarray  # ambience comfort remembered, 0..1
    comfort: np.ndarray  # ambience comfort this step, 0..1
    acc: np.ndarray  # (4, ne, M) see the ACC_* rows
    tcl: np.ndarray  # clothing surface temperature (PMV warm start)
    ppd_now: np.ndarray  # PPD (%) this step, NaN when empty
    items: np.ndarray  # units in the basket
    spend: np.ndarray  # value of the basket
    arrival_s: np.ndarray  # run time of arrival (s)
    ready_s: np.ndarray  # run time the shopping ended (s)
    left_early: np.ndarray  # int8, 1 if discomfort or crowding cut the trip short
    shopper_id: np.ndarray  # int64 pseudonymous id, -1 when empty
    n_ready: np.ndarray  # (ne,) shoppers who finished shopping this step
    ready: np.ndarray  # (ne, M) their slots, first n_ready[e] entries

    @classmethod
    def allocate(cls, ne: int, m: int, n_genres: int, n_categories: int) -> ShopperSlots:
        """Empty slots for ``ne`` store copies of ``m`` shoppers each."""
        if n_categories > MAX_CATEGORIES:
            raise ValueError(f"{n_categories} categories: at most {MAX_CATEGORIES} are supported")
        shape = (ne, m)
        return cls(
            stage=np.zeros(shape, np.int8),
            place=np.zeros(shape, np.int64),
            target=np.zeros(shape, np.int64),
            zone=np.zeros(shape, np.int64),
            timer=np.zeros(shape),
            visit_min=np.zeros(shape),
            prefs=np.zeros((N_PREFS, *shape)),
            liking=np.zeros((n_genres, *shape)),
            affinity=np.zeros((n_categories, *shape)),
            plan=np.zeros(shape, np.int64),
            planned=np.zeros(shape, np.int64),
            visited=np.zeros(shape, np.int64),
            bought=np.zeros(shape, np.int64),
            seen=np.zeros(shape, np.int64),
            shown=np.zeros((n_categories, *shape)),
            favourites=np.zeros(shape, np.int64),
            segment=np.full(shape, -1, np.int64),
            consent=np.zeros(shape, np.int8),
            sat=np.zeros(shape),
            comfort=np.zeros(shape),
            acc=np.zeros((4, *shape)),
            tcl=np.full(shape, np.nan),
            ppd_now=np.full(shape, np.nan),
            items=np.zeros(shape),
            spend=np.zeros(shape),
            arrival_s=np.zeros(shape),
            ready_s=np.zeros(shape),
            left_early=np.zeros(shape, np.int8),
            shopper_id=np.full(shape, -1, np.int64),
            n_ready=np.zeros(ne, np.int64),
            ready=np.zeros(shape, np.int64),
        )

    def arrays(self) -> ShopperArrays:
        """The kernel's view of the slots (the same arrays)."""
        return ShopperArrays(*(getattr(self, f) for f in ShopperArrays._fields))

    def copy(self) -> ShopperSlots:
        """Deep copy (for snapshots in tests)."""
        return ShopperSlots(**{f.name: getattr(self, f.name).copy() for f in fields(self)})


@njit(cache=True, error_model="numpy")
def write_arrival(
    s: ShopperArrays,
    e: int,
    m: int,
    place: int,
    zone: int,
    prefs: np.ndarray,
    liking: np.ndarray,
    affinity: np.ndarray,
    plan: int,
    favourites: int,
    consent: int,
    satisfaction: float,
) -> None:
    """A shopper walks in: fill slot ``(e, m)`` with their profile and a fresh trip.

    ``prefs``, ``liking`` and ``affinity`` are the shopper's rows of the day's draws;
    ``place`` is the entrance and ``zone`` its zone; ``satisfaction`` is the mood they
    arrive with.
    """
    s.stage[e, m] = ENTERING
    s.place[e, m] = place
    s.target[e, m] = place
    s.zone[e, m] = zone
    s.timer[e, m] = 0.0
    s.visit_min[e, m] = 0.0
    for k in range(prefs.shape[0]):
        s.prefs[k, e, m] = prefs[k]
    for k in range(liking.shape[0]):
        s.liking[k, e, m] = liking[k]
    for k in range(affinity.shape[0]):
        s.affinity[k, e, m] = affinity[k]
        s.shown[k, e, m] = 0.0
    s.plan[e, m] = plan
    s.visited[e, m] = 0
    s.bought[e, m] = 0
    s.seen[e, m] = 0
    s.favourites[e, m] = favourites
    s.consent[e, m] = consent
    s.sat[e, m] = satisfaction
    s.comfort[e, m] = satisfaction
    for k in range(s.acc.shape[0]):
        s.acc[k, e, m] = 0.0
    s.tcl[e, m] = np.nan
    s.ppd_now[e, m] = np.nan
    s.items[e, m] = 0.0
    s.spend[e, m] = 0.0
    s.ready_s[e, m] = 0.0
    s.left_early[e, m] = 0
