"""PNG plots of a run (matplotlib, headless Agg backend).

Plotting is kept out of the simulation modules: models never import this file.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import matplotlib


def use_headless_backend() -> None:
    """Draw with Agg (CI, workers, servers), unless a notebook shows plots inline.

    Forcing Agg inside Jupyter would switch the notebook's own inline plots off.
    """
    inline = "matplotlib_inline" in sys.modules or "inline" in os.environ.get("MPLBACKEND", "")
    if not inline:
        matplotlib.use("Agg")


use_headless_backend()
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def save(fig: plt.Figure, path: Path) -> None:
    """Write ``fig`` to ``path`` (tight layout, no software tag: the bytes stay stable)."""
    _save(fig, path)


def _save(fig: plt.Figure, path: Path) -> None:
    fig.tight_layout()
    fig.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(fig)


def plot_temperatures(
    path: Path,
    times: np.ndarray,
    t_out: np.ndarray,
    op: np.ndarray,
    band: tuple[float, float],
    title: str = "Zone operative temperatures",
) -> None:
    """Mean and range of zone operative temperatures, outdoor temperature, comfort band."""
    fig, ax = plt.subplots(figsize=(10, 4))
    ax.fill_between(times, op.min(axis=1), op.max(axis=1), alpha=0.3, label="zones (min-max)")
    ax.plot(times, op.mean(axis=1), lw=1.2, label="zones (mean)")
    ax.plot(times, t_out, lw=0.8, color="tab:gray", label="outdoor")
    ax.axhspan(band[0], band[1], color="tab:green", alpha=0.08, label="comfort band")
    ax.set_ylabel("temperature (°C)")
    ax.set_title(title)
    ax.legend(loc="upper right", fontsize=8)
    fig.autofmt_xdate()
    _save(fig, path)


def plot_energy(path: Path, times: np.ndarray, p_hvac_el: np.ndarray, p_light: np.ndarray) -> None:
    """Stacked electric power of HVAC and lighting, and cumulative energy."""
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(10, 5), sharex=True)
    hvac, light = p_hvac_el.sum(axis=1) / 1000, p_light.sum(axis=1) / 1000
    ax1.stackplot(times, hvac, light, labels=["HVAC (heat pump)", "lighting"], alpha=0.8)
    ax1.set_ylabel("electric power (kW)")
    ax1.legend(loc="upper right", fontsize=8)
    dt_h = float((times[1] - times[0]) / np.timedelta64(1, "h")) if len(times) > 1 else 1.0
    ax2.plot(times, np.cumsum(hvac + light) * dt_h, color="tab:red")
    ax2.set_ylabel("cumulative energy (kWh)")
    fig.autofmt_xdate()
    _save(fig, path)


def plot_comfort(path: Path, times: np.ndarray, ppd: np.ndarray, occupied: np.ndarray) -> None:
    """PPD (ISO 7730) over time, averaged over occupied zones."""
    fig, ax = plt.subplots(figsize=(10, 3.5))
    masked = np.where(occupied, ppd, np.nan)
    with np.errstate(invalid="ignore"):
        counts = occupied.sum(axis=1)
        mean = np.where(counts > 0, np.nansum(masked, axis=1) / np.maximum(counts, 1), np.nan)
    ax.plot(times, mean, lw=1.0)
    ax.axhline(10, ls="--", color="tab:orange", lw=0.8, label="ISO 7730 category B (PPD 10 %)")
    ax.set_ylabel("mean PPD of occupied zones (%)")
    ax.set_ylim(0, max(20.0, float(np.nanmax(mean)) * 1.1) if np.isfinite(mean).any() else 20)
    ax.legend(loc="upper right", fontsize=8)
    fig.autofmt_xdate()
    _save(fig, path)


def plot_occupancy(
    path: Path, times: np.ndarray, sold: np.ndarray, present: np.ndarray, queue: np.ndarray
) -> None:
    """Rooms sold, guests present in their rooms, and the front-desk queue."""
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(10, 5), sharex=True, height_ratios=[3, 1])
    ax1.plot(times, sold, label="rooms sold (checked in)")
    ax1.plot(times, present, label="guests in their room", alpha=0.8)
    ax1.set_ylabel("rooms")
    ax1.legend(loc="upper right", fontsize=8)
    ax2.plot(times, queue, color="tab:red", lw=0.8)
    ax2.set_ylabel("desk queue")
    fig.autofmt_xdate()
    _save(fig, path)


def plot_room_vs_preference(
    path: Path, times: np.ndarray, t_op: np.ndarray, pref: np.ndarray, present: np.ndarray
) -> None:
    """Room operative temperature against the in-house guest's own preferred temperature."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4), width_ratios=[2, 1])
    err = np.where(present > 0, t_op - pref, np.nan)
    with np.errstate(invalid="ignore"), np.testing.suppress_warnings() as sup:
        sup.filter(RuntimeWarning)
        ax1.plot(times, np.nanmean(np.abs(err), axis=1), lw=1.0, label="mean |room - preference|")
        ax1.plot(times, np.nanmean(err, axis=1), lw=0.8, label="mean room - preference")
    ax1.axhline(0, color="k", lw=0.5)
    ax1.set_ylabel("K (guests present)")
    ax1.legend(loc="upper right", fontsize=8)
    ax1.tick_params(axis="x", labelrotation=30)
    mask = np.isfinite(err)
    rng = np.random.default_rng(0)  # thinning for the scatter only (not a model input)
    idx = np.flatnonzero(mask.ravel())
    idx = idx if idx.size <= 4000 else rng.choice(idx, 4000, replace=False)
    ax2.scatter(pref.ravel()[idx], t_op.ravel()[idx], s=3, alpha=0.3)
    if idx.size:
        lo, hi = float(np.nanmin(pref.ravel()[idx])), float(np.nanmax(pref.ravel()[idx]))
        ax2.plot([lo, hi], [lo, hi], "k--", lw=0.8)
    ax2.set_xlabel("guest's preferred temperature (°C)")
    ax2.set_ylabel("room operative temperature (°C)")
    _save(fig, path)


def plot_satisfaction(
    path: Path, times: np.ndarray, sat: np.ndarray, segment: np.ndarray, names: tuple[str, ...]
) -> None:
    """Mean satisfaction of in-house guests by segment over time."""
    fig, ax = plt.subplots(figsize=(10, 4))
    for j, name in enumerate(names):
        mine = np.where(segment == j, sat, np.nan)
        with np.errstate(invalid="ignore"), np.testing.suppress_warnings() as sup:
            sup.filter(RuntimeWarning)
            ax.plot(times, np.nanmean(mine, axis=1), lw=1.0, label=name)
    ax.set_ylim(0, 1)
    ax.set_ylabel("satisfaction (in-house guests)")
    ax.legend(loc="lower right", fontsize=8)
    fig.autofmt_xdate()
    _save(fig, path)


def plot_evaluation(path: Path, summary: dict[str, dict[str, dict[str, float]]]) -> None:
    """One panel per KPI: each policy's mean with its 95 % confidence interval.

    The reward and the first five KPIs of the summary (the venue's headline KPIs).
    """
    names = list(summary)
    first = summary[names[0]] if names else {}
    keys = ["reward", *[k for k in first if k != "reward"][:5]]
    fig, axes = plt.subplots(1, len(keys), figsize=(3.2 * len(keys), 3.6))
    for ax, key in zip(axes, keys, strict=True):
        means = [summary[n].get(key, {}).get("mean", np.nan) for n in names]
        lo = [summary[n].get(key, {}).get("ci_low", np.nan) for n in names]
        hi = [summary[n].get(key, {}).get("ci_high", np.nan) for n in names]
        err = np.array([np.subtract(means, lo), np.subtract(hi, means)])
        ax.bar(range(len(names)), means, yerr=np.nan_to_num(err), capsize=4, color="tab:blue")
        ax.set_xticks(range(len(names)), [n[-18:] for n in names], rotation=30, ha="right")
        ax.set_title(key, fontsize=9)
    _save(fig, path)
