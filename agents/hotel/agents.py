"""The hotel guest as a Mesa agent.

A :class:`Guest` is the Mesa face of one slot of :class:`~agents.hotel.slots.GuestSlots`:
it lives in a cell of the hotel layout (its room, the lobby or outside), carries its
identity and segment, and reads its state from the arrays. :meth:`Guest.step` performs
the per-step update of :func:`agents.kernels.guest_step` for this one agent in plain
Python; the World uses the kernel, the tests and the benchmark use this method to show
both agree and what the kernel buys.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from mesa.discrete_space import CellAgent

from agents import kernels as k
from twin.physics import comfort

if TYPE_CHECKING:
    from agents.hotel.model import HotelModel


def _py(fn):  # the plain-Python body of a Numba function (itself when JIT is disabled)
    return getattr(fn, "py_func", fn)


_routine_state = _py(k.routine_state)
_clothing_activity = _py(k.clothing_activity)
_comfort_score = _py(k.comfort_score)
_feedback_chance = _py(k.feedback_chance)
_pmv_point_warm = _py(comfort.pmv_point_warm)


class Guest(CellAgent):
    """A guest party staying in one room (slot ``slot`` of its environment's row)."""

    model: HotelModel

    def __init__(self, model: HotelModel, slot: int, guest_id: int, segment: str) -> None:
        super().__init__(model)
        self.slot = slot
        self.guest_id = guest_id
        self.segment = segment

    @property
    def _row(self) -> tuple[int, int]:
        return self.model.env_index, self.slot

    @property
    def satisfaction(self) -> float:
        """Current satisfaction in [0, 1]."""
        return float(self.model.slots.sat[self._row])

    @property
    def state(self) -> int:
        """VACANT / AWAKE / ASLEEP / OUT (see :mod:`agents.kernels`)."""
        return int(self.model.slots.state[self._row])

    @property
    def consent(self) -> bool:
        """Whether the guest consented to the use of their personal data."""
        return bool(self.model.slots.consent[self._row])

    def step(self) -> None:
        """One step of the guest update, equal to the kernel's for this slot.

        Reads the step's inputs from ``model.step_inputs`` (set by the caller):
        ``hour``, ``dt_h``, ``p`` and the room arrays ``t_air``, ``t_op``, ``lux``,
        ``cct``, ``noise`` of this environment.
        """
        inp = self.model.step_inputs
        s = self.model.slots
        e, r = self._row
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
