"""Write run results into a run directory and render KPI tables.

Layout of a building run directory::

    scenario.json     resolved scenario (all defaults, the seed used); loads back with
                      twin.scenario.load_scenario
    kpis.json         flat {kpi: value}; byte-identical for the same scenario and seed
    run.json          provenance: twin version, command, wall time (not part of kpis)
    site.parquet      one row per step: outdoor weather and building totals
    zones.parquet     one row per (step, zone): temperatures, set-points, power, PPD
    temperatures.png, energy.png, comfort.png
"""

from __future__ import annotations

import platform
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from rich.table import Table

import twin
from twin.rundir import write_json, write_table
from twin.simulate import BuildingRun

#: How each KPI is shown: (label, unit, format).
KPI_LABELS: dict[str, tuple[str, str, str]] = {
    "energy_kwh": ("energy", "kWh", "{:,.1f}"),
    "hvac_energy_kwh": ("  HVAC", "kWh", "{:,.1f}"),
    "lighting_energy_kwh": ("  lighting", "kWh", "{:,.1f}"),
    "cost": ("energy cost", "", "{:,.2f}"),
    "peak_kw": ("peak power", "kW", "{:,.2f}"),
    "discomfort_kh": ("thermal discomfort", "Kh", "{:,.3f}"),
    "mean_ppd": ("mean PPD", "%", "{:.2f}"),
    "mean_satisfaction": ("mean satisfaction", "0-1", "{:.3f}"),
    "mean_review": ("mean review", "1-5", "{:.2f}"),
    "return_rate": ("predicted return rate", "", "{:.3f}"),
    "fairness_gap": ("fairness gap (segments)", "0-1", "{:.3f}"),
    "personal_data_used": ("personal data used", "person-h", "{:,.1f}"),
    "checkin_wait_min": ("check-in wait", "min", "{:.2f}"),
    "turned_away": ("turned away", "people", "{:.0f}"),
    "arrivals": ("arrivals", "guests", "{:.0f}"),
    "guests": ("guests served", "guests", "{:.0f}"),
    "occupancy": ("occupancy", "", "{:.3f}"),
    "visitors": ("visitors", "shoppers", "{:,.0f}"),
    "shoppers_left": ("  shoppers who left", "shoppers", "{:,.0f}"),
    "revenue": ("revenue", "", "{:,.2f}"),
    "conversion_rate": ("conversion rate", "", "{:.3f}"),
    "mean_basket": ("mean basket", "per buyer", "{:,.2f}"),
    "mean_items": ("mean items", "per buyer", "{:.2f}"),
    "mean_dwell_min": ("mean time in store", "min", "{:.2f}"),
    "queue_wait_p50_min": ("checkout wait p50", "min", "{:.2f}"),
    "queue_wait_p95_min": ("checkout wait p95", "min", "{:.2f}"),
    "balked": ("balked at the checkout", "shoppers", "{:.0f}"),
    "reneged": ("reneged in the queue", "shoppers", "{:.0f}"),
    "left_early": ("left early (discomfort, crowding)", "shoppers", "{:.0f}"),
    "mean_comfort": ("mean ambience comfort", "0-1", "{:.3f}"),
    "exposure_entropy": ("exposure entropy", "0-1", "{:.3f}"),
    "catalogue_coverage": ("catalogue coverage", "share", "{:.3f}"),
    "outside_favourites_share": ("bought outside favourites", "share", "{:.3f}"),
    "homogenisation": ("homogenisation (Jaccard)", "0-1", "{:.3f}"),
    # homes (twin.venues.home): a neighbourhood's run
    "energy_kwh_per_home": ("  per home", "kWh", "{:,.1f}"),
    "band_discomfort_kh": ("  comfort-band excursion", "Kh/zone", "{:,.3f}"),
    "mean_ppd_asleep": ("  mean PPD asleep", "%", "{:.2f}"),
    "overrides_per_home_week": ("residents' overrides", "/home-week", "{:.2f}"),
    "overrides": ("  overrides", "", "{:,.0f}"),
    "preheat_late_min": ("pre-heat lateness", "min", "{:.1f}"),
    "preheat_events": ("  arrivals and getting up", "", "{:,.0f}"),
    "homes": ("homes", "", "{:,.0f}"),
    "residents": ("residents", "", "{:,.0f}"),
    "home_h_per_home": ("hours somebody is home", "h/home", "{:,.0f}"),
    "consent_share": ("households consenting", "share", "{:.3f}"),
}


def provenance(wall_time_s: float, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Facts about how a run was produced; kept apart from the KPIs (they vary run to run)."""
    return {
        "twin_version": twin.__version__,
        "python": platform.python_version(),
        "command": sys.argv,
        "wall_time_s": round(wall_time_s, 3),
        **(extra or {}),
    }


def write_building_run(run: BuildingRun, out: Path, wall_time_s: float) -> None:
    """Write every artefact of a building run into ``out`` (a staging folder)."""
    from twin import plots

    s, b, w = run.scenario, run.building, run.weather
    (out / "scenario.json").write_text(s.to_json() + "\n")
    write_json(out / "kpis.json", run.kpis)
    write_json(out / "run.json", provenance(wall_time_s))
    nt, nz = run.air.shape
    write_table(
        out / "site.parquet",
        {
            "time": w.times,
            "t_out_c": w.t_out,
            "rh_pct": w.rh,
            "ghi_w_m2": w.ghi,
            "hvac_el_kw": run.p_hvac_el.sum(axis=1) / 1000,
            "lighting_kw": run.p_light.sum(axis=1) / 1000,
            "heating_kw": np.clip(run.q_hvac, 0, None).sum(axis=1) / 1000,
            "cooling_kw": np.clip(-run.q_hvac, 0, None).sum(axis=1) / 1000,
        },
    )
    write_table(
        out / "zones.parquet",
        {
            "time": np.repeat(w.times, nz),
            "zone": np.tile(np.array(b.zone_names), nt),
            "occupied": run.occupied.ravel(),
            "t_air_c": run.air.ravel(),
            "t_op_c": run.op.ravel(),
            "sp_heat_c": run.sp_heat.ravel(),
            "sp_cool_c": run.sp_cool.ravel(),
            "q_hvac_w": run.q_hvac.ravel(),
            "p_hvac_el_w": run.p_hvac_el.ravel(),
            "p_light_w": run.p_light.ravel(),
            "lux": run.lux.ravel(),
            "ppd_pct": run.ppd.ravel(),
        },
    )
    times = w.times.astype("datetime64[m]").astype(object)
    band = (s.comfort.lower_c, s.comfort.upper_c)
    plots.plot_temperatures(out / "temperatures.png", times, w.t_out, run.op, band)
    plots.plot_energy(out / "energy.png", times, run.p_hvac_el, run.p_light)
    plots.plot_comfort(out / "comfort.png", times, run.ppd, run.occupied)


def write_run(
    out: Path, scenario: Any, episode: Any, policy: str, seed: int, wall_time_s: float
) -> None:
    """Write every artefact of a ``twin run`` into ``out`` (a staging folder).

    The building's part: ``scenario.json``, ``kpis.json``, ``run.json``,
    ``timeseries.parquet`` (one row per step: weather, electricity, and the venue's
    columns), ``zones.parquet`` (one row per step and zone) and the temperature and
    energy plots. The venue's report module (:attr:`twin.venues.base.Venue.report`)
    adds its own: records, tables and plots.
    """
    from importlib import import_module

    from twin import plots
    from twin.venues import venue_class

    report = import_module(venue_class(scenario.venue).report)
    sr = episode.series
    (out / "scenario.json").write_text(scenario.to_json() + "\n")
    write_json(out / "kpis.json", episode.kpis)
    extra = {
        "policy": policy,
        "seed": seed,
        "reward": round(episode.reward, 6),
        "reward_terms": {k: round(v, 6) for k, v in episode.reward_terms.items()},
    }
    write_json(out / "run.json", provenance(wall_time_s, extra))
    nt, nz = sr["t_air"].shape
    names = tuple(episode.zone_names)
    write_table(
        out / "timeseries.parquet",
        {
            "time": sr["times"],
            "t_out_c": sr["t_out"],
            "hvac_el_kw": sr["p_hvac"].sum(axis=1) / 1000,
            "lighting_kw": sr["p_light"].sum(axis=1) / 1000,
            **report.timeseries_columns(scenario, episode),
        },
    )
    write_table(
        out / "zones.parquet",
        {
            "time": np.repeat(sr["times"], nz),
            "zone": np.tile(np.array(names), nt),
            "occupied": sr["occupied"].ravel(),
            "count": sr["count"].ravel(),
            "t_air_c": sr["t_air"].ravel(),
            "t_op_c": sr["t_op"].ravel(),
            "heat_setpoint_c": sr["heat_setpoint"].ravel(),
            "cool_setpoint_c": sr["cool_setpoint"].ravel(),
            "lux": sr["lux"].ravel(),
            "p_hvac_el_w": sr["p_hvac"].ravel(),
            "p_light_w": sr["p_light"].ravel(),
        },
    )
    times = sr["times"].astype("datetime64[m]").astype(object)
    band = (scenario.comfort.lower_c, scenario.comfort.upper_c)
    plots.plot_temperatures(out / "temperatures.png", times, sr["t_out"], sr["t_op"], band)
    plots.plot_energy(out / "energy.png", times, sr["p_hvac"], sr["p_light"])
    report.write_artifacts(out, scenario, episode)
    replay = {k.removeprefix("replay/"): v for k, v in sr.items() if k.startswith("replay/")}
    if replay:  # the plan's frames, for `twin dashboard RUN_DIR`
        from twin.dashboard.session import REPLAY_FILE, write_replay

        write_replay(out / REPLAY_FILE, replay, sr["times"])


def write_evaluation(
    out: Path, scenario: Any, results: dict[str, dict], seeds: list[int], wall_time_s: float
) -> None:
    """``evaluation.json`` (per policy: mean, ci_low, ci_high per KPI and reward), plot."""
    from twin import plots

    (out / "scenario.json").write_text(scenario.to_json() + "\n")
    summary = {
        name: {k: v for k, v in r["summary"].items() if not k.startswith("_")}
        for name, r in results.items()
    }
    write_json(out / "evaluation.json", {"seeds": seeds, "policies": summary})
    write_json(out / "episodes.json", {name: r["episodes"] for name, r in results.items()})
    write_json(out / "run.json", provenance(wall_time_s))
    plots.plot_evaluation(out / "evaluation.png", summary)


def evaluation_table(results: dict[str, dict]) -> Table:
    """Mean and 95 % interval of each KPI per policy."""
    table = Table(title="Evaluation on held-out seeds (mean [95 % CI])")
    table.add_column("KPI")
    for name in results:
        table.add_column(name, justify="right")
    first = next(iter(results.values()))["summary"]
    for key in [k for k in first if not k.startswith("_")]:
        label, unit, fmt = _label(key) if key != "reward" else ("reward", "", "{:.2f}")
        cells = []
        for r in results.values():
            v = r["summary"].get(key)
            cells.append(
                "-"
                if v is None
                else f"{fmt.format(v['mean'])} [{fmt.format(v['ci_low'])}, "
                f"{fmt.format(v['ci_high'])}]"
            )
        table.add_row(f"{label.strip()} ({unit})" if unit else label.strip(), *cells)
    return table


def _label(key: str) -> tuple[str, str, str]:
    if key in KPI_LABELS:
        return KPI_LABELS[key]
    if key.startswith("review_") and key.endswith("_share"):
        return (f"  reviews {key.split('_')[1]} stars", "share", "{:.3f}")
    if key.startswith("satisfaction_"):
        return (f"  satisfaction {key.removeprefix('satisfaction_')}", "0-1", "{:.3f}")
    return (key, "", "{:.4g}")


def _order(key: str, keys: list[str]) -> tuple[int, int]:
    """Known KPIs in table order; per-segment and review rows after their headline."""
    order = list(KPI_LABELS)
    if key in KPI_LABELS:
        return (order.index(key), 0)
    if key.startswith("review_"):
        return (order.index("mean_review"), 1 + keys.index(key))
    if key.startswith("satisfaction_"):
        return (order.index("mean_satisfaction"), 1 + keys.index(key))
    return (len(order), keys.index(key))


def kpi_table(columns: Sequence[tuple[str, Mapping[str, float]]], title: str = "KPIs") -> Table:
    """A rich table with one row per KPI and one column per run."""
    table = Table(title=title)
    table.add_column("KPI")
    table.add_column("unit")
    for name, _ in columns:
        table.add_column(name, justify="right")
    keys: list[str] = []
    for _, kpis in columns:
        keys += [k for k in kpis if k not in keys]
    for key in sorted(keys, key=lambda k: _order(k, keys)):
        label, unit, fmt = _label(key)
        cells = []
        for _, kpis in columns:
            value = kpis.get(key)
            cells.append("-" if value is None else fmt.format(value))
        table.add_row(label, unit, *cells)
    return table
