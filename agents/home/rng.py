"""Counter-based random numbers for the residents' kernels.

Thousands of homes each need a few random numbers per resident and step (override
draws) and per day (the day's routine). Drawing them in Python from each home's own
``numpy`` generator costs about a microsecond per home and call, which at 10,000 homes
is tens of seconds per simulated year. Instead each home draws one 64-bit key per
stream at reset from its own generators (so homes stay independent, and copy ``i`` of
a World equals a one-copy World with its seed), and the kernels hash ``(key, counter)``
into uniforms: a counter-based generator in the spirit of Random123 (Salmon et al.,
SC 2011), here with the SplitMix64 finaliser (Steele et al., OOPSLA 2014) as the mixing
function. Draws depend only on the key and the counter, never on the order in which
homes or residents are visited, so serial and parallel kernels agree bit for bit.

>>> k = np.uint64(12345)
>>> u = uniform(k, np.uint64(7), np.uint64(0))
>>> 0.0 <= u < 1.0 and u == uniform(k, np.uint64(7), np.uint64(0))
True
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_C1 = np.uint64(0xD6E8FEB86659FD93)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_INV53 = 1.0 / 9007199254740992.0  # 2 ** -53


@njit(cache=True, inline="always", error_model="numpy")
def mix64(x: np.uint64) -> np.uint64:
    """The SplitMix64 finaliser: a bijection of 64-bit words with full avalanche."""
    z = x + _GOLDEN
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit(cache=True, inline="always", error_model="numpy")
def uniform(key: np.uint64, counter: np.uint64, lane: np.uint64) -> float:
    """A uniform in [0, 1) from a home's ``key``, a ``counter`` and a ``lane`` within it."""
    h = mix64(key ^ mix64(counter * _C1 + lane))
    return float(h >> _S11) * _INV53


@njit(cache=True, inline="always", error_model="numpy")
def normal_pair(key: np.uint64, counter: np.uint64, lane: np.uint64) -> tuple[float, float]:
    """Two independent standard normals (Box-Muller) from lanes ``lane`` and ``lane + 1``."""
    u1 = 1.0 - uniform(key, counter, lane)  # (0, 1]: the logarithm stays finite
    u2 = uniform(key, counter, lane + np.uint64(1))
    r = math.sqrt(-2.0 * math.log(u1))
    return r * math.cos(2.0 * math.pi * u2), r * math.sin(2.0 * math.pi * u2)


def draw_key(rng: np.random.Generator) -> np.uint64:
    """A 64-bit key from one of a home's generators."""
    return np.uint64(rng.integers(0, 2**64, dtype=np.uint64))
