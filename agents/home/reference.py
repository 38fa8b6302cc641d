"""The residents' per-step update for one Mesa agent, in plain Python.

The reference the compiled kernel (:func:`agents.home.kernels.resident_update`) is
checked against, and what the benchmark measures it against: each Mesa agent updates
its own slot as an agent-based model written the usual way would, calling the same
compiled PMV routine (as a Mesa model would call a comfort library) and the plain-Python
bodies of the same small functions. Not used by the simulation itself.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from agents import kernels as k
from agents.home import kernels as hk
from agents.home import rng
from agents.home.agents import Resident
from agents.home.slots import (
    A_AWAKE,
    A_DISCOMFORT,
    A_OVERRIDES,
    A_PPD,
    A_PPD_ASLEEP,
    A_PRESENT,
    A_SAT,
    T_CLO,
    T_LUX,
    T_MET,
    T_PREF,
    T_SLEEP,
    T_TOL,
)
from twin.physics import comfort, vexp


def _py(fn):  # the plain-Python body of a Numba function (itself when JIT is disabled)
    return getattr(fn, "py_func", fn)


_routine_state = _py(hk.routine_state)
_override_chances = _py(hk.override_chances)
_override_value = _py(hk.override_value)
_comfort_score = _py(k.comfort_score)
_uniform = _py(rng.uniform)
_pmv_point_warm = _py(comfort.pmv_point_warm)
_exp = vexp.exp  # compiled: the same bits as in the kernel


def resident_step_reference(resident: Resident, inp: Mapping[str, Any]) -> None:
    """One step of the resident update for one Mesa agent, equal to the kernel's for its slot.

    Call it through Mesa as ``model.agents.do(resident_step_reference, inputs)``.
    ``inp`` holds the step's ``step``, ``hour``, ``dt_h``, ``p``, ``living`` and the
    World's ``(ne, nz)`` arrays ``air``, ``op``, ``lux``, ``cct``, ``heat_now``,
    ``cool_now``, ``ov_heat``, ``ov_cool``, ``held`` and ``n_over`` (the last four
    written), as :func:`~agents.home.kernels.resident_update` takes them.
    """
    s = resident.model.slots
    e, r = resident.home, resident.slot
    p, dt_h = inp["p"], inp["dt_h"]
    if s.active[e, r] == 0:
        s.state[e, r] = k.VACANT
        return
    st = k.OUT
    if s.away[e] != 1:
        t = s.today[:, e, r]
        st = _routine_state(inp["hour"], t[0], t[1], t[2], t[3])
    s.state[e, r] = st
    if st == k.OUT:
        s.ppd_now[e, r] = math.nan
        s.score_now[e, r] = math.nan
        s.thermal_now[e, r] = math.nan
        s.excess_now[e, r] = 0.0
        return
    asleep = st == k.ASLEEP
    z = inp["living"] if st == k.AWAKE else int(s.bed[e, r])
    ta, to = inp["air"][e, z], inp["op"][e, z]
    met = k.MET_SLEEP if asleep else s.traits[T_MET, e, r]
    clo = k.CLO_SLEEP if asleep else s.traits[T_CLO, e, r]
    _, ppd, tcl = _pmv_point_warm(
        ta, 2.0 * to - ta, p[k.P_VR], p[k.P_RH], met, clo, 0.0, s.tcl[e, r]
    )
    target = s.traits[T_PREF, e, r] + (s.traits[T_SLEEP, e, r] if asleep else 0.0)
    score, cold, _ = _comfort_score(
        st, to, inp["lux"][e, z], inp["cct"][e, z], target, s.traits[T_TOL, e, r],
        s.traits[T_LUX, e, r], p[hk.Q_PREF_CCT], p,
    )  # fmt: skip
    s.thermal_now[e, r] = _exp(-0.5 * (cold / s.traits[T_TOL, e, r]) ** 2)
    s.excess_now[e, r] = max(abs(cold) - s.traits[T_TOL, e, r], 0.0)
    s.tcl[e, r] = tcl
    s.ppd_now[e, r] = ppd
    s.score_now[e, r] = score
    s.sat[e, r] += (1.0 - math.exp(-dt_h / p[k.P_MEMORY_H])) * (score - s.sat[e, r])
    s.acc[A_PRESENT, e, r] += dt_h
    s.acc[A_SAT, e, r] += s.sat[e, r] * dt_h
    if asleep:
        s.acc[A_PPD_ASLEEP, e, r] += ppd * dt_h
    else:
        s.acc[A_AWAKE, e, r] += dt_h
        s.acc[A_PPD, e, r] += ppd * dt_h
    s.acc[A_DISCOMFORT, e, r] += max(abs(cold) - s.traits[T_TOL, e, r], 0.0) * dt_h
    up, down = _override_chances(cold, asleep, dt_h, p)
    u = _uniform(s.key_step[e], np.uint64(inp["step"]), np.uint64(r))
    if (up > u) != (down > u) and inp["n_over"][e, z] == 0:
        heat, cool = _override_value(
            up > u, target, inp["heat_now"][e, z], inp["cool_now"][e, z], p
        )
        if math.isnan(heat):  # already set above what they would turn it to
            return
        inp["ov_heat"][e, z] = heat
        if not up > u:
            inp["ov_cool"][e, z] = cool
        inp["held"][e, z] = True
        inp["n_over"][e, z] += 1
        s.acc[A_OVERRIDES, e, r] += 1.0
