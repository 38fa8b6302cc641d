"""Drawing guests from the scenario's segments (all randomness from a passed generator).

A day's guests are drawn as one table (one row per guest party, columns
:data:`PROFILE_COLUMNS`): one generator call per kind of draw for all guests at once,
turned into profiles by a small Numba kernel (:func:`draw_profiles`) that looks each
guest's distribution parameters up from its segment in a :class:`SegmentTable`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from twin.scenario import Hotel

#: Order of the routine and preference rows in the World's slot arrays.
ROUTINE_FIELDS = ("wake_h", "out_start_h", "out_end_h", "sleep_h")
PREF_FIELDS = (
    "pref_temp_c",
    "temp_tolerance_k",
    "pref_lux",
    "pref_cct_k",
    "clo_awake",
    "met_awake",
)
#: Columns of a table drawn by :func:`sample_profiles`: everything fixed about a guest
#: party for its stay (``segment`` is the segment's index, ``consent`` 0 or 1).
PROFILE_COLUMNS = (
    *PREF_FIELDS,
    *ROUTINE_FIELDS,
    "nights",
    "party",
    "segment",
    "consent",
    "return_base",
)
COL_PREFS = slice(0, 6)
COL_ROUTINE = slice(6, 10)
COL_NIGHTS, COL_PARTY, COL_SEGMENT, COL_CONSENT, COL_RETURN_BASE = range(10, 15)
assert PROFILE_COLUMNS[COL_NIGHTS] == "nights" and len(PROFILE_COLUMNS) == 15

# The clipped normals a guest is drawn from, in the order of SegmentTable's columns
# (routine fields live in the segment's ``routine``).
_NORMALS = (
    "pref_temp_c",
    "temp_tolerance_k",
    "pref_lux",
    "pref_cct_k",
    "clo_awake",
    "wake_h",
    "sleep_h",
    "out_start_h",
    "out_hours",
    "stay_nights",
)
N_NORMALS = len(_NORMALS)
_ROUTINE_NORMALS = ("wake_h", "sleep_h", "out_start_h", "out_hours")
_UNIT_SCALE = np.ones(N_NORMALS)
_SPREAD = np.array([name in ("pref_temp_c", "pref_lux", "pref_cct_k") for name in _NORMALS])


@dataclass(frozen=True, slots=True)
class SegmentTable:
    """The segments' distribution parameters as one array (one row per segment).

    Columns of ``params``: the mean, sd, low and high of the ten clipped normals a
    guest is drawn from (in that order, ten columns each), then ``met_awake``, the
    smallest party, the number of party sizes, the consent share and the return base.
    ``spread`` marks the normals whose sd domain randomisation scales (the stated
    preferences).
    """

    params: np.ndarray
    spread: np.ndarray

    @classmethod
    def of(cls, hotel: Hotel) -> SegmentTable:
        """The table of a hotel's segments."""
        rows = []
        for seg in hotel.segments:
            normals = [
                getattr(seg.routine if name in _ROUTINE_NORMALS else seg, name) for name in _NORMALS
            ]
            lo, hi = seg.party_size
            rows.append([
                *(d.mean for d in normals), *(d.sd for d in normals),
                *(d.low for d in normals), *(d.high for d in normals),
                seg.met_awake, lo, hi - lo + 1, seg.consent_share, seg.return_base,
            ])  # fmt: skip
        return cls(params=np.array(rows, dtype=np.float64), spread=_SPREAD)


def segment_shares(hotel: Hotel, weekend: bool) -> np.ndarray:
    """Probability of each segment for an arrival (weekend arrivals may have their own mix)."""
    shares = np.array([s.share for s in hotel.segments])
    mix = hotel.arrivals.weekend_segment_shares
    if weekend and mix is not None:
        shares = np.array([mix.get(s.name, 0.0) for s in hotel.segments])
    return shares / shares.sum()


def inverse_cdf(p: np.ndarray) -> np.ndarray:
    """Cumulative probabilities for drawing an index ``searchsorted(cdf, u, "right")``.

    With ``u`` uniform in [0, 1) the index ``i`` comes with probability ``p[i]``; entries
    from the last positive ``p`` on are exactly 1, so rounding never picks an index of
    probability zero past it.
    """
    cdf = np.cumsum(p, dtype=np.float64)
    cdf /= cdf[-1]
    cdf[int(np.flatnonzero(p > 0)[-1]) :] = 1.0
    return cdf


@njit(cache=True, error_model="numpy")
def draw_profiles(
    params: np.ndarray,
    sd_scale: np.ndarray,
    segments: np.ndarray,
    z: np.ndarray,
    u: np.ndarray,
    out: np.ndarray,
) -> None:
    """Guest profiles from standard normals and uniforms, one row of ``out`` per guest.

    Args:
        params: ``(n_segments, 45)`` :attr:`agents.hotel.population.SegmentTable.params`.
        sd_scale: ``(10,)`` factor on each normal's sd (domain randomisation).
        segments: ``(n,)`` segment of each guest.
        z: ``(n, 10)`` standard normals.
        u: ``(n, 2)`` uniforms in [0, 1) for the party size and the consent.
        out: ``(n, >= 15)`` receives the profile columns.
    """
    for r in range(segments.size):
        s = segments[r]
        p = params[s]
        x = np.empty(N_NORMALS)
        for k in range(N_NORMALS):
            v = p[k] + p[N_NORMALS + k] * sd_scale[k] * z[r, k]
            x[k] = min(max(v, p[2 * N_NORMALS + k]), p[3 * N_NORMALS + k])
        wake = x[5]
        sleep = max(x[6], wake + 1.0)
        out_start = max(x[7], wake + 0.5)
        out_end = max(min(out_start + x[8], sleep - 0.5), out_start)
        for k in range(5):
            out[r, k] = x[k]
        out[r, 5] = p[40]
        out[r, 6] = wake
        out[r, 7] = out_start
        out[r, 8] = out_end
        out[r, 9] = sleep
        out[r, COL_NIGHTS] = max(1.0, np.rint(x[9]))
        out[r, COL_PARTY] = p[41] + np.floor(u[r, 0] * p[42])
        out[r, COL_SEGMENT] = s
        out[r, COL_CONSENT] = 1.0 if u[r, 1] < p[43] else 0.0
        out[r, COL_RETURN_BASE] = p[44]


def sample_profiles(
    table: SegmentTable,
    segments: np.ndarray,
    rng: np.random.Generator,
    spread: float = 1.0,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Draw one guest party per entry of ``segments``: a ``(n, 15)`` table.

    Columns are :data:`PROFILE_COLUMNS`. Each guest's clipped normals use its segment's
    parameters (one ``standard_normal`` call for all guests); ``spread`` scales the
    spread (sd) of the stated-preference distributions (domain randomisation). The
    party size is uniform over the segment's range and consent is given with the
    segment's share (one ``random`` call for both). A routine is kept consistent:
    sleep at least an hour after waking, going out at least half an hour after waking
    and back at least half an hour before sleeping (at the latest when going out).
    ``out`` (``n`` rows, at least 15 columns) receives the table if given.
    """
    n = len(segments)
    if out is None:
        out = np.empty((n, len(PROFILE_COLUMNS)))
    z = rng.standard_normal((n, len(_NORMALS)))
    u = rng.random((n, 2))  # party size, consent
    sd_scale = np.where(table.spread, spread, 1.0) if spread != 1.0 else _UNIT_SCALE
    draw_profiles(table.params, sd_scale, np.asarray(segments, dtype=np.int64), z, u, out)
    return out
