"""What a homes run directory adds: residents, a home's week, learning, the neighbourhood load.

Called by :func:`twin.report.write_run` after the building's artefacts (the building's
``zones.parquet`` and plots are those of the recorded home, copy 0):

* ``residents.parquet`` / ``residents.csv``: one row per resident of the neighbourhood
  (pseudonymous ids, household type, role, consent, preferences, what they experienced);
* ``home_week.png``: the recorded home's second week (its first if shorter): who is
  home, each zone's heating set-point coloured by who commanded it (resident override,
  policy, program), operative temperature;
* ``learned_occupancy.png``: the occupancy pattern the thermostat learned for that home
  (at the end of the run) against the household's true presence by time of day;
* ``neighbourhood_load.png``: the neighbourhood's summed electric load over the run and
  its mean day.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from twin.arbitration import SOURCES
from twin.calendar import local_hours
from twin.plots import plt
from twin.rundir import write_records
from twin.venues.home.task import F_HOME, F_ZONE, HOME_INDEX, ZONE_INDEX

_SOURCE_COLOURS = {"override": "tab:red", "policy": "tab:blue", "schedule": "tab:gray"}


def timeseries_columns(scenario: Any, episode: Any) -> dict[str, np.ndarray]:
    """The homes' columns of ``timeseries.parquet``: the recorded home and the neighbourhood."""
    sr = episode.series
    return {
        "residents_awake": sr["residents_awake"][:, 0],
        "residents_asleep": sr["residents_asleep"][:, 0],
        "household_away": sr["household_away"][:, 0],
        "overrides": sr["overrides_now"].sum(axis=1),
        "neighbourhood_kw": sr["neighbourhood_kw"][:, 0],
    }


def write_artifacts(out: Path, scenario: Any, episode: Any) -> None:
    """Resident records and the homes' plots (see the module docstring)."""
    write_records(out, "residents", episode.records)
    sr = episode.series
    names = tuple(episode.zone_names)
    plot_home_week(out / "home_week.png", sr, names, scenario.simulation.step_minutes)
    plot_learned_occupancy(out / "learned_occupancy.png", sr, names, scenario)
    plot_neighbourhood_load(out / "neighbourhood_load.png", sr)


def _save(fig: Any, path: Path) -> None:
    fig.tight_layout()
    fig.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(fig)


def _week(n_steps: int, step_minutes: int) -> slice:
    """The second week of a run (its first when shorter than two weeks)."""
    week = 7 * 24 * 60 // step_minutes
    return slice(week, 2 * week) if n_steps >= 2 * week else slice(0, min(week, n_steps))


def plot_home_week(
    path: Path, sr: dict[str, np.ndarray], names: tuple[str, ...], step_min: int
) -> None:
    """A home's week: who is home, set-points by who commanded them, temperatures."""
    span = _week(len(sr["times"]), step_min)
    times = sr["times"][span].astype("datetime64[m]").astype(object)
    nz = len(names)
    fig, axes = plt.subplots(nz + 1, 1, figsize=(11, 2.2 * (nz + 1)), sharex=True)
    ax = axes[0]
    ax.step(times, sr["residents_awake"][span, 0], where="post", label="awake at home")
    ax.step(times, sr["residents_asleep"][span, 0], where="post", label="asleep")
    away = sr["household_away"][span, 0] > 0
    if away.any():
        ax.fill_between(times, 0, away * max(1, sr["residents_awake"].max()), step="post",
                        color="tab:orange", alpha=0.2, label="household away")  # fmt: skip
    ax.set_ylabel("residents")
    ax.legend(loc="upper right", fontsize=7, ncol=3)
    for z in range(nz):
        ax = axes[z + 1]
        sp = sr["heat_setpoint"][span, z]
        src = sr["heat_source"][span, z]
        for level, name in enumerate(SOURCES):
            ax.scatter(np.array(times)[src == level], sp[src == level], s=3,
                       color=_SOURCE_COLOURS[name], label=f"set-point: {name}")  # fmt: skip
        ax.plot(times, sr["t_op"][span, z], lw=0.9, color="k", label="operative temperature")
        occ = sr["occupied"][span, z].astype(bool)
        lo, hi = ax.get_ylim()
        ax.fill_between(times, lo, hi, where=occ, step="post", color="tab:green", alpha=0.08,
                        label="occupied")  # fmt: skip
        ax.set_ylim(lo, hi)
        ax.set_ylabel(f"{names[z]} (°C)")
        ax.legend(loc="upper right", fontsize=7, ncol=5, markerscale=3)
    fig.autofmt_xdate()
    _save(fig, path)


def _by_slot(
    values: np.ndarray, hours: np.ndarray, weekend: np.ndarray, n_slots: int
) -> np.ndarray:
    """Mean of ``values`` per kind of day and slot of the day: ``(2, n_slots)`` (NaN if none)."""
    slot = np.minimum((hours * n_slots / 24.0 + 1e-9).astype(int), n_slots - 1)
    out = np.full((2, n_slots), np.nan)
    for d in range(2):
        for s in range(n_slots):
            m = (slot == s) & (weekend == bool(d))
            if m.any():
                out[d, s] = values[m].mean()
    return out


def plot_learned_occupancy(
    path: Path, sr: dict[str, np.ndarray], names: tuple[str, ...], scenario: Any
) -> None:
    """The learned occupancy pattern of the recorded home against its true presence.

    True: the share of the run's days on which the zone was occupied at each time of
    day. Learned: the thermostat's predicted chance in the last week it saw each time of
    day (for a household that declined, nothing is learned and none is shown).
    """
    times = sr["times"]
    hours = local_hours(times)
    weekday = (times.astype("datetime64[D]").view("int64") + 3) % 7  # 1970-01-01: a Thursday
    weekend = weekday >= 5
    n_slots = int(round(24 * 60 / scenario.simulation.step_minutes))
    obs = sr.get("obs")
    nz = len(names)
    allowed = obs is not None and bool(obs[-1, nz * F_ZONE + HOME_INDEX["learning_allowed"]] > 0.5)
    fig, axes = plt.subplots(nz, 2, figsize=(11, 2.6 * nz), sharex=True, sharey=True, squeeze=False)
    x = np.arange(n_slots) * 24.0 / n_slots
    last_week = np.arange(len(times)) >= len(times) - 7 * n_slots
    for z in range(nz):
        true = _by_slot(sr["occupied"][:, z].astype(float), hours, weekend, n_slots)
        learned = None
        if allowed:
            assert obs is not None
            p_now = obs[:, z * F_ZONE + ZONE_INDEX["p_occupied_now"]].astype(float)
            learned = _by_slot(p_now[last_week], hours[last_week], weekend[last_week], n_slots)
        for d, day in enumerate(("weekdays", "weekends")):
            ax = axes[z, d]
            ax.step(x, true[d], where="post", color="k", lw=1.2, label="true (share of days)")
            if learned is not None:
                ax.step(x, learned[d], where="post", color="tab:blue", lw=1.0, label="learned")
            ax.set_title(f"{names[z]}, {day}", fontsize=9)
            ax.set_ylim(-0.02, 1.02)
            ax.set_xlim(0, 24)
            ax.set_xticks(range(0, 25, 3))
    axes[0, 0].legend(loc="upper left", fontsize=7)
    if not allowed:
        note = "household declined (or the policy does not use personal data): nothing learned"
        fig.suptitle(note, fontsize=9)
    for ax in axes[-1]:
        ax.set_xlabel("hour of day")
    for ax in axes[:, 0]:
        ax.set_ylabel("occupied")
    _save(fig, path)


def plot_neighbourhood_load(path: Path, sr: dict[str, np.ndarray]) -> None:
    """The neighbourhood's summed electric load over the run, and its mean day."""
    times = sr["times"]
    load = sr["neighbourhood_kw"][:, 0]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 3.8), width_ratios=[3, 1])
    ax1.plot(times.astype("datetime64[m]").astype(object), load, lw=0.7)
    i = int(np.argmax(load))
    ax1.scatter([times[i].astype("datetime64[m]").astype(object)], [load[i]], color="tab:red",
                s=12, zorder=3, label=f"peak {load[i]:,.0f} kW")  # fmt: skip
    ax1.set_ylabel("neighbourhood electric load (kW)")
    ax1.legend(loc="upper right", fontsize=8)
    hours = local_hours(times)
    n_slots = 96
    slot = np.minimum((hours * n_slots / 24.0).astype(int), n_slots - 1)
    mean = np.array(
        [load[slot == s].mean() if (slot == s).any() else np.nan for s in range(n_slots)]
    )
    ax2.plot(np.arange(n_slots) * 24.0 / n_slots, mean)
    ax2.set_xlabel("hour of day")
    ax2.set_ylabel("mean load (kW)")
    ax2.set_xticks(range(0, 25, 6))
    fig.autofmt_xdate()
    _save(fig, path)


assert F_HOME == 3
