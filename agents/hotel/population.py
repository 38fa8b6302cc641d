"""Drawing guests from the scenario's segments (all randomness from a passed generator)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twin.scenario import Hotel, Normal

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


@dataclass(frozen=True, slots=True)
class GuestProfile:
    """Everything that is fixed about a guest party for its stay."""

    segment: int
    party: int
    nights: int
    consent: bool
    prefs: tuple[float, ...]  # PREF_FIELDS
    routine: tuple[float, ...]  # ROUTINE_FIELDS
    return_base: float


def segment_shares(hotel: Hotel, weekend: bool) -> np.ndarray:
    """Probability of each segment for an arrival (weekend arrivals may have their own mix)."""
    shares = np.array([s.share for s in hotel.segments])
    mix = hotel.arrivals.weekend_segment_shares
    if weekend and mix is not None:
        shares = np.array([mix.get(s.name, 0.0) for s in hotel.segments])
    return shares / shares.sum()


def draw_many(dist: Normal, n: int, rng: np.random.Generator, spread: float = 1.0) -> np.ndarray:
    """``n`` draws of a clipped normal in one call (sd scaled by ``spread``)."""
    if dist.sd == 0:
        return np.full(n, dist.mean)
    return np.clip(rng.normal(dist.mean, dist.sd * spread, n), dist.low, dist.high)


def sample_profiles(
    hotel: Hotel, segments: np.ndarray, rng: np.random.Generator, spread: float = 1.0
) -> list[GuestProfile]:
    """Draw one guest party per entry of ``segments`` (vectorised per segment).

    A day's arrivals are drawn with one call per field and segment.
    ``spread`` scales the spread (sd) of the preference distributions (domain
    randomisation).
    """
    n = len(segments)
    fields = np.zeros((n, 11))
    party = np.zeros(n, dtype=np.int64)
    consent = np.zeros(n, dtype=bool)
    for j, seg in enumerate(hotel.segments):
        idx = np.flatnonzero(segments == j)
        m = idx.size
        if m == 0:
            continue
        r = seg.routine
        wake = draw_many(r.wake_h, m, rng)
        sleep = np.maximum(draw_many(r.sleep_h, m, rng), wake + 1.0)
        out_start = np.maximum(draw_many(r.out_start_h, m, rng), wake + 0.5)
        out_end = np.minimum(out_start + draw_many(r.out_hours, m, rng), sleep - 0.5)
        fields[idx] = np.column_stack([
            draw_many(seg.pref_temp_c, m, rng, spread), draw_many(seg.temp_tolerance_k, m, rng),
            draw_many(seg.pref_lux, m, rng, spread), draw_many(seg.pref_cct_k, m, rng, spread),
            draw_many(seg.clo_awake, m, rng), np.full(m, seg.met_awake),
            wake, out_start, np.maximum(out_end, out_start), sleep,
            np.maximum(1.0, np.round(draw_many(seg.stay_nights, m, rng))),
        ])  # fmt: skip
        lo, hi = seg.party_size
        party[idx] = rng.integers(lo, hi + 1, m)
        consent[idx] = rng.random(m) < seg.consent_share
    return [
        GuestProfile(
            segment=int(segments[i]),
            party=int(party[i]),
            nights=int(fields[i, 10]),
            consent=bool(consent[i]),
            prefs=tuple(fields[i, :6].tolist()),
            routine=tuple(fields[i, 6:10].tolist()),
            return_base=hotel.segments[int(segments[i])].return_base,
        )
        for i in range(n)
    ]
