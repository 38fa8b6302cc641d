"""The hotel guests' per-step update for one Mesa agent, in plain Python.

The reference the compiled kernel (:func:`agents.hotel.guest_kernel.guest_step`) is
checked against, and what the benchmark measures it against: each Mesa agent updates
its own slot as an agent-based model written the usual way would, calling the same
compiled PMV routine (as a Mesa model would call a comfort library) and the same
comfort functions' plain-Python bodies. Not used by the simulation itself.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from agents import kernels as k
from agents.hotel import guest_kernel as gk
from agents.hotel.agents import Guest
from twin.physics import comfort


def _py(fn):  # the plain-Python body of a Numba function (itself when JIT is disabled)
    return getattr(fn, "py_func", fn)


_routine_state = _py(gk.routine_state)
_clothing_activity = _py(gk.clothing_activity)
_comfort_score = _py(k.comfort_score)
_feedback_chance = _py(k.feedback_chance)
_pmv_point_warm = _py(comfort.pmv_point_warm)


def guest_step_reference(guest: Guest, inp: Mapping[str, Any]) -> None:
    """One step of the guest update for one Mesa agent, equal to the kernel's for its slot.

    Call it through Mesa as ``model.agents.do(guest_step_reference, inputs)``.
    ``inp`` holds the step's ``hour``, ``dt_h``, ``p`` and the room arrays ``t_air``,
    ``t_op``, ``lux``, ``cct``, ``noise`` of the guest's environment.
    """
    s = guest.model.slots
    e, r = guest.model.env_index, guest.slot
    p, dt_h, hour = inp["p"], inp["dt_h"], inp["hour"]
    pull = 1.0 - math.exp(-dt_h / p[k.P_MEMORY_H])
    decay = math.exp(-dt_h / p[k.P_FEEDBACK_DECAY_H])
    s.feedback[0, e, r] *= decay
    s.feedback[1, e, r] *= decay
    if s.active[e, r] == 0:
        s.state[e, r] = k.VACANT
        s.ppd_now[e, r] = np.nan
        return
    rt = s.routine[:, e, r]
    st = _routine_state(hour, rt[0], rt[1], rt[2], rt[3])
    s.state[e, r] = st
    s.acc[0, e, r] += s.sat[e, r] * dt_h
    s.acc[1, e, r] += dt_h
    if st == k.OUT:
        s.ppd_now[e, r] = np.nan
        return
    pr = s.prefs[:, e, r]
    clo, met = _clothing_activity(st, hour, pr[4], pr[5])
    ta, to = inp["t_air"][r], inp["t_op"][r]
    _, ppd, tc = _pmv_point_warm(
        ta, 2.0 * to - ta, p[k.P_VR], p[k.P_RH], met, clo, 0.0, s.tcl[e, r]
    )
    s.tcl[e, r] = tc
    s.ppd_now[e, r] = ppd
    s.acc[2, e, r] += ppd * dt_h
    s.acc[3, e, r] += dt_h
    score, dt_err, dl_err = _comfort_score(
        st, to, inp["lux"][r], inp["cct"][r], pr[0], pr[1], pr[2], pr[3], p
    )
    s.sat[e, r] += pull * (score - s.sat[e, r])
    if st == k.AWAKE:
        chance = _feedback_chance(score, p[k.P_FEEDBACK], dt_h)
        if inp["noise"][r] < chance:
            if abs(dt_err) / pr[1] >= abs(dl_err) / (p[k.P_LUX_TOL] * pr[2]):
                f = s.feedback[0, e, r] + (1.0 if dt_err > 0 else -1.0)
                s.feedback[0, e, r] = min(max(f, -k.FEEDBACK_MAX), k.FEEDBACK_MAX)
            else:
                f = s.feedback[1, e, r] + (1.0 if dl_err > 0 else -1.0)
                s.feedback[1, e, r] = min(max(f, -k.FEEDBACK_MAX), k.FEEDBACK_MAX)
