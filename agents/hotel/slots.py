"""Struct-of-arrays guest state: one slot per guest room, batched over environments.

The World allocates one :class:`GuestSlots` for all its environments; each
:class:`agents.hotel.model.HotelModel` writes its own row ``e`` at check-in and check-out,
and the Numba kernel (:func:`agents.kernels.guest_step`) updates every row each step.
``at_desk[e]`` counts the guest parties at environment ``e``'s front desk (queueing or
being served); the model changes it when a party joins the desk and when its service
ends, so it always equals ``len(desk.queue) + desk.count``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np


@dataclass(slots=True)
class GuestSlots:
    """Guest state arrays; shapes ``(ne, R)`` unless a leading field axis is noted."""

    active: np.ndarray  # int8, 1 while a guest is checked in
    routine: np.ndarray  # (4, ne, R) wake, out-start, out-end, sleep (h)
    prefs: np.ndarray  # (6, ne, R) see agents.hotel.population.PREF_FIELDS
    party: np.ndarray  # people in the room's party
    segment: np.ndarray  # int64 segment index, -1 when vacant
    consent: np.ndarray  # int8, 1 if the guest consented to personal-data use
    state: np.ndarray  # int8 VACANT / AWAKE / ASLEEP / OUT (agents.kernels)
    sat: np.ndarray  # satisfaction in [0, 1]
    acc: np.ndarray  # (4, ne, R) satisfaction-h, in-house h, PPD-h, present h
    tcl: np.ndarray  # clothing surface temperature (PMV warm start)
    feedback: np.ndarray  # (2, ne, R) recent thermal / light feedback
    ppd_now: np.ndarray  # PPD (%) of present guests, NaN otherwise
    arrival_s: np.ndarray  # current guest's arrival (s since the run started)
    departure_s: np.ndarray  # current guest's planned departure (s)
    next_arrival_s: np.ndarray  # next booked arrival (s), inf when none
    next_consent: np.ndarray  # int8, next booked guest consented
    next_prefs: np.ndarray  # (3, ne, R) next guest's stated temp / lux / CCT (NaN unless consented)
    guest_id: np.ndarray  # int64 pseudonymous id of the current guest, -1 when vacant
    at_desk: np.ndarray  # (ne,) int64 guest parties queueing or served at the front desk

    @classmethod
    def allocate(cls, ne: int, n_rooms: int) -> GuestSlots:
        """Empty (vacant) slots for ``ne`` environments of ``n_rooms`` rooms."""
        shape = (ne, n_rooms)
        return cls(
            active=np.zeros(shape, np.int8),
            routine=np.zeros((4, *shape)),
            prefs=np.zeros((6, *shape)),
            party=np.zeros(shape),
            segment=np.full(shape, -1, np.int64),
            consent=np.zeros(shape, np.int8),
            state=np.zeros(shape, np.int8),
            sat=np.zeros(shape),
            acc=np.zeros((4, *shape)),
            tcl=np.full(shape, np.nan),
            feedback=np.zeros((2, *shape)),
            ppd_now=np.full(shape, np.nan),
            arrival_s=np.zeros(shape),
            departure_s=np.zeros(shape),
            next_arrival_s=np.full(shape, np.inf),
            next_consent=np.zeros(shape, np.int8),
            next_prefs=np.full((3, *shape), np.nan),
            guest_id=np.full(shape, -1, np.int64),
            at_desk=np.zeros(ne, np.int64),
        )

    def check_in_arrays(self) -> tuple[np.ndarray, ...]:
        """The arrays :func:`agents.hotel.kernels.write_check_in` writes, in its order."""
        return (
            self.active, self.routine, self.prefs, self.party, self.segment, self.consent,
            self.state, self.sat, self.acc, self.tcl, self.feedback, self.arrival_s,
            self.departure_s, self.next_arrival_s, self.next_consent, self.next_prefs,
            self.guest_id,
        )  # fmt: skip

    def check_out_arrays(self) -> tuple[np.ndarray, ...]:
        """The arrays :func:`agents.hotel.kernels.write_check_out` writes, in its order."""
        return (
            self.active, self.segment, self.consent, self.state, self.sat, self.acc,
            self.feedback, self.guest_id,
        )  # fmt: skip

    def copy(self) -> GuestSlots:
        """Deep copy (for snapshots in tests)."""
        return GuestSlots(**{f.name: getattr(self, f.name).copy() for f in fields(self)})
