"""Servers against simpy.Resource: same queueing discipline, same service times."""

from __future__ import annotations

import numpy as np
import pytest
import simpy

from agents.hotel.servers import Servers


def _workload(seed: int, n: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """Arrival times (bursty, with ties) and service times of ``n`` customers."""
    rng = np.random.default_rng(seed)
    gaps = rng.exponential(3.0, n) * (rng.random(n) > 0.2)  # a fifth arrive together
    return np.cumsum(gaps), rng.exponential(5.0, n)


def _with_resource(arrive: np.ndarray, service: np.ndarray, capacity: int) -> np.ndarray:
    """Reference: the textbook SimPy process per customer with a ``simpy.Resource``."""
    env = simpy.Environment()
    desk = simpy.Resource(env, capacity=capacity)
    start = np.full(len(arrive), np.nan)

    def customer(i: int):
        yield env.timeout(arrive[i])
        with desk.request() as req:
            yield req
            start[i] = env.now
            yield env.timeout(service[i])

    for i in range(len(arrive)):
        env.process(customer(i))
    env.run()
    return start


def _with_servers(arrive: np.ndarray, service: np.ndarray, capacity: int) -> np.ndarray:
    """The same customers as callbacks on timeouts, with :class:`Servers`."""
    env = simpy.Environment()
    desk = Servers(capacity)
    start = np.full(len(arrive), np.nan)
    busy = []

    def served(i: int) -> None:
        start[i] = env.now
        busy.append(desk.count)
        env.timeout(service[i]).callbacks.append(lambda _e: desk.release())

    for i in range(len(arrive)):
        env.timeout(arrive[i]).callbacks.append(lambda _e, i=i: desk.request(lambda: served(i)))
    env.run()
    assert max(busy) == capacity  # the workload does make a queue
    assert desk.count == 0 and not desk.queue  # everyone served, servers idle again
    return start


@pytest.mark.parametrize("capacity", [1, 2, 5])
@pytest.mark.parametrize("seed", [0, 1])
def test_service_starts_match_simpy_resource(capacity: int, seed: int) -> None:
    arrive, service = _workload(seed)
    expected = _with_resource(arrive, service, capacity)
    got = _with_servers(arrive, service, capacity)
    assert not np.isnan(got).any()
    np.testing.assert_array_equal(got, expected)
    assert (got > arrive).any()  # someone waited


def test_capacity_must_be_positive() -> None:
    with pytest.raises(ValueError, match="capacity = 0"):
        Servers(0)
