"""The resident as a Mesa agent.

A :class:`Resident` is the Mesa face of one slot of
:class:`~agents.home.slots.ResidentSlots`: it carries the resident's identity (home,
household type, role) and reads its state from the arrays, which the kernels update
for all residents at once (:func:`agents.home.kernels.resident_update`);
:mod:`agents.home.reference` has the same update for one agent in plain Python.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

from agents.home.slots import A_OVERRIDES, A_PRESENT, T_PREF

if TYPE_CHECKING:
    from agents.home.model import HomesModel


class Resident(mesa.Agent):
    """A resident of home ``home`` (slot ``slot`` of its row)."""

    model: HomesModel

    def __init__(self, model: HomesModel, home: int, slot: int, household: str, role: str) -> None:
        super().__init__(model)
        self.home = home
        self.slot = slot
        self.household = household
        self.role = role

    @property
    def _row(self) -> tuple[int, int]:
        return self.home, self.slot

    @property
    def state(self) -> int:
        """VACANT / AWAKE / ASLEEP / OUT (see :mod:`agents.kernels`)."""
        return int(self.model.slots.state[self._row])

    @property
    def satisfaction(self) -> float:
        """Current satisfaction in [0, 1]."""
        return float(self.model.slots.sat[self._row])

    @property
    def preferred_temperature(self) -> float:
        """The temperature the resident wants awake (deg C)."""
        return float(self.model.slots.traits[(T_PREF, *self._row)])

    @property
    def present_hours(self) -> float:
        """Hours spent at home so far."""
        return float(self.model.slots.acc[(A_PRESENT, *self._row)])

    @property
    def overrides(self) -> int:
        """Times the resident changed the thermostat so far."""
        return int(self.model.slots.acc[(A_OVERRIDES, *self._row)])

    @property
    def consent(self) -> bool:
        """Whether the household lets the thermostat learn its routine."""
        return bool(self.model.slots.consent[self.home])
