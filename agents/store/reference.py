"""The shoppers' per-step update for one Mesa agent, in plain Python.

The reference the compiled kernel (:func:`agents.store.shopper_kernel.shopper_step`) is
checked against, and what the benchmark measures it against: each Mesa agent moves,
buys and feels the store as an agent-based model written the usual way would, one agent
at a time, calling the same compiled PMV routine (as a Mesa model would call a comfort
library) and the shared comfort function's plain-Python body. Agents step in slot order
and draw from their copy's uniform stream, so the result is the kernel's, bit for bit.
Not used by the simulation itself.

Run it through Mesa as
``model.agents.sort("slot", ascending=True).do(shopper_step_reference, inputs)``
after :func:`start_step`, and :func:`end_step` after the last agent.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from agents import kernels as k
from agents.store import population as pop
from agents.store import shopper_kernel as sk
from agents.store.agents import Shopper
from agents.store.slots import BROWSING, EMPTY, ENTERING, READY, WALKING
from twin.physics import comfort
from twin.physics.vexp import exp as vexp


def _py(fn: Any) -> Any:  # the plain-Python body of a Numba function (itself without JIT)
    return getattr(fn, "py_func", fn)


_comfort_terms = _py(k.comfort_terms)
_pmv_point_warm = comfort.pmv_point_warm  # compiled, as a comfort library would be
_exp = vexp  # the kernels' compiled exp, so both paths round alike


class _Draws:
    """Copy ``e``'s uniform stream, read from its cursor on."""

    def __init__(self, noise: np.ndarray, cursor: np.ndarray, e: int) -> None:
        self.row, self.cursor, self.e = noise[e], cursor, e

    def uniform(self) -> float:
        i = int(self.cursor[self.e])
        self.cursor[self.e] = i + 1
        return float(self.row[i % self.row.shape[0]])

    def normal(self) -> float:
        u1, u2 = self.uniform(), self.uniform()
        return math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(2.0 * math.pi * u2)

    def poisson(self, mean: float) -> int:
        limit, n = math.exp(-mean), 0
        prod = self.uniform()
        while prod > limit and n < 50:
            n += 1
            prod *= self.uniform()
        return n


def start_step(inp: Mapping[str, Any]) -> None:
    """Before the agents of a step: reset the step's ready list and accumulators."""
    inp["n_ready"][:] = 0
    inp["sacc"][:] = 0.0


def end_step(inp: Mapping[str, Any]) -> None:
    """After the agents of a step: count the shoppers per zone (the kernel's last pass)."""
    s, count = inp["slots"], inp["count"]
    count[:] = 0.0
    for e, m in zip(*np.nonzero(s.stage != EMPTY), strict=True):
        count[e, s.zone[e, m]] += 1.0


def shopper_step_reference(agent: Shopper, inp: Mapping[str, Any]) -> None:
    """One step of the shopper update for one Mesa agent (see the module docstring)."""
    s = inp["slots"]
    e, m = agent.model.env_index, agent.slot
    if s.stage[e, m] == EMPTY:
        return
    draws = _Draws(inp["noise"], inp["cursor"], e)
    _move(agent, s, e, m, draws, inp)
    beh, geo, dt_h = inp["beh"], inp["geo"], inp["dt_h"]
    stage = s.stage[e, m]
    if stage in (WALKING, BROWSING) and s.left_early[e, m] == 0:
        z = s.zone[e, m]
        count = inp["count"][e, z]
        crowd = 0.0
        if count > 0.0:
            crowd = max(0.0, 1.0 - geo.zone_area_m2[z] / count / beh[sk.B_CROWD_M2])
        hazard = (
            beh[sk.B_LEAVE_DISCOMFORT] * (1.0 - s.comfort[e, m]) + beh[sk.B_LEAVE_CROWD] * crowd
        )
        if draws.uniform() < 1.0 - math.exp(-hazard * dt_h):
            s.left_early[e, m] = 1
            s.plan[e, m] = 0
            if stage == BROWSING:
                s.stage[e, m] = WALKING
                s.timer[e, m] = _depart(s, e, m, draws, inp)
    _feel(s, e, m, inp)


def _notice(s: Any, e: int, m: int, place: int, draws: _Draws, inp: Mapping[str, Any]) -> None:
    geo, amb, beh, sacc, tacc = inp["geo"], inp["amb"], inp["beh"], inp["sacc"], inp["tacc"]
    for d in range(geo.display_sees.shape[0]):
        if geo.display_sees[d, place] and draws.uniform() < beh[sk.B_ATTENTION]:
            c = int(amb.display[e, d])
            if c < 0:
                continue
            s.shown[c, e, m] += 1.0
            s.seen[e, m] |= 1 << c
            zd = geo.display_zone[d]
            sacc[sk.S_EXPOSED, e, zd] += 1.0
            tacc[sk.T_EXPOSED, e] += 1.0
            if not (int(s.favourites[e, m]) >> c) & 1:
                sacc[sk.S_EXPOSED_OUT, e, zd] += 1.0
                tacc[sk.T_EXPOSED_OUT, e] += 1.0


def _tempo(tempo: float, beh: np.ndarray) -> float:
    return max(sk.MIN_FACTOR, 1.0 + beh[sk.B_DWELL_PER_BPM] * (tempo - beh[sk.B_REF_TEMPO]))


def _depart(s: Any, e: int, m: int, draws: _Draws, inp: Mapping[str, Any]) -> float:
    geo, amb, beh = inp["geo"], inp["amb"], inp["beh"]
    here = int(s.place[e, m])
    n_sec = geo.pass_order.shape[2]
    plan = int(s.plan[e, m])
    listed = [c for c in range(n_sec) if (plan >> c) & 1]
    target = n_sec + 1
    if listed:  # the nearest listed section (the first of equals)
        target = min(listed, key=lambda c: (geo.distance_m[here, c], c))
    mood = s.sat[e, m] - 0.5
    for k_ in geo.pass_order[here, target]:
        if k_ < 0:
            break
        _notice(s, e, m, int(k_), draws, inp)
        if s.left_early[e, m] == 1:
            continue
        if (plan >> k_) & 1:
            target = int(k_)
            break
        if (int(s.visited[e, m]) >> k_) & 1:
            continue
        logit = (
            beh[sk.B_IMPULSE_LOGIT]
            + beh[sk.B_IMPULSE_AFFINITY] * s.affinity[k_, e, m]
            + beh[sk.B_IMPULSE_PROMO] * ((int(s.seen[e, m]) >> k_) & 1)
            + beh[sk.B_IMPULSE_AMBIENCE] * mood
        )
        if draws.uniform() < s.prefs[pop.PR_IMPULSE, e, m] / (1.0 + math.exp(-logit)):
            target = int(k_)
            break
    s.target[e, m] = target
    s.zone[e, m] = geo.place_zone[target]
    pace = _tempo(amb.tempo[e, geo.place_zone[here]], beh)
    return geo.distance_m[here, target] / (s.prefs[pop.PR_SPEED, e, m] * 60.0) * pace


def _arrive(s: Any, e: int, m: int, draws: _Draws, inp: Mapping[str, Any]) -> None:
    geo, amb, beh = inp["geo"], inp["amb"], inp["beh"]
    here = int(s.target[e, m])
    s.place[e, m] = here
    s.visited[e, m] |= 1 << here
    s.plan[e, m] &= ~(1 << here)
    inp["visits"][e, here] += 1.0
    z = geo.place_zone[here]
    s.zone[e, m] = z
    _notice(s, e, m, here, draws, inp)
    draw = beh[sk.B_DWELL_MEAN] + beh[sk.B_DWELL_SD] * draws.normal()
    dwell = min(max(draw, beh[sk.B_DWELL_LOW]), beh[sk.B_DWELL_HIGH])
    mood = max(sk.MIN_FACTOR, 1.0 + beh[sk.B_DWELL_COMFORT] * (s.sat[e, m] - 0.5))
    dwell *= _tempo(amb.tempo[e, z], beh) * mood
    s.timer[e, m] = dwell
    s.visit_min[e, m] = dwell


def _purchase(s: Any, e: int, m: int, draws: _Draws, inp: Mapping[str, Any]) -> None:
    cat, beh = inp["cat"], inp["beh"]
    c = int(s.place[e, m])
    common = (
        beh[sk.B_AFFINITY_U] * s.affinity[c, e, m]
        + beh[sk.B_PROMO_U] * ((int(s.seen[e, m]) >> c) & 1)
        + beh[sk.B_MOOD_U] * (s.sat[e, m] - 0.5)
        + beh[sk.B_DWELL_UTILITY] * math.log(max(s.visit_min[e, m], 1e-6) / beh[sk.B_DWELL_MEAN])
    )
    slope = beh[sk.B_PRICE_COEF] * s.prefs[pop.PR_PRICE, e, m]
    weights = [
        math.exp(cat.appeal[c, j] - slope * math.log(cat.prices[c, j]) + common)
        for j in range(int(cat.n_products[c]))
    ]
    outside = math.exp(beh[sk.B_NO_PURCHASE_U])
    total = outside
    for w in weights:
        total += w
    for _ in range(1 + draws.poisson(cat.picks_mean[c])):
        pick = draws.uniform() * total - outside
        if pick < 0.0:
            continue
        for j, w in enumerate(weights):
            pick -= w
            if pick < 0.0 or j == len(weights) - 1:
                qty = 1.0 + draws.poisson(cat.quantity_mean[c])
                s.items[e, m] += qty
                s.spend[e, m] += qty * cat.prices[c, j]
                s.bought[e, m] |= 1 << c
                inp["sacc"][sk.S_BASKET, e, inp["geo"].place_zone[c]] += qty * cat.prices[c, j]
                break


def _move(agent: Shopper, s: Any, e: int, m: int, draws: _Draws, inp: Mapping[str, Any]) -> None:
    geo = inp["geo"]
    checkout = geo.pass_order.shape[2] + 1
    budget = inp["dt_h"] * 60.0
    while budget > 0.0:
        stage = s.stage[e, m]
        if stage == ENTERING:
            _notice(s, e, m, int(s.place[e, m]), draws, inp)
            s.stage[e, m] = WALKING
            s.timer[e, m] = _depart(s, e, m, draws, inp)
            continue
        if stage not in (WALKING, BROWSING):
            return
        left = s.timer[e, m]
        if stage == BROWSING:
            inp["dwell_min"][e, s.place[e, m]] += min(left, budget)
        if left > budget:
            s.timer[e, m] = left - budget
            return
        budget -= left
        s.timer[e, m] = 0.0
        if stage == BROWSING:
            _purchase(s, e, m, draws, inp)
            s.stage[e, m] = WALKING
            s.timer[e, m] = _depart(s, e, m, draws, inp)
        elif s.target[e, m] == checkout:
            s.place[e, m] = checkout
            s.zone[e, m] = geo.place_zone[checkout]
            s.stage[e, m] = READY
            s.ready_s[e, m] = inp["t0_s"] + (inp["dt_h"] * 60.0 - budget) * 60.0
            n = inp["n_ready"]
            inp["ready"][e, n[e]] = m
            n[e] += 1
            return
        elif s.left_early[e, m] == 1:
            s.place[e, m] = s.target[e, m]
            s.timer[e, m] = _depart(s, e, m, draws, inp)
        else:
            s.stage[e, m] = BROWSING
            _arrive(s, e, m, draws, inp)


def _feel(s: Any, e: int, m: int, inp: Mapping[str, Any]) -> None:
    """Comfort in the shopper's zone now, the satisfaction memory and PPD."""
    p, amb, dt_h, sacc, tacc = inp["p"], inp["amb"], inp["dt_h"], inp["sacc"], inp["tacc"]
    z = s.zone[e, m]
    a_t, a_l, a_c, _, _ = _comfort_terms(
        k.AWAKE, amb.t_op[e, z], amb.lux[e, z], amb.cct[e, z], s.prefs[pop.PR_TEMP, e, m],
        s.prefs[pop.PR_TOL, e, m], s.prefs[pop.PR_LUX, e, m], s.prefs[pop.PR_CCT, e, m], p,
    )  # fmt: skip
    v_err = (amb.volume_db[e, z] - s.prefs[pop.PR_VOL, e, m]) / p[sk.P_VOL_TOL]
    music = s.liking[amb.genre[e, z], e, m] * _exp(-0.5 * v_err * v_err)
    w_all = p[k.P_W_T] + p[k.P_W_L] + p[k.P_W_C] + p[sk.P_W_M]
    score = (
        p[k.P_W_T] * _exp(a_t) + p[k.P_W_L] * _exp(a_l) + p[k.P_W_C] * _exp(a_c)
        + p[sk.P_W_M] * music
    ) / w_all  # fmt: skip
    s.comfort[e, m] = score
    s.sat[e, m] += (1.0 - math.exp(-dt_h / p[k.P_MEMORY_H])) * (score - s.sat[e, m])
    s.acc[0, e, m] += s.sat[e, m] * dt_h
    s.acc[1, e, m] += dt_h
    sacc[sk.S_COMFORT_H, e, z] += score * dt_h
    tacc[sk.T_COMFORT_H, e] += score * dt_h
    tacc[sk.T_PRESENT_H, e] += dt_h
    if inp["disclosed"][e, m]:
        s.acc[3, e, m] += dt_h
        tacc[sk.T_DISCLOSED_H, e] += dt_h
    ta = amb.t_air[e, z]
    _, ppd, tcl = _pmv_point_warm(
        ta, 2.0 * amb.t_op[e, z] - ta, p[k.P_VR], p[k.P_RH], s.prefs[pop.PR_MET, e, m],
        s.prefs[pop.PR_CLO, e, m], 0.0, s.tcl[e, m],
    )  # fmt: skip
    s.tcl[e, m] = tcl
    s.ppd_now[e, m] = ppd
    s.acc[2, e, m] += ppd * dt_h
    tacc[sk.T_PPD_H, e] += ppd * dt_h
