"""Staff as a pool of identical servers with one first-come-first-served queue.

:class:`Servers` has the queueing discipline of ``simpy.Resource`` (``capacity``
servers, a FIFO queue, a released server goes straight to the head of the queue) but
costs no events of its own. A ``simpy.Resource`` schedules a ``Request`` event for every
request and a ``Release`` event for every release, and runs its put/get machinery for
each; in the hotel those were six of a stay's ten events and most of the discrete-event
time per step. Here a request that finds a free server is served at once, and a release
hands the server to the next party in line in the same call. Service itself is still a
SimPy timeout on the shared clock, so every start and end of service happens at exactly
the simulated time ``simpy.Resource`` would give it (``tests/agents/test_servers.py``
checks this against ``simpy.Resource``). Only the order of callbacks within one instant
differs, which no model quantity depends on.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable


class Servers:
    """``capacity`` identical servers (desk clerks, housekeepers) and their queue.

    Args:
        capacity: number of servers, at least 1.

    Attributes:
        count: servers busy now.
        queue: the waiting parties' callbacks, first in line first.
    """

    __slots__ = ("capacity", "count", "queue")

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"capacity = {capacity} must be >= 1")
        self.capacity = capacity
        self.count = 0
        self.queue: deque[Callable[[], None]] = deque()

    def request(self, served: Callable[[], None]) -> None:
        """Ask for a server; ``served()`` runs when one is free (now, if one is)."""
        if self.count < self.capacity:
            self.count += 1
            served()
        else:
            self.queue.append(served)

    def release(self) -> None:
        """A service has ended: the server takes the next in line, or goes idle."""
        if self.queue:
            self.queue.popleft()()
        else:
            self.count -= 1
