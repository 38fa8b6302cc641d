"""The store's KPIs: sales, service, experience, privacy and the filter bubble.

Computed from the exits table of a copy's :class:`~agents.store.model.StoreModel`
(one row per shopper who left) and the kernel's running totals:

* sales: ``visitors`` (shoppers who came in), ``turned_away``, ``conversion_rate``
  (paying shoppers / shoppers who left), ``revenue``, ``mean_basket`` and
  ``mean_items`` (per paying shopper), ``mean_dwell_min`` (door to door);
* service: ``queue_wait_p50_min`` and ``queue_wait_p95_min`` (shoppers who queued),
  ``balked``, ``reneged``, ``left_early``;
* experience: ``mean_satisfaction`` (exit satisfaction, every shopper who left weighs
  the same), ``satisfaction_<segment>``, ``fairness_gap`` (best minus worst segment),
  ``mean_comfort``, ``mean_ppd`` (ISO 7730 PPD over shopper-hours);
* privacy: ``personal_data_used`` (shopper-hours of consented data the policy saw);
* filter bubble: ``exposure_entropy`` (mean over exposed shoppers of the Shannon
  entropy of the categories they were shown, normalised by log C), ``catalogue_coverage``
  (share of categories shown to anyone), ``outside_favourites_share`` (share of bought
  categories outside each buyer's favourites) and ``homogenisation`` (mean pairwise
  Jaccard similarity of the bought-category sets of paying shoppers, as T-RECS measures
  homogenisation).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numba import njit

from agents.store.model import BALKED, EXIT_COLUMNS, PAID, RENEGED
from agents.store.shopper_kernel import T_DISCLOSED_H, T_PPD_H, T_PRESENT_H

if TYPE_CHECKING:
    from twin.venues.store.venue import StoreVenue

_X = {name: i for i, name in enumerate(EXIT_COLUMNS)}


@njit(cache=True, error_model="numpy")
def mean_pairwise_jaccard(masks: np.ndarray) -> float:
    """Mean Jaccard similarity over all pairs of non-empty category sets (bit masks)."""
    n = masks.shape[0]
    total, pairs = 0.0, 0
    for i in range(n):
        a = masks[i]
        for j in range(i + 1, n):
            b = masks[j]
            union = _popcount(a | b)
            if union > 0:
                total += _popcount(a & b) / union
                pairs += 1
    return total / pairs if pairs else np.nan


@njit(cache=True, inline="always")
def _popcount(x: np.int64) -> int:
    count = 0
    while x:
        x &= x - 1
        count += 1
    return count


def exposure_entropy(shown: np.ndarray) -> np.ndarray:
    """Normalised Shannon entropy (0..1) of each row of exposure counts ``(n, C)``.

    Rows without exposures are NaN; one category only gives 0, an even spread over all
    categories gives 1.
    """
    total = shown.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = shown / total
        h = -np.where(p > 0, p * np.log(p), 0.0).sum(axis=1)
    h /= np.log(shown.shape[1])
    h[total[:, 0] == 0] = np.nan
    return h


def _bits(masks: np.ndarray, n: int) -> np.ndarray:
    """Bit masks ``(k,)`` -> bool ``(k, n)``."""
    return ((masks[:, None] >> np.arange(n)) & 1).astype(bool)


def store_kpis(venue: StoreVenue, e: int) -> dict[str, float]:
    """The store's KPIs of copy ``e`` so far (unrounded; see the module docstring)."""
    model = venue.models[e]
    exits, masks, shown = model.exit_table()
    n_c = venue.n_categories
    outcome = exits[:, _X["outcome"]]
    paid = outcome == PAID
    left = exits.shape[0]
    waits = exits[:, _X["queue_wait_min"]][(outcome == PAID) | (outcome == RENEGED)]
    dwell = (exits[:, _X["exit_s"]] - exits[:, _X["arrival_s"]]) / 60.0
    present_h = venue.tacc[T_PRESENT_H, e]
    kpis: dict[str, float] = {
        "visitors": float(model.arrivals - model.turned_away),
        "turned_away": float(model.turned_away),
        "shoppers_left": float(left),
        "conversion_rate": float(paid.mean()) if left else np.nan,
        "revenue": float(exits[:, _X["spend"]].sum()),
        "mean_basket": float(exits[paid, _X["spend"]].mean()) if paid.any() else np.nan,
        "mean_items": float(exits[paid, _X["items"]].mean()) if paid.any() else np.nan,
        "mean_dwell_min": float(dwell.mean()) if left else np.nan,
        "queue_wait_p50_min": float(np.percentile(waits, 50)) if waits.size else 0.0,
        "queue_wait_p95_min": float(np.percentile(waits, 95)) if waits.size else 0.0,
        "balked": float(np.count_nonzero(outcome == BALKED)),
        "reneged": float(np.count_nonzero(outcome == RENEGED)),
        "left_early": float(exits[:, _X["left_early"]].sum()),
        "mean_comfort": float(exits[:, _X["mean_comfort"]].mean()) if left else np.nan,
        "mean_ppd": float(venue.tacc[T_PPD_H, e] / present_h) if present_h > 0 else np.nan,
        "personal_data_used": float(venue.tacc[T_DISCLOSED_H, e]),
    }
    sat = exits[:, _X["exit_satisfaction"]]
    kpis["mean_satisfaction"] = float(sat.mean()) if left else np.nan
    seg_means = {}
    for i, seg in enumerate(venue.store.segments):
        mine = exits[:, _X["segment"]] == i
        if mine.any():
            seg_means[seg.name] = float(sat[mine].mean())
            kpis[f"satisfaction_{seg.name}"] = seg_means[seg.name]
    kpis["fairness_gap"] = (
        max(seg_means.values()) - min(seg_means.values()) if seg_means else np.nan
    )
    # The filter bubble: what shoppers were shown, and how alike their baskets became.
    in_store = venue.slots.stage[e] != 0
    all_shown = np.concatenate([shown, venue.slots.shown[:, e, in_store].T])
    entropy = exposure_entropy(all_shown)
    kpis["exposure_entropy"] = float(np.nanmean(entropy)) if np.isfinite(entropy).any() else np.nan
    kpis["catalogue_coverage"] = float(np.count_nonzero(all_shown.sum(axis=0)) / n_c)
    bought = masks[paid, 1]
    bought_bits = _bits(bought, n_c)
    outside = bought_bits & ~_bits(masks[paid, 2], n_c)
    n_bought = bought_bits.sum()
    kpis["outside_favourites_share"] = float(outside.sum() / n_bought) if n_bought else np.nan
    kpis["homogenisation"] = float(mean_pairwise_jaccard(bought[bought != 0]))
    return kpis
