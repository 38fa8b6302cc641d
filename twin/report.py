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
    "discomfort_kh": ("thermal discomfort", "Kh/zone", "{:,.3f}"),
    "mean_ppd": ("mean PPD", "%", "{:.2f}"),
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
    for key in keys:
        label, unit, fmt = KPI_LABELS.get(key, (key, "", "{:.4g}"))
        cells = []
        for _, kpis in columns:
            value = kpis.get(key)
            cells.append("-" if value is None else fmt.format(value))
        table.add_row(label, unit, *cells)
    return table
