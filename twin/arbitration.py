"""Who commands a zone: one small priority array, as BACnet's commandable objects keep.

Each command quantity of each zone has one slot per source, in priority order
:data:`SOURCES`: an occupant's or operator's **override** beats the **policy**, which
beats the building's own **schedule**. A source writes a value into its slot or
relinquishes it (NaN, BACnet's NULL); the value in force is the highest-priority slot
that holds one, else the relinquish default. The same mechanism fronts real devices:
the hardware adapters map these sources onto BACnet priorities or their protocol's
equivalent, so a resident's override locks a point out of policy control on a real
site exactly as it does in the twin.

>>> import numpy as np
>>> arr = PriorityArray((1, 2), default=20.0)
>>> arr.write("schedule", np.array([[17.0, 17.0]]))
>>> arr.write("policy", np.array([[21.0, 21.5]]))
>>> arr.write("override", np.array([[23.0, np.nan]]))  # the resident turns zone 0 up
>>> value, source = arr.resolve()
>>> value.tolist(), [SOURCES[i] for i in source[0]]
([[23.0, 21.5]], ['override', 'policy'])
>>> arr.relinquish("override")
>>> arr.resolve()[0].tolist()
[[21.0, 21.5]]
"""

from __future__ import annotations

import numpy as np

#: Command sources, highest priority first.
SOURCES = ("override", "policy", "schedule")
#: ``resolve`` reports this source index where no source holds a value (the default).
DEFAULT = len(SOURCES)


class PriorityArray:
    """Values written by each source for an array of points, and the one in force.

    Args:
        shape: shape of the points (e.g. ``(n_envs, n_zones)``).
        default: relinquish default, in force where no source holds a value.
    """

    __slots__ = ("slots", "default")

    def __init__(self, shape: tuple[int, ...], default: float | np.ndarray) -> None:
        self.slots = np.full((len(SOURCES), *shape), np.nan)
        self.default = np.broadcast_to(np.asarray(default, dtype=np.float64), shape).copy()

    @staticmethod
    def _level(source: str) -> int:
        try:
            return SOURCES.index(source)
        except ValueError:
            raise ValueError(f"unknown command source {source!r}: one of {SOURCES}") from None

    def write(
        self, source: str, values: np.ndarray | float, where: np.ndarray | None = None
    ) -> None:
        """``source`` commands ``values`` (NaN relinquishes), at the points ``where``."""
        slot = self.slots[self._level(source)]
        if where is None:
            slot[...] = values
        else:
            np.copyto(slot, np.broadcast_to(values, slot.shape), where=where)

    def relinquish(self, source: str, where: np.ndarray | None = None) -> None:
        """``source`` hands the points ``where`` (all by default) back to lower priorities."""
        self.write(source, np.nan, where)

    def holds(self, source: str) -> np.ndarray:
        """Bool array: where ``source`` holds a value."""
        return ~np.isnan(self.slots[self._level(source)])

    def resolve(self) -> tuple[np.ndarray, np.ndarray]:
        """The value in force at every point and the index in :data:`SOURCES` of its source.

        The source index is :data:`DEFAULT` where every slot is relinquished.
        """
        held = ~np.isnan(self.slots)
        source = np.where(held.any(axis=0), held.argmax(axis=0), DEFAULT).astype(np.int8)
        value = self.default.copy()
        for level in range(len(SOURCES) - 1, -1, -1):  # lowest priority first, then overwrite
            np.copyto(value, self.slots[level], where=held[level])
        return value, source
