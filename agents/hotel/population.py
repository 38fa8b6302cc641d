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


def draw(dist: Normal, rng: np.random.Generator) -> float:
    """One draw of a clipped normal (a constant when ``sd == 0``, without using the rng)."""
    if dist.sd == 0:
        return dist.mean
    return float(np.clip(rng.normal(dist.mean, dist.sd), dist.low, dist.high))


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


def choose_segment(hotel: Hotel, weekend: bool, rng: np.random.Generator) -> int:
    """Segment index of a new arrival."""
    shares = segment_shares(hotel, weekend)
    return int(rng.choice(len(shares), p=shares))


def draw_many(dist: Normal, n: int, rng: np.random.Generator, spread: float = 1.0) -> np.ndarray:
    """``n`` draws of a clipped normal in one call (sd scaled by ``spread``)."""
    if dist.sd == 0:
        return np.full(n, dist.mean)
    return np.clip(rng.normal(dist.mean, dist.sd * spread, n), dist.low, dist.high)


def sample_profiles(
    hotel: Hotel, segments: np.ndarray, rng: np.random.Generator, spread: float = 1.0
) -> list[GuestProfile]:
    """Draw one guest party per entry of ``segments`` (vectorised per segment).

    Equivalent in distribution to calling :func:`sample_profile` for each entry, at a
    fraction of the cost: a day's arrivals are drawn with one call per field and segment.
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


def sample_profile(hotel: Hotel, segment: int, rng: np.random.Generator) -> GuestProfile:
    """Draw a guest party of ``segment``: party size, stay, consent, preferences, routine."""
    seg = hotel.segments[segment]
    lo, hi = seg.party_size
    r = seg.routine
    # A fixed number of draws per guest keeps later guests' draws independent of these.
    wake = draw(r.wake_h, rng)
    sleep = max(draw(r.sleep_h, rng), wake + 1.0)
    out_start = max(draw(r.out_start_h, rng), wake + 0.5)
    out_end = min(out_start + draw(r.out_hours, rng), sleep - 0.5)
    return GuestProfile(
        segment=segment,
        party=int(rng.integers(lo, hi + 1)),
        nights=max(1, int(round(draw(seg.stay_nights, rng)))),
        consent=bool(rng.random() < seg.consent_share),
        prefs=(
            draw(seg.pref_temp_c, rng),
            draw(seg.temp_tolerance_k, rng),
            draw(seg.pref_lux, rng),
            draw(seg.pref_cct_k, rng),
            draw(seg.clo_awake, rng),
            seg.met_awake,
        ),
        routine=(wake, out_start, max(out_end, out_start), sleep),
        return_base=seg.return_base,
    )
