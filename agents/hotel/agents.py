"""The hotel guest as a Mesa agent.

A :class:`Guest` is the Mesa face of one slot of :class:`~agents.hotel.slots.GuestSlots`:
it lives in a cell of the hotel layout (its room, the lobby or outside), carries its
identity and segment, and reads its state from the arrays. The per-step update runs in
:func:`agents.hotel.guest_kernel.guest_step` over all slots; :mod:`agents.hotel.reference`
has the same update for one agent in plain Python.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mesa.discrete_space import CellAgent

if TYPE_CHECKING:
    from agents.hotel.model import HotelModel


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
