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


def choose_segment(hotel: Hotel, weekend: bool, rng: np.random.Generator) -> int:
    """Segment index of a new arrival (weekend arrivals may have their own mix)."""
    shares = np.array([s.share for s in hotel.segments])
    mix = hotel.arrivals.weekend_segment_shares
    if weekend and mix is not None:
        shares = np.array([mix.get(s.name, 0.0) for s in hotel.segments])
    return int(rng.choice(len(shares), p=shares / shares.sum()))


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
