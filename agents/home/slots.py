"""Struct-of-arrays resident state: ``MAX_RESIDENTS`` slots per home, batched over homes.

The World allocates one :class:`ResidentSlots` for all its copies (one copy is one
home); households are written into their row at reset, the routine kernel rewrites
``today`` at every local midnight and the residents' kernel updates the rest every step.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import NamedTuple

import numpy as np

from twin.scenario.home import MAX_RESIDENTS

#: Rows of ``traits``: preferred temperature awake (deg C), offset asleep (K), comfort
#: tolerance (K), preferred light level (lx), clothing awake (clo), activity awake (met).
TRAITS = ("pref_temp_c", "sleep_offset_k", "temp_tolerance_k", "pref_lux", "clo_awake",
          "met_awake")  # fmt: skip
T_PREF, T_SLEEP, T_TOL, T_LUX, T_CLO, T_MET = range(6)
#: Rows of ``usual``: the resident's usual weekday then weekend wake, leave, return and
#: sleep hours; rows of ``today``: the same four for the current day.
ROUTINE = ("wake_h", "leave_h", "return_h", "sleep_h")
#: Rows of ``acc`` (per resident, added to): hours present, satisfaction-hours present,
#: PPD-hours awake at home, kelvin-hours outside their own comfort range present,
#: overrides, hours awake at home, PPD-hours asleep.
ACC = ("present_h", "sat_h", "ppd_h", "discomfort_kh", "overrides", "awake_h", "ppd_asleep_h")
A_PRESENT, A_SAT, A_PPD, A_DISCOMFORT, A_OVERRIDES, A_AWAKE, A_PPD_ASLEEP = range(7)


class Residents(NamedTuple):
    """The arrays the step kernels read and write (views of :class:`ResidentSlots`)."""

    size: np.ndarray
    active: np.ndarray
    bed: np.ndarray
    traits: np.ndarray
    today: np.ndarray
    state: np.ndarray
    sat: np.ndarray
    acc: np.ndarray
    tcl: np.ndarray
    ppd_now: np.ndarray
    score_now: np.ndarray
    thermal_now: np.ndarray
    excess_now: np.ndarray
    away: np.ndarray
    key_step: np.ndarray


@dataclass(slots=True)
class ResidentSlots:
    """Resident state; shapes ``(ne, R)`` unless a leading field axis is noted."""

    size: np.ndarray  # (ne,) int64 residents of each home: they hold slots 0 .. size - 1
    active: np.ndarray  # int8, 1 where a resident lives in the slot
    role: np.ndarray  # int64, index into the scenario's flat list of member roles
    bed: np.ndarray  # int64, zone index of the resident's bedroom
    traits: np.ndarray  # (6, ne, R) see TRAITS
    usual: np.ndarray  # (8, ne, R) usual weekday and weekend routine times (h)
    today: np.ndarray  # (4, ne, R) this day's wake, leave, return, sleep (h)
    state: np.ndarray  # int8 VACANT / AWAKE / ASLEEP / OUT (agents.kernels)
    sat: np.ndarray  # satisfaction in [0, 1]
    acc: np.ndarray  # (5, ne, R) see ACC
    tcl: np.ndarray  # clothing surface temperature (PMV warm start)
    ppd_now: np.ndarray  # PPD (%) of present residents, NaN otherwise
    score_now: np.ndarray  # comfort score in [0, 1] of present residents, NaN otherwise
    thermal_now: np.ndarray  # its thermal term in [0, 1], NaN when absent
    excess_now: np.ndarray  # K outside the resident's own comfort range, 0 when absent
    household: np.ndarray  # (ne,) int64 household type of each home
    consent: np.ndarray  # (ne,) int8, the household lets the thermostat learn its routine
    away: np.ndarray  # (ne,) int8, the household is away on a trip
    key_day: np.ndarray  # (ne,) uint64 key of the routine draws
    key_step: np.ndarray  # (ne,) uint64 key of the override draws

    @classmethod
    def allocate(cls, ne: int) -> ResidentSlots:
        """Empty slots for ``ne`` homes."""
        shape = (ne, MAX_RESIDENTS)
        return cls(
            size=np.zeros(ne, np.int64),
            active=np.zeros(shape, np.int8),
            role=np.full(shape, -1, np.int64),
            bed=np.zeros(shape, np.int64),
            traits=np.zeros((len(TRAITS), *shape)),
            usual=np.zeros((8, *shape)),
            today=np.zeros((4, *shape)),
            state=np.zeros(shape, np.int8),
            sat=np.zeros(shape),
            acc=np.zeros((len(ACC), *shape)),
            tcl=np.full(shape, np.nan),
            ppd_now=np.full(shape, np.nan),
            score_now=np.full(shape, np.nan),
            thermal_now=np.full(shape, np.nan),
            excess_now=np.zeros(shape),
            household=np.zeros(ne, np.int64),
            consent=np.zeros(ne, np.int8),
            away=np.zeros(ne, np.int8),
            key_day=np.zeros(ne, np.uint64),
            key_step=np.zeros(ne, np.uint64),
        )

    def arrays(self) -> Residents:
        """The kernels' view."""
        return Residents(
            self.size, self.active, self.bed, self.traits, self.today, self.state, self.sat,
            self.acc, self.tcl, self.ppd_now, self.score_now, self.thermal_now, self.excess_now,
            self.away, self.key_step,
        )  # fmt: skip

    def copy(self) -> ResidentSlots:
        """Deep copy (for snapshots in tests and benchmarks)."""
        return ResidentSlots(**{f.name: getattr(self, f.name).copy() for f in fields(self)})
