"""Numba kernel of the shoppers' per-step update, over struct-of-arrays.

Every step, for every occupied slot of every store copy, :func:`shopper_step` moves the
shopper through the store in continuous time within the step (a shopper may finish a
browse, buy, walk on and start the next browse in one minute), then scores how the
store feels to *them*:

* **Route**: from the entrance, each shopper walks to the nearest section still on
  their list; on the way they pass other sections (the floor plan's ``pass_order``), and
  stop at one with a chance that grows with their affinity to it, a promotion of it
  they have seen and the ambience (``impulse x sigmoid(...)``); a listed section passed
  on the way is always a stop. With the list done they walk to the checkout.
* **Attention**: arriving at or passing a place, the shopper notices each display in
  view of it with ``attention_prob`` (RecSim's cascade attention); a noticed display
  counts as an exposure of its category and its promotion raises that category's
  utility for the rest of the trip.
* **Purchase**: at the end of a browse, ``1 + Poisson(picks_mean)`` picks, each a
  multinomial logit over the section's products against a no-purchase option
  (RetailSynth's category -> product step), utilities from appeal, price sensitivity x
  log price, affinity, a seen promotion, mood and time spent; a bought product comes
  in ``1 + Poisson(quantity_mean)`` units.
* **Dwell and pace**: a browse lasts a clipped-normal draw scaled by the music's tempo
  (slow music lengthens visits, Milliman 1982) and by ambience comfort; walking pace
  follows the tempo too.
* **Leaving early**: a hazard from discomfort and crowding (floor area per shopper in
  the zone) cuts the trip short: the shopper heads for the checkout with their basket.
* **Experience**: thermal, light, colour and music comfort relative to the shopper's
  own preferences (the shared occupant-experience kernels of :mod:`agents.kernels` plus
  the music term: genre liking x volume fit), remembered with a memory time constant,
  and ISO 7730 PPD with the shopper's clothing and activity.

Randomness comes in as one stream of uniforms per copy (``noise[e]``, read from
``cursor[e]`` on, refilled by the caller between steps), consumed in slot order, so a
copy's shoppers draw exactly what they would draw in a store of their own.
:mod:`agents.store.reference` is the same update for one Mesa agent in plain Python.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

from agents.kernels import (
    AWAKE,
    N_PARAMS,
    P_MEMORY_H,
    P_RH,
    P_VR,
    P_W_C,
    P_W_L,
    P_W_T,
    comfort_terms,
)
from agents.store.population import (
    PR_CCT,
    PR_CLO,
    PR_IMPULSE,
    PR_LUX,
    PR_MET,
    PR_PRICE,
    PR_SPEED,
    PR_TEMP,
    PR_TOL,
    PR_VOL,
)
from agents.store.slots import (
    ACC_DISCLOSED_H,
    ACC_IN_STORE_H,
    ACC_PPD_H,
    ACC_SAT_H,
    BROWSING,
    EMPTY,
    ENTERING,
    READY,
    WALKING,
    ShopperArrays,
)
from twin.physics.comfort import put_lane, score_lanes
from twin.physics.vexp import exp

# Store entries of the experience parameter vector, after the shared ones.
P_W_M, P_VOL_TOL = N_PARAMS, N_PARAMS + 1
N_STORE_PARAMS = N_PARAMS + 2

# Layout of the behaviour vector (from [store.behaviour]).
(
    B_DWELL_MEAN, B_DWELL_SD, B_DWELL_LOW, B_DWELL_HIGH, B_REF_TEMPO, B_DWELL_PER_BPM,
    B_DWELL_COMFORT, B_ATTENTION, B_PROMO_U, B_MOOD_U, B_NO_PURCHASE_U, B_PRICE_COEF,
    B_AFFINITY_U, B_IMPULSE_LOGIT, B_IMPULSE_AFFINITY, B_IMPULSE_PROMO, B_IMPULSE_AMBIENCE,
    B_LEAVE_DISCOMFORT, B_CROWD_M2, B_LEAVE_CROWD, B_DWELL_UTILITY,
) = range(21)  # fmt: skip
N_BEHAVIOUR = 21

# Rows of the per-copy, per-zone step accumulator ``sacc`` (reset every step) and of the
# per-copy running totals ``tacc``.
S_BASKET, S_COMFORT_H, S_EXPOSED, S_EXPOSED_OUT = range(4)
N_SACC = 4
T_EXPOSED, T_EXPOSED_OUT, T_COMFORT_H, T_PRESENT_H, T_PPD_H, T_DISCLOSED_H = range(6)
N_TACC = 6

#: Floors keeping tempo and comfort factors positive.
MIN_FACTOR = 0.1


class StoreGeometry(NamedTuple):
    """The floor plan as the kernel needs it (see :class:`agents.store.floorplan.FloorPlan`)."""

    distance_m: np.ndarray  # (P, P)
    pass_order: np.ndarray  # (P, P, S) int64, -1 padded
    place_zone: np.ndarray  # (P,) int64 zone of each place
    display_sees: np.ndarray  # (D, P) bool
    display_zone: np.ndarray  # (D,) int64 zone of each display
    zone_area_m2: np.ndarray  # (nz,)


class Catalogue(NamedTuple):
    """Products and music as arrays."""

    prices: np.ndarray  # (C, J) price of each product, NaN past a category's products
    appeal: np.ndarray  # (C, J)
    n_products: np.ndarray  # (C,) int64
    quantity_mean: np.ndarray  # (C,)
    picks_mean: np.ndarray  # (C,) extra product picks per browse (Poisson mean)
    tempo_bpm: np.ndarray  # (G,)


class Ambience(NamedTuple):
    """What each zone offers this step, ``(ne, nz)``; displays ``(ne, D)``."""

    t_air: np.ndarray
    t_op: np.ndarray
    lux: np.ndarray
    cct: np.ndarray
    genre: np.ndarray  # int64 index into the music catalogue
    tempo: np.ndarray  # bpm of the genre playing
    volume_db: np.ndarray
    display: np.ndarray  # int64 category promoted by each display


@njit(cache=True, inline="always", error_model="numpy")
def _uniform(noise, cursor, e):
    """The next uniform of copy ``e``'s stream (wrapping if a step ever drains it)."""
    k = cursor[e]
    cursor[e] = k + 1
    return noise[e, k % noise.shape[1]]


@njit(cache=True, inline="always", error_model="numpy")
def _normal(noise, cursor, e):
    """A standard normal from two uniforms (Box-Muller)."""
    u1 = _uniform(noise, cursor, e)
    u2 = _uniform(noise, cursor, e)
    return math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(2.0 * math.pi * u2)


@njit(cache=True, inline="always", error_model="numpy")
def _poisson(noise, cursor, e, mean):
    """A Poisson draw (Knuth's product of uniforms; the means here are small)."""
    limit = math.exp(-mean)
    k = 0
    prod = _uniform(noise, cursor, e)
    while prod > limit and k < 50:
        k += 1
        prod *= _uniform(noise, cursor, e)
    return k


@njit(cache=True, inline="always", error_model="numpy")
def tempo_factor(tempo: float, beh) -> float:
    """Relative length of visits and walks at a music ``tempo`` (1 at the reference)."""
    return max(MIN_FACTOR, 1.0 + beh[B_DWELL_PER_BPM] * (tempo - beh[B_REF_TEMPO]))


@njit(cache=True, inline="always", error_model="numpy")
def _notice(s: ShopperArrays, e, m, place, geo, amb, beh, noise, cursor, sacc, tacc):
    """The shopper at or passing ``place`` notices each display in view of it."""
    for d in range(geo.display_sees.shape[0]):
        if geo.display_sees[d, place] and _uniform(noise, cursor, e) < beh[B_ATTENTION]:
            c = amb.display[e, d]
            if c < 0:
                continue
            s.shown[c, e, m] += 1.0
            s.seen[e, m] |= np.int64(1) << c
            zd = geo.display_zone[d]
            sacc[S_EXPOSED, e, zd] += 1.0
            tacc[T_EXPOSED, e] += 1.0
            if (s.favourites[e, m] >> c) & 1 == 0:
                sacc[S_EXPOSED_OUT, e, zd] += 1.0
                tacc[T_EXPOSED_OUT, e] += 1.0


@njit(cache=True, inline="always", error_model="numpy")
def _depart(s: ShopperArrays, e, m, geo, amb, beh, noise, cursor, sacc, tacc):
    """Leave the current place for the nearest listed section (or the checkout).

    Sections passed on the way are noticed in walking order; the first listed one, or
    an unlisted one the shopper feels drawn to, becomes the stop instead (not for a
    shopper leaving early: they head for the checkout). Returns the walking time (min).
    """
    here = s.place[e, m]
    n_sec = geo.pass_order.shape[2]
    checkout = n_sec + 1
    plan = s.plan[e, m]
    target = checkout
    best = np.inf
    for c in range(n_sec):
        if (plan >> c) & 1 and geo.distance_m[here, c] < best:
            best = geo.distance_m[here, c]
            target = c
    mood = s.sat[e, m] - 0.5
    impulse = s.prefs[PR_IMPULSE, e, m]
    leaving = s.left_early[e, m] == 1
    for i in range(n_sec):
        k = geo.pass_order[here, target, i]
        if k < 0:
            break
        _notice(s, e, m, k, geo, amb, beh, noise, cursor, sacc, tacc)
        if leaving:
            continue
        if (plan >> k) & 1:
            target = k
            break
        if (s.visited[e, m] >> k) & 1:
            continue
        logit = (
            beh[B_IMPULSE_LOGIT]
            + beh[B_IMPULSE_AFFINITY] * s.affinity[k, e, m]
            + beh[B_IMPULSE_PROMO] * ((s.seen[e, m] >> k) & 1)
            + beh[B_IMPULSE_AMBIENCE] * mood
        )
        if _uniform(noise, cursor, e) < impulse / (1.0 + math.exp(-logit)):
            target = k
            break
    s.target[e, m] = target
    s.zone[e, m] = geo.place_zone[target]
    pace = tempo_factor(amb.tempo[e, geo.place_zone[here]], beh)
    return geo.distance_m[here, target] / (s.prefs[PR_SPEED, e, m] * 60.0) * pace


@njit(cache=True, inline="always", error_model="numpy")
def _arrive(s: ShopperArrays, e, m, geo, amb, beh, noise, cursor, sacc, tacc, visits):
    """Reach section ``s.target``: notice its displays and start browsing it."""
    here = s.target[e, m]
    s.place[e, m] = here
    bit = np.int64(1) << here
    s.visited[e, m] |= bit
    s.plan[e, m] &= ~bit
    visits[e, here] += 1.0
    z = geo.place_zone[here]
    s.zone[e, m] = z
    _notice(s, e, m, here, geo, amb, beh, noise, cursor, sacc, tacc)
    draw = beh[B_DWELL_MEAN] + beh[B_DWELL_SD] * _normal(noise, cursor, e)
    dwell = min(max(draw, beh[B_DWELL_LOW]), beh[B_DWELL_HIGH])
    mood = max(MIN_FACTOR, 1.0 + beh[B_DWELL_COMFORT] * (s.sat[e, m] - 0.5))
    dwell *= tempo_factor(amb.tempo[e, z], beh) * mood
    s.timer[e, m] = dwell
    s.visit_min[e, m] = dwell


@njit(cache=True, inline="always", error_model="numpy")
def _purchase(s: ShopperArrays, e, m, geo, cat: Catalogue, beh, noise, cursor, sacc):
    """End a browse of section ``s.place``: pick products by a multinomial logit.

    The shopper makes ``1 + Poisson(picks_mean)`` picks; each is one of the section's
    products or nothing (the outside option), and a bought product comes in
    ``1 + Poisson(quantity_mean)`` units.
    """
    c = s.place[e, m]
    n = cat.n_products[c]
    common = (
        beh[B_AFFINITY_U] * s.affinity[c, e, m]
        + beh[B_PROMO_U] * ((s.seen[e, m] >> c) & 1)
        + beh[B_MOOD_U] * (s.sat[e, m] - 0.5)
        + beh[B_DWELL_UTILITY] * math.log(max(s.visit_min[e, m], 1e-6) / beh[B_DWELL_MEAN])
    )
    slope = beh[B_PRICE_COEF] * s.prefs[PR_PRICE, e, m]
    outside = math.exp(beh[B_NO_PURCHASE_U])
    total = outside
    for j in range(n):
        total += math.exp(cat.appeal[c, j] - slope * math.log(cat.prices[c, j]) + common)
    picks = 1 + _poisson(noise, cursor, e, cat.picks_mean[c])
    for _ in range(picks):
        pick = _uniform(noise, cursor, e) * total - outside
        if pick < 0.0:
            continue
        for j in range(n):
            pick -= math.exp(cat.appeal[c, j] - slope * math.log(cat.prices[c, j]) + common)
            if pick < 0.0 or j == n - 1:
                qty = 1.0 + _poisson(noise, cursor, e, cat.quantity_mean[c])
                value = qty * cat.prices[c, j]
                s.items[e, m] += qty
                s.spend[e, m] += value
                s.bought[e, m] |= np.int64(1) << c
                sacc[S_BASKET, e, geo.place_zone[c]] += value
                break


@njit(cache=True, inline="always", error_model="numpy")
def _move(s: ShopperArrays, e, m, t0_s, dt_min, geo, cat, amb, beh, noise, cursor, sacc, tacc,
          visits, dwell_min, ready, n_ready):  # fmt: skip
    """Walk, browse and buy through the step's ``dt_min`` minutes (several stages if short).

    A shopper reaching the checkout becomes READY at the exact time within the step and
    joins the copy's ``ready`` list for the checkout lanes (SimPy) to take over.
    """
    checkout = geo.pass_order.shape[2] + 1
    budget = dt_min
    while budget > 0.0:
        stage = s.stage[e, m]
        if stage == ENTERING:
            _notice(s, e, m, s.place[e, m], geo, amb, beh, noise, cursor, sacc, tacc)
            s.stage[e, m] = WALKING
            s.timer[e, m] = _depart(s, e, m, geo, amb, beh, noise, cursor, sacc, tacc)
            continue
        if stage != WALKING and stage != BROWSING:
            return
        left = s.timer[e, m]
        spent = min(left, budget)
        if stage == BROWSING:
            dwell_min[e, s.place[e, m]] += spent
        if left > budget:
            s.timer[e, m] = left - budget
            return
        budget -= left
        s.timer[e, m] = 0.0
        if stage == BROWSING:
            _purchase(s, e, m, geo, cat, beh, noise, cursor, sacc)
            s.stage[e, m] = WALKING
            s.timer[e, m] = _depart(s, e, m, geo, amb, beh, noise, cursor, sacc, tacc)
        elif s.target[e, m] == checkout:
            s.place[e, m] = checkout
            s.zone[e, m] = geo.place_zone[checkout]
            s.stage[e, m] = READY
            s.ready_s[e, m] = t0_s + (dt_min - budget) * 60.0
            ready[e, n_ready[e]] = m
            n_ready[e] += 1
            return
        elif s.left_early[e, m] == 1:
            s.place[e, m] = s.target[e, m]
            s.timer[e, m] = _depart(s, e, m, geo, amb, beh, noise, cursor, sacc, tacc)
        else:
            s.stage[e, m] = BROWSING
            _arrive(s, e, m, geo, amb, beh, noise, cursor, sacc, tacc, visits)


@njit(cache=True, error_model="numpy")
def shopper_step(
    t0_s: float,
    dt_h: float,
    p: np.ndarray,
    beh: np.ndarray,
    geo: StoreGeometry,
    cat: Catalogue,
    amb: Ambience,
    s: ShopperArrays,
    count: np.ndarray,
    noise: np.ndarray,
    cursor: np.ndarray,
    disclosed: np.ndarray,
    ready: np.ndarray,
    n_ready: np.ndarray,
    sacc: np.ndarray,
    tacc: np.ndarray,
    visits: np.ndarray,
    dwell_min: np.ndarray,
) -> None:
    """Advance every shopper of every store copy by one step of ``dt_h`` hours.

    Args:
        t0_s: run time at the start of the step (s).
        dt_h: step length (h).
        p: ``(N_STORE_PARAMS,)`` experience parameters (``agents.kernels.P_*``, then
            :data:`P_W_M` and :data:`P_VOL_TOL`).
        beh: ``(N_BEHAVIOUR,)`` the behaviour vector (the ``B_*`` indices).
        geo, cat, amb: the floor plan, the catalogue and what each zone offers now.
        s: the shopper slots, updated in place.
        count: ``(ne, nz)`` shoppers per zone at the start of the step (crowding); out:
            after it.
        noise: ``(ne, L)`` uniforms; ``cursor`` ``(ne,)`` where each copy reads next.
        disclosed: ``(ne, M)`` shoppers whose data the policy saw this step.
        ready: ``(ne, M)`` out: slots that reached the checkout this step, the first
            ``n_ready[e]`` of row ``e`` (``n_ready`` is reset here); the caller moves
            them on (READY lasts only until then).
        sacc: ``(N_SACC, ne, nz)`` this step's basket value (by the zone of the section
            bought from), comfort-hours (by the shopper's zone) and exposures (by the
            display's zone), reset here; ``tacc`` ``(N_TACC, ne)`` running totals, added to.
        visits, dwell_min: ``(ne, P)`` stops at and browsing minutes in each place.
    """
    ne, m_max = s.stage.shape
    nz = count.shape[1]
    dt_min = dt_h * 60.0
    pull = 1.0 - math.exp(-dt_h / p[P_MEMORY_H])
    w_tlc = p[P_W_T] + p[P_W_L] + p[P_W_C]
    w_all = w_tlc + p[P_W_M]
    cap = 0  # shoppers in the stores: the PMV lanes need one column each
    for e in range(ne):
        for m in range(m_max):
            if s.stage[e, m] != EMPTY:
                cap += 1
    lanes = np.empty((11, cap))
    lane_e = np.empty(cap, np.int64)
    lane_m = np.empty(cap, np.int64)
    n = 0
    for e in range(ne):
        n_ready[e] = 0
        for k in range(sacc.shape[0]):
            for z in range(nz):
                sacc[k, e, z] = 0.0
        for m in range(m_max):
            if s.stage[e, m] == EMPTY:
                continue
            if s.stage[e, m] <= BROWSING:  # entering, walking or browsing (not at the tills)
                # The guard matters: the inlined _move is large, and entering it for the
                # queued costs three times the whole update of a shopper.
                _move(s, e, m, t0_s, dt_min, geo, cat, amb, beh, noise, cursor, sacc, tacc,
                      visits, dwell_min, ready, n_ready)  # fmt: skip
            stage = s.stage[e, m]
            if (stage == WALKING or stage == BROWSING) and s.left_early[e, m] == 0:
                z = s.zone[e, m]
                crowd = 0.0
                if count[e, z] > 0.0:
                    crowd = max(0.0, 1.0 - geo.zone_area_m2[z] / count[e, z] / beh[B_CROWD_M2])
                hazard = (
                    beh[B_LEAVE_DISCOMFORT] * (1.0 - s.comfort[e, m]) + beh[B_LEAVE_CROWD] * crowd
                )
                if _uniform(noise, cursor, e) < 1.0 - math.exp(-hazard * dt_h):
                    s.left_early[e, m] = 1
                    s.plan[e, m] = 0
                    if stage == BROWSING:  # drop the browse, head for the checkout
                        s.stage[e, m] = WALKING
                        s.timer[e, m] = _depart(s, e, m, geo, amb, beh, noise, cursor, sacc, tacc)
            # Experience of everyone in the store, where they are now.
            z = s.zone[e, m]
            a_t, a_l, a_c, _, _ = comfort_terms(
                AWAKE, amb.t_op[e, z], amb.lux[e, z], amb.cct[e, z], s.prefs[PR_TEMP, e, m],
                s.prefs[PR_TOL, e, m], s.prefs[PR_LUX, e, m], s.prefs[PR_CCT, e, m], p,
            )  # fmt: skip
            v_err = (amb.volume_db[e, z] - s.prefs[PR_VOL, e, m]) / p[P_VOL_TOL]
            music = s.liking[amb.genre[e, z], e, m] * exp(-0.5 * v_err * v_err)
            score = (
                p[P_W_T] * exp(a_t) + p[P_W_L] * exp(a_l) + p[P_W_C] * exp(a_c)
                + p[P_W_M] * music
            ) / w_all  # fmt: skip
            s.comfort[e, m] = score
            s.sat[e, m] += pull * (score - s.sat[e, m])
            s.acc[ACC_SAT_H, e, m] += s.sat[e, m] * dt_h
            s.acc[ACC_IN_STORE_H, e, m] += dt_h
            sacc[S_COMFORT_H, e, z] += score * dt_h
            tacc[T_COMFORT_H, e] += score * dt_h
            tacc[T_PRESENT_H, e] += dt_h
            if disclosed[e, m]:
                s.acc[ACC_DISCLOSED_H, e, m] += dt_h
                tacc[T_DISCLOSED_H, e] += dt_h
            ta = amb.t_air[e, z]
            met, clo = s.prefs[PR_MET, e, m], s.prefs[PR_CLO, e, m]
            put_lane(lanes, n, ta, amb.t_op[e, z], met, clo, s.tcl[e, m])
            lane_e[n] = e
            lane_m[n] = m
            n += 1
        for z in range(nz):
            count[e, z] = 0.0
        for m in range(m_max):
            if s.stage[e, m] != EMPTY:
                count[e, s.zone[e, m]] += 1.0
    score_lanes(lanes, n, p[P_VR], p[P_RH])
    for k in range(n):
        e, m = lane_e[k], lane_m[k]
        s.tcl[e, m] = lanes[10, k]
        ppd = lanes[9, k]
        s.ppd_now[e, m] = ppd
        s.acc[ACC_PPD_H, e, m] += ppd * dt_h
        tacc[T_PPD_H, e] += ppd * dt_h
