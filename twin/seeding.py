"""One root seed, split into independent streams for every source of randomness.

``numpy.random.SeedSequence(seed).spawn`` gives statistically independent children, so
adding a stream (or a consumer drawing more numbers from one) never shifts the others:
the weather stays the same when the guests change, and the same seed reproduces a run
byte for byte.
"""

from __future__ import annotations

import numpy as np

#: Stream names, in spawn order. Append new streams at the end only: the position of a
#: stream fixes its seed.
STREAMS = ("physics", "events", "agents", "policy", "randomization", "sensors", "stock")


def spawn_streams(seed: int) -> dict[str, np.random.Generator]:
    """Independent generators for every stream in :data:`STREAMS`, from one root seed."""
    children = np.random.SeedSequence(seed).spawn(len(STREAMS))
    return {
        name: np.random.default_rng(child) for name, child in zip(STREAMS, children, strict=True)
    }
