"""Normalised Box actions to physical commands and back, for every venue.

An env's action is a float32 Box in [-1, 1]; each continuous command of each zone maps
linearly onto its physical range. The same mapping decodes a policy's actions in the
twin and on hardware, and :func:`normalise` is its inverse for rule baselines, which
think in physical units.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, error_model="numpy")
def decode_actions(action: np.ndarray, low: np.ndarray, high: np.ndarray, out: np.ndarray) -> None:
    """Normalised actions ``(ne, nz * K)`` in [-1, 1] -> physical ``out`` ``(K, ne, nz)``.

    Zone-major: ``action[e, K z + j]`` is command ``j`` of zone ``z``, mapped linearly
    from [-1, 1] (values outside are clipped) onto ``[low[z, j], high[z, j]]``.
    """
    ne = action.shape[0]
    nz, k = low.shape
    lo = low.ravel()  # in the action's zone-major order
    span = (0.5 * (high - low)).ravel()
    row64 = np.empty(nz * k)
    for e in range(ne):
        row = action[e]
        for i in range(nz * k):  # selects, not branches: this loop vectorises
            a = float(row[i])
            a = -1.0 if a < -1.0 else a
            a = 1.0 if a > 1.0 else a
            row64[i] = lo[i] + (a + 1.0) * span[i]
        for j in range(k):
            out_j = out[j, e]
            for z in range(nz):
                out_j[z] = row64[k * z + j]


def normalise(
    phys: np.ndarray, low: np.ndarray, high: np.ndarray, kinds: tuple[str, ...]
) -> np.ndarray:
    """Physical commands ``(..., n_zones, K)`` -> normalised actions ``(..., n_zones * K)``.

    Values outside the physical range raise: a controller asking for what the action
    space cannot express is a bug, and silently clipping would hide it. ``kinds`` names
    the K commands for the message.
    """
    span = high - low
    a = 2.0 * (phys - low) / np.where(span > 0, span, 1.0) - 1.0
    if np.any(np.abs(a) > 1.0 + 1e-9):
        bad = np.unravel_index(np.argmax(np.abs(a)), a.shape)
        raise ValueError(
            f"command {phys[bad]:.4g} of kind {kinds[bad[-1]]} is "
            f"outside the action range [{low[bad[-2:]]:.4g}, {high[bad[-2:]]:.4g}]"
        )
    return np.clip(a, -1.0, 1.0).reshape(*a.shape[:-2], -1).astype(np.float32)


def action_batch(action: np.ndarray, n_envs: int, act_size: int) -> np.ndarray:
    """Normalised actions as the decode kernels take them: ``(n_envs, act_size)``.

    C-contiguous, float32 or float64 as given (other dtypes become float64).
    """
    a = np.asarray(action)
    if a.shape != (n_envs, act_size):
        a = a.reshape(n_envs, act_size)
    if a.dtype != np.float32 and a.dtype != np.float64:
        a = a.astype(np.float64)
    return np.ascontiguousarray(a)
