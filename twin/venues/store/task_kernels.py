"""Numba kernels of the store task: the flat observation and the reward's store terms.

:func:`encode_store` writes every copy's observation in one pass from the Measurements
and the store's context, with the consent rule: a shopper's stated preferences enter
the per-zone and per-display means only if they consented (and the policy may use
personal data); everybody else is an anonymous count. It also marks whose data it used.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from agents.store.population import PR_CCT, PR_LUX, PR_TEMP, PR_VOL
from agents.store.slots import BROWSING, EMPTY, ENTERING, WALKING

#: Zone features before the genre one-hot, and consented means after it (see task.py).
Z_TEMP, Z_OCC, Z_COUNT, Z_HEAT, Z_COOL, Z_LUX, Z_VOL = range(7)
N_Z_HEAD = 7
N_Z_CONSENT = 5  # consented count, mean preferred temperature, lux, CCT, volume


@njit(cache=True, inline="always", error_model="numpy")
def _here(stage, place, target, e, m):
    """The place a shopper is at or walking to (for 'near a display')."""
    return target[e, m] if stage[e, m] == WALKING else place[e, m]


@njit(cache=True, error_model="numpy")
def encode_store(
    out: np.ndarray,
    known: np.ndarray,
    temp: np.ndarray,
    presence: np.ndarray,
    count: np.ndarray,
    heat_sp: np.ndarray,
    cool_sp: np.ndarray,
    lux: np.ndarray,
    site: np.ndarray,
    genre: np.ndarray,
    volume: np.ndarray,
    display: np.ndarray,
    stage: np.ndarray,
    place: np.ndarray,
    target: np.ndarray,
    zone: np.ndarray,
    consent: np.ndarray,
    prefs: np.ndarray,
    liking: np.ndarray,
    affinity: np.ndarray,
    display_sees: np.ndarray,
    queue: np.ndarray,
    extra: np.ndarray,
    defaults: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    personal_data: bool,
) -> None:
    """Fill ``out`` ``(ne, obs_size)`` float32 and ``known`` ``(ne, M)`` (disclosed shoppers).

    ``extra`` ``(ne, 3)`` holds minutes to opening, minutes to closing and whether the
    store is open; ``defaults`` the house temperature, lux, CCT and volume shown where
    no consented shopper is.
    """
    ne, nz = temp.shape
    m_max = stage.shape[1]
    n_g, n_c, n_d = liking.shape[0], affinity.shape[0], display.shape[1]
    fz = N_Z_HEAD + n_g + N_Z_CONSENT + n_g + n_c
    fd = n_c + 2 + n_c
    d0 = nz * fz
    g0 = d0 + n_d * fd
    zsum = np.zeros((nz, 4 + n_g + n_c))
    zcnt = np.zeros(nz)
    dsum = np.zeros((n_d, n_c))
    dcnt = np.zeros(n_d)
    dall = np.zeros(n_d)
    for e in range(ne):
        row = out[e]
        zsum[:] = 0.0
        zcnt[:] = 0.0
        dsum[:] = 0.0
        dcnt[:] = 0.0
        dall[:] = 0.0
        in_store = 0.0
        for m in range(m_max):
            st = stage[e, m]
            shares = personal_data and consent[e, m] == 1 and st != EMPTY
            known[e, m] = shares
            if st == EMPTY:
                continue
            in_store += 1.0
            shopping = st == WALKING or st == BROWSING or st == ENTERING
            at = _here(stage, place, target, e, m)
            if shopping:
                for d in range(n_d):
                    if display_sees[d, at]:
                        dall[d] += 1.0
            if not shares:
                continue
            z = zone[e, m]
            zcnt[z] += 1.0
            zsum[z, 0] += prefs[PR_TEMP, e, m]
            zsum[z, 1] += prefs[PR_LUX, e, m]
            zsum[z, 2] += prefs[PR_CCT, e, m]
            zsum[z, 3] += prefs[PR_VOL, e, m]
            for g in range(n_g):
                zsum[z, 4 + g] += liking[g, e, m]
            for c in range(n_c):
                zsum[z, 4 + n_g + c] += affinity[c, e, m]
            if shopping:
                for d in range(n_d):
                    if display_sees[d, at]:
                        dcnt[d] += 1.0
                        for c in range(n_c):
                            dsum[d, c] += affinity[c, e, m]
        for z in range(nz):
            b = z * fz
            row[b + Z_TEMP] = temp[e, z]
            row[b + Z_OCC] = 1.0 if presence[e, z] else 0.0
            row[b + Z_COUNT] = count[e, z]
            row[b + Z_HEAT] = heat_sp[e, z]
            row[b + Z_COOL] = cool_sp[e, z]
            row[b + Z_LUX] = lux[e, z]
            row[b + Z_VOL] = volume[e, z]
            for g in range(n_g):
                row[b + N_Z_HEAD + g] = 1.0 if genre[e, z] == g else 0.0
            c0 = b + N_Z_HEAD + n_g
            k = zcnt[z]
            row[c0] = k
            inv = 1.0 / k if k > 0 else 0.0
            for j in range(4):
                row[c0 + 1 + j] = zsum[z, j] * inv if k > 0 else defaults[j]
            for g in range(n_g):
                row[c0 + 5 + g] = zsum[z, 4 + g] * inv if k > 0 else 0.5
            for c in range(n_c):
                row[c0 + 5 + n_g + c] = zsum[z, 4 + n_g + c] * inv
        for d in range(n_d):
            b = d0 + d * fd
            for c in range(n_c):
                row[b + c] = 1.0 if display[e, d] == c else 0.0
            row[b + n_c] = dall[d]
            row[b + n_c + 1] = dcnt[d]
            inv = 1.0 / dcnt[d] if dcnt[d] > 0 else 0.0
            for c in range(n_c):
                row[b + n_c + 2 + c] = dsum[d, c] * inv
        for j in range(site.shape[1]):
            row[g0 + j] = site[e, j]
        s0 = g0 + site.shape[1]
        row[s0] = in_store
        row[s0 + 1] = queue[e]
        row[s0 + 2] = extra[e, 0]
        row[s0 + 3] = extra[e, 1]
        row[s0 + 4] = extra[e, 2]
        for i in range(row.shape[0]):  # np.clip with selects
            v = row[i]
            v = low[i] if v < low[i] else v
            row[i] = high[i] if v > high[i] else v
