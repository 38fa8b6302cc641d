"""The shopper as a Mesa agent.

A :class:`Shopper` is the Mesa face of one slot of :class:`~agents.store.slots.ShopperSlots`:
it carries its identity and segment, reads its state from the arrays and, when the
model syncs positions, stands on a floor cell of the place it is at (a section it
browses, the entrance, the checkout). The per-step update runs in
:func:`agents.store.shopper_kernel.shopper_step` over all slots;
:mod:`agents.store.reference` has the same update for one agent in plain Python.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mesa.discrete_space import CellAgent

from agents.store.slots import STAGE_NAMES

if TYPE_CHECKING:
    from agents.store.model import StoreModel


class Shopper(CellAgent):
    """A shopper in the store (slot ``slot`` of its copy's row)."""

    model: StoreModel

    def __init__(self, model: StoreModel, slot: int, shopper_id: int, segment: str) -> None:
        super().__init__(model)
        self.slot = slot
        self.shopper_id = shopper_id
        self.segment = segment

    @property
    def _row(self) -> tuple[int, int]:
        return self.model.env_index, self.slot

    @property
    def stage(self) -> str:
        """Where in the trip the shopper is (``walking``, ``browsing``, ``queued``, ...)."""
        return STAGE_NAMES[int(self.model.slots.stage[self._row])]

    @property
    def satisfaction(self) -> float:
        """Ambience comfort remembered so far, 0..1."""
        return float(self.model.slots.sat[self._row])

    @property
    def basket(self) -> float:
        """Value of the basket."""
        return float(self.model.slots.spend[self._row])

    @property
    def consent(self) -> bool:
        """Whether the shopper shares their data (loyalty app)."""
        return bool(self.model.slots.consent[self._row])
