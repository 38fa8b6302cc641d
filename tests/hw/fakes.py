"""An in-memory adapter, only for unit tests of the envelope and controller logic.

Every real adapter is tested against a real endpoint elsewhere in this folder.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from hw_adapters.base import AdapterBase, Reading
from hw_adapters.pointmap import Point
from twin.errors import HardwareError


class FakeAdapter(AdapterBase):
    def __init__(self, protocol: str) -> None:
        self.protocol = protocol
        self.values: dict[str, float] = {}
        self.stamps: dict[str, float] = {}
        self.writes: list[tuple[str, float]] = []
        self.relinquished: list[str] = []
        self.fail = False
        self.closed = False

    def set(self, name: str, value: float, at: float | None = None) -> None:
        self.values[name] = value
        self.stamps[name] = time.time() if at is None else at

    def read(self, points: Sequence[Point]) -> dict[str, Reading]:
        if self.fail:
            raise HardwareError(f"fake {self.protocol}: down")
        return {
            p.name: Reading(self.values[p.name], self.stamps[p.name])
            for p in points
            if p.name in self.values
        }

    def write(self, point: Point, value: float, priority: int | None = None) -> None:
        if self.fail:
            raise HardwareError(f"fake {self.protocol}: down")
        self.writes.append((point.name, value))
        self.set(point.name, value)

    def relinquish(self, point: Point, priority: int | None = None) -> None:
        self.relinquished.append(point.name)

    def close(self) -> None:
        self.closed = True
