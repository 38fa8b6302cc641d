"""Checkout lanes: one server and one FIFO queue per lane, on the World's SimPy clock.

A shopper who reaches the checkout picks the lane with the fewest people (waiting plus
being served, ties to the first lane), **balks** (leaves without paying) if even that
queue is as long as their tolerance, and otherwise queues; a shopper still waiting when
their patience runs out **reneges**. Service takes a base time plus a time per item. The
lanes are plain queues with callbacks on SimPy timeouts (no ``simpy.Resource`` request
and release events, as for the hotel's :class:`agents.hotel.servers.Servers`), so a
checkout costs two or three events: the end of service and the patience timer.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

import simpy


class Lanes:
    """``n`` checkout lanes with a queue each.

    Args:
        sim: the SimPy environment (the World's clock).
        n: number of open lanes, at least 1.
        served: called as ``served(lane, ticket)`` when a ticket's service starts; it
            returns the service time (s) and is called back with ``done(lane, ticket)``
            at its end.
        done: called when a service ends.
    """

    __slots__ = ("sim", "queues", "busy", "served", "done")

    def __init__(
        self,
        sim: simpy.Environment,
        n: int,
        served: Callable[[int, int], float],
        done: Callable[[int, int], None],
    ) -> None:
        if n < 1:
            raise ValueError(f"lanes = {n} must be >= 1")
        self.sim = sim
        self.queues: list[deque[int]] = [deque() for _ in range(n)]
        self.busy: list[int | None] = [None] * n
        self.served = served
        self.done = done

    def length(self, lane: int) -> int:
        """People at ``lane``: waiting plus the one being served."""
        return len(self.queues[lane]) + (self.busy[lane] is not None)

    def shortest(self) -> tuple[int, int]:
        """``(lane, length)`` of the shortest lane (the first of equals)."""
        lengths = [self.length(i) for i in range(len(self.queues))]
        lane = min(range(len(lengths)), key=lengths.__getitem__)
        return lane, lengths[lane]

    def total(self) -> int:
        """People waiting or being served over all lanes."""
        return sum(self.length(i) for i in range(len(self.queues)))

    def waiting(self) -> int:
        """People waiting (not being served) over all lanes."""
        return sum(len(q) for q in self.queues)

    def join(self, lane: int, ticket: int) -> None:
        """``ticket`` joins ``lane``: served at once if the lane is free, else queued."""
        if self.busy[lane] is None:
            self._start(lane, ticket)
        else:
            self.queues[lane].append(ticket)

    def leave(self, lane: int, ticket: int) -> bool:
        """``ticket`` gives up waiting at ``lane``; False if it is not waiting there."""
        try:
            self.queues[lane].remove(ticket)
        except ValueError:
            return False
        return True

    def _start(self, lane: int, ticket: int) -> None:
        self.busy[lane] = ticket
        delay = self.served(lane, ticket)
        self.sim.timeout(delay).callbacks.append(lambda _ev: self._end(lane, ticket))

    def _end(self, lane: int, ticket: int) -> None:
        self.busy[lane] = None
        self.done(lane, ticket)
        if self.queues[lane]:
            self._start(lane, self.queues[lane].popleft())
