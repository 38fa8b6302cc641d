"""What a store run directory adds: shopper records and the plots a retail researcher wants.

Called by :func:`twin.report.write_run` after the building's artefacts:

* ``shoppers.parquet`` / ``shoppers.csv``: one row per shopper who left (pseudonymous
  ids, outcomes, no preferences);
* ``floor_heatmap.png``: the floor plan coloured by browsing minutes per m2 of each
  section, with visits, displays, entrance and checkout marked;
* ``conversion_by_hour.png``: arrivals and the share of them who paid, by hour;
* ``queue.png``: shoppers in the store and waiting at the checkout over time;
* ``diversity.png``: how varied the promotions each shopper noticed were (exposure
  entropy), by the hour they left, and the share of noticed promotions outside their
  favourites.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np

from twin.plots import plt, save
from twin.rundir import write_records


def timeseries_columns(scenario: Any, episode: Any) -> dict[str, np.ndarray]:
    """The store's columns of ``timeseries.parquet``: shoppers in store, browsing, queue."""
    sr = episode.series
    return {
        "in_store": sr["in_store"][:, 0],
        "browsing": sr["browsing"][:, 0],
        "checkout_queue": sr["queue"][:, 0],
    }


def write_artifacts(out: Path, scenario: Any, episode: Any) -> None:
    """Shopper records and the store's plots (see the module docstring)."""
    records = episode.records
    write_records(out, "shoppers", records)
    sr = episode.series
    times = sr["times"].astype("datetime64[m]").astype(object)
    visits, dwell = sr["place_visits"][-1], sr["place_dwell_min"][-1]
    plot_floor(out / "floor_heatmap.png", scenario, visits, dwell)
    start_h = scenario.simulation.start.hour + scenario.simulation.start.minute / 60.0
    plot_conversion(out / "conversion_by_hour.png", records, start_h)
    plot_queue(out / "queue.png", times, sr["in_store"][:, 0], sr["queue"][:, 0])
    plot_diversity(out / "diversity.png", records, start_h, times, sr["exposed"])


def plot_floor(path: Path, scenario: Any, visits: np.ndarray, dwell_min: np.ndarray) -> None:
    """Browsing minutes per m2 of each section on the floor plan, visits annotated."""
    from agents.store.floorplan import CHECKOUT, ENTRANCE, WALL, FloorPlan

    plan = FloorPlan.of(scenario)
    s = plan.n_sections
    per_m2 = dwell_min[:s] / np.maximum(plan.section_area_m2, 1e-9)
    grid = np.full(plan.shape, np.nan)
    sec = plan.section_of >= 0
    grid[sec] = per_m2[plan.section_of[sec]]
    fig, ax = plt.subplots(figsize=(1.0 + 0.32 * plan.shape[1], 1.2 + 0.32 * plan.shape[0]))
    walls = np.where(plan.kind == WALL, 1.0, np.nan)
    ax.imshow(walls, cmap="Greys", vmin=0, vmax=1.2)
    img = ax.imshow(grid, cmap="YlOrRd")
    fig.colorbar(img, ax=ax, shrink=0.7, label="browsing minutes per m2")
    for i, name in enumerate(plan.category_names):
        cells = plan.place_cells[i]
        r, c = cells.mean(axis=0)
        ax.text(c, r, f"{name}\n{int(visits[i])}", ha="center", va="center", fontsize=6)
    for kind, mark, label in ((ENTRANCE, "v", "entrance"), (CHECKOUT, "s", "checkout")):
        rr, cc = np.nonzero(plan.kind == kind)
        ax.scatter(cc, rr, marker=mark, s=30, color="tab:blue", label=label)
    if len(plan.display_cell):
        ax.scatter(plan.display_cell[:, 1], plan.display_cell[:, 0], marker="*", s=60,
                   color="tab:purple", label="display")  # fmt: skip
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title("Floor: browsing time and visits per section")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.02), ncol=3, fontsize=7)
    save(fig, path)


def _local_hour(run_h: np.ndarray, start_h: float) -> np.ndarray:
    return np.floor((start_h + run_h) % 24.0).astype(int)


def plot_conversion(path: Path, records: list[dict[str, Any]], start_h: float) -> None:
    """Arrivals per hour and the share of them who paid."""
    fig, ax1 = plt.subplots(figsize=(9, 3.5))
    if records:
        hour = _local_hour(np.array([r["arrival_h"] for r in records]), start_h)
        paid = np.array([r["outcome"] == "paid" for r in records])
        hours = np.arange(hour.min(), hour.max() + 1)
        n = np.array([(hour == h).sum() for h in hours])
        conv = np.array([paid[hour == h].mean() if (hour == h).any() else np.nan for h in hours])
        ax1.bar(hours, n, color="tab:blue", alpha=0.4, label="arrivals")
        ax2 = ax1.twinx()
        ax2.plot(hours, conv, "o-", color="tab:red", label="conversion")
        ax2.set_ylim(0, 1.05)
        ax2.set_ylabel("share who paid")
    ax1.set_xlabel("local hour of arrival")
    ax1.set_ylabel("arrivals")
    ax1.set_title("Conversion by hour")
    save(fig, path)


def plot_queue(path: Path, times: np.ndarray, in_store: np.ndarray, queue: np.ndarray) -> None:
    """Shoppers in the store and in the checkout queue."""
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(10, 5), sharex=True, height_ratios=[2, 1])
    ax1.plot(times, in_store, lw=1.0)
    ax1.set_ylabel("shoppers in store")
    ax2.plot(times, queue, color="tab:red", lw=0.8)
    ax2.set_ylabel("checkout queue")
    fig.autofmt_xdate()
    save(fig, path)


def plot_diversity(
    path: Path, records: list[dict[str, Any]], start_h: float, times: np.ndarray,
    exposed: np.ndarray,
) -> None:  # fmt: skip
    """Exposure entropy by exit hour, and the share of promotions outside favourites."""
    from agents.store.shopper_kernel import T_EXPOSED, T_EXPOSED_OUT

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.6))
    if records:
        hour = _local_hour(np.array([r["exit_h"] for r in records]), start_h)
        h = np.array([r["exposure_entropy"] for r in records], dtype=float)
        hours = np.unique(hour)
        with warnings.catch_warnings():  # an hour whose leavers saw nothing is a gap (NaN)
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = [np.nanmean(h[hour == x]) for x in hours]
        ax1.plot(hours, mean, "o-")
    ax1.set_ylim(0, 1.05)
    ax1.set_title("exposure entropy of shoppers by the hour they left", fontsize=9)
    ax1.set_xlabel("local hour of leaving")
    ax1.set_ylabel("exposure entropy (0..1)")
    with np.errstate(invalid="ignore", divide="ignore"):
        share = exposed[:, T_EXPOSED_OUT] / exposed[:, T_EXPOSED]
    ax2.plot(times, share, lw=1.0)
    ax2.set_ylim(0, 1.05)
    ax2.set_ylabel("share outside favourites")
    ax2.set_title("noticed promotions outside favourites (cumulative)", fontsize=9)
    fig.autofmt_xdate()
    fig.suptitle("Diversity of what shoppers were shown")
    save(fig, path)
