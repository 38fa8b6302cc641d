"""Drawing shoppers from the scenario's segments (all randomness from passed arrays).

A day's arrivals are drawn as arrays: standard normals and uniforms in one generator call
each, turned into shoppers by :func:`draw_shoppers`, a small Numba kernel that looks each
shopper's distribution parameters up from its segment in a :class:`SegmentTable`. A
shopper's list follows RetailSynth's category step (each category is on the list with
the shopper's affinity to it, a Bernoulli draw); somebody who draws an empty list comes
for the category they like most.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from twin.scenario import Store

#: The clipped normals of a shopper, in the order of the rows of ``ShopperSlots.prefs``.
PREF_FIELDS = (
    "pref_temp_c",
    "temp_tolerance_k",
    "pref_lux",
    "pref_cct_k",
    "clo",
    "met",
    "pref_volume_db",
    "price_sensitivity",
    "impulse",
    "patience_min",
    "balk_queue",
    "walking_speed_m_s",
)
(
    PR_TEMP, PR_TOL, PR_LUX, PR_CCT, PR_CLO, PR_MET, PR_VOL, PR_PRICE, PR_IMPULSE,
    PR_PATIENCE, PR_BALK, PR_SPEED,
) = range(len(PREF_FIELDS))  # fmt: skip
N_PREFS = len(PREF_FIELDS)
#: Columns of the segment table after the four blocks of normals (mean, sd, low, high).
_CONSENT, _GENRE_SD, _AFFINITY_SD = 4 * N_PREFS, 4 * N_PREFS + 1, 4 * N_PREFS + 2
_FIRST_GENRE = 4 * N_PREFS + 3


@dataclass(frozen=True, slots=True)
class SegmentTable:
    """The segments' distribution parameters as one array, one row per segment.

    Columns of ``params``: the mean, sd, low and high of the :data:`PREF_FIELDS` normals
    (four blocks), the consent share, the sd of genre liking and of category affinity,
    then the mean liking of each genre (``G`` columns) and the mean affinity to each
    category (``C`` columns). ``hour_cdf`` ``(24, n_segments)`` is the cumulative segment
    mix of an arrival in each local hour.
    """

    params: np.ndarray
    hour_cdf: np.ndarray
    n_genres: int
    n_categories: int

    @classmethod
    def of(cls, store: Store) -> SegmentTable:
        """The table of a store's segments."""
        genres = [g.name for g in store.music]
        categories = list(store.category_names)
        rows = []
        for seg in store.segments:
            normals = [getattr(seg, name) for name in PREF_FIELDS]
            rows.append([
                *(d.mean for d in normals), *(d.sd for d in normals),
                *(d.low for d in normals), *(d.high for d in normals),
                seg.consent_share, seg.genre_liking_sd, seg.affinity_sd,
                *(seg.genre_liking.get(g, seg.genre_liking_default) for g in genres),
                *(seg.category_affinity.get(c, seg.affinity_default) for c in categories),
            ])  # fmt: skip
        hour_cdf = np.empty((24, len(store.segments)))
        for h in range(24):
            mix = np.array(store.segment_mix(h))
            hour_cdf[h] = np.cumsum(mix) / mix.sum()
            hour_cdf[h, int(np.flatnonzero(mix > 0)[-1]) :] = 1.0  # never past the last
        return cls(np.array(rows, dtype=np.float64), hour_cdf, len(genres), len(categories))

    @property
    def n_normals(self) -> int:
        """Standard normals per shopper: the prefs, one per genre, one per category."""
        return N_PREFS + self.n_genres + self.n_categories

    @property
    def n_uniforms(self) -> int:
        """Uniforms per shopper: the segment, one per category (the list), the consent."""
        return self.n_categories + 2


@njit(cache=True, error_model="numpy")
def draw_shoppers(
    params: np.ndarray,
    hour_cdf: np.ndarray,
    hours: np.ndarray,
    z: np.ndarray,
    u: np.ndarray,
    segment: np.ndarray,
    prefs: np.ndarray,
    liking: np.ndarray,
    affinity: np.ndarray,
    plan: np.ndarray,
    favourites: np.ndarray,
    consent: np.ndarray,
    n_favourites: int,
) -> None:
    """Shoppers arriving in local ``hours``: segment, profile, list, favourites, consent.

    Args:
        params, hour_cdf: :attr:`SegmentTable.params` and :attr:`SegmentTable.hour_cdf`.
        hours: ``(n,)`` local hour (0..23) of each arrival.
        z: ``(n, N_PREFS + G + C)`` standard normals; ``u``: ``(n, C + 2)`` uniforms.
        segment, consent: ``(n,)`` out; ``prefs`` ``(n, N_PREFS)``, ``liking`` ``(n, G)``,
            ``affinity`` ``(n, C)`` out; ``plan`` ``(n,)`` int64 out, bit ``c`` set when
            category ``c`` is on the list; ``favourites`` ``(n,)`` int64 out, the
            ``n_favourites`` categories of highest affinity (ties to the lower index).
    """
    n, n_g, n_c = segment.shape[0], liking.shape[1], affinity.shape[1]
    for i in range(n):
        s = np.searchsorted(hour_cdf[hours[i]], u[i, 0], side="right")
        segment[i] = s
        p = params[s]
        for k in range(N_PREFS):
            v = p[k] + p[N_PREFS + k] * z[i, k]
            prefs[i, k] = min(max(v, p[2 * N_PREFS + k]), p[3 * N_PREFS + k])
        for g in range(n_g):
            v = p[_FIRST_GENRE + g] + p[_GENRE_SD] * z[i, N_PREFS + g]
            liking[i, g] = min(max(v, 0.0), 1.0)
        best, best_c = -1.0, 0
        bits = np.int64(0)
        for c in range(n_c):
            v = p[_FIRST_GENRE + n_g + c] + p[_AFFINITY_SD] * z[i, N_PREFS + n_g + c]
            a = min(max(v, 0.0), 1.0)
            affinity[i, c] = a
            if u[i, 1 + c] < a:
                bits |= np.int64(1) << c
            if a > best:
                best, best_c = a, c
        plan[i] = bits if bits != 0 else np.int64(1) << best_c
        order = np.argsort(-affinity[i], kind="mergesort")
        fav = np.int64(0)
        for j in range(min(n_favourites, n_c)):
            fav |= np.int64(1) << order[j]
        favourites[i] = fav
        consent[i] = 1 if u[i, 1 + n_c] < p[_CONSENT] else 0
