"""A deployment's run directory: tables in the twin's columns, KPIs, plots, provenance.

Written at the end of ``twin deploy`` from its append-only ``steps.jsonl`` and
``audit.jsonl``. Each step's readings describe the site step that just ended, so a row
stands, as in a simulated run, for the interval that starts at its ``time``:

- ``zones.parquet``: the columns of ``twin run``'s (``time, zone, occupied, count,
  t_air_c, t_op_c, heat_setpoint_c, cool_setpoint_c, lux, p_hvac_el_w, p_light_w``);
  what a site does not measure (operative temperature, per-zone electricity) is NaN;
- ``timeseries.parquet``: per step the outdoor temperature, irradiance, price, the
  electricity meter and its power, the feed's age, late steps;
- ``site_inputs.parquet``: what ``twin validate`` replays besides those: light
  commands in force and the occupants' estimated heat per zone;
- ``points.parquet``: every reading of every point with its age (the raw record);
- ``kpis.json`` (energy, cost, discomfort from the site's sensors, personal data used,
  envelope interventions, command latency), ``run.json`` (provenance, stop reason),
  ``temperatures.png`` and ``energy.png``.

Every file is written whole (temporary name, then rename); ``run.json`` comes last.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from hw_adapters.audit import read_audit_log
from hw_adapters.base import Reading
from hw_adapters.venues.base import from_iso
from twin.kpi import rounded
from twin.rundir import atomic_write, write_table

if TYPE_CHECKING:
    from hw_adapters.deploy import Deployment, DeployResult

__all__ = ["read_steps", "site_series", "write_deploy_run"]


def read_steps(path: str | Path) -> list[dict[str, Any]]:
    """The rows of a ``steps.jsonl`` (a truncated last line, from a kill, is skipped)."""
    rows = []
    with Path(path).open(encoding="utf-8") as f:
        for line in f:
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                break
    return rows


def site_series(dep: Any, rows: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    """Per-step arrays of a deployment: readings by zone and site, commands, heat."""
    b, pm = dep.binding, dep.point_map
    n = len(rows)
    out: dict[str, Any] = {}
    dt = np.timedelta64(int(dep.dt), "s")
    out["times"] = np.array([np.datetime64(from_iso(r["time"])) for r in rows],
                            dtype="datetime64[s]") - dt  # fmt: skip
    readings = [{k: Reading(v[0], 0.0) for k, v in r["readings"].items()} for r in rows]
    for q in ("temperature_c", "presence", "count", "illuminance_lux", "heat_setpoint_c",
              "cool_setpoint_c", "light_lux", "light_cct_k"):  # fmt: skip
        out[q] = (np.concatenate([b.zone_values(pm, rd, q) for rd in readings])
                  if n else np.zeros((0, len(b.zone_names))))  # fmt: skip
    for q in ("t_out_c", "ghi_w_m2", "energy_kwh"):
        out[q] = np.array([b.site_value(pm, rd, q) for rd in readings])
    out["occupant_heat_w"] = np.array([r["occupant_heat_w"] for r in rows]).reshape(n, -1)
    out["feed_age_s"] = np.array([r["feed_age_s"] for r in rows])
    out["late"] = np.array([r["late"] for r in rows], dtype=bool)
    out["step"] = np.array([r["step"] for r in rows])
    out["disclosed"] = np.array([r["disclosed"] for r in rows])
    pres = out["presence"]
    out["occupied"] = np.where(np.isnan(pres), out["count"] > 0, pres > 0.5)
    return out


def _latency(audit: list[dict[str, Any]]) -> tuple[float, float]:
    lat = np.array([r["latency_ms"] for r in audit if r.get("latency_ms") is not None])
    if lat.size == 0:
        return np.nan, np.nan
    return float(np.percentile(lat, 50)), float(np.percentile(lat, 99))


def site_kpis(dep: Any, sr: dict[str, np.ndarray], audit: list[dict[str, Any]]) -> dict[str, float]:
    """Energy, cost, comfort and the controller's record, from the site's own data."""
    s = dep.scenario
    dt_h = dep.dt / 3600.0
    energy = sr["energy_kwh"]
    step_kwh = np.diff(energy) if energy.size > 1 else np.zeros(0)
    hours = (sr["times"].astype("datetime64[s]") - sr["times"].astype("datetime64[D]")).astype(
        float
    ) / 3600.0
    from twin.kpi import tariff_per_step

    price = tariff_per_step(s.tariff, hours)
    c = s.comfort
    occ = sr["occupied"]
    t_air = sr["temperature_c"]
    lower = np.where(occ, c.lower_c, c.unoccupied_lower_c)
    upper = np.where(occ, c.upper_c, c.unoccupied_upper_c)
    excess = np.nan_to_num(np.maximum(lower - t_air, 0) + np.maximum(t_air - upper, 0))
    decisions = Counter(r["decision"] for r in audit if r.get("source") == "policy")
    p50, p99 = _latency(audit)
    return rounded({
        "energy_kwh": float(np.nansum(step_kwh)),
        "cost": float(np.nansum(step_kwh * price[1:])) if step_kwh.size else 0.0,
        "discomfort_kh": float(excess.sum() * dt_h / max(t_air.shape[1], 1)),
        "mean_temperature_c": float(np.nanmean(t_air)) if t_air.size else np.nan,
        "personal_data_used": float(sr["disclosed"].sum() * dt_h),
        "steps": float(len(sr["times"])),
        "late_steps": float(sr["late"].sum()),
        "commands": float(sum(decisions.values())),
        "commands_accepted": float(decisions.get("accepted", 0)),
        "commands_rejected": float(decisions.get("rejected", 0)),
        "commands_fallback": float(decisions.get("fallback", 0)),
        "commands_failed": float(decisions.get("failed", 0)),
        "command_latency_p50_ms": p50,
        "command_latency_p99_ms": p99,
    })  # fmt: skip


def write_deploy_run(dep: Deployment, result: DeployResult) -> None:
    """Write the run directory's tables, KPIs, plots and ``run.json`` (last)."""
    from twin import plots
    from twin.report import provenance

    out = dep.out
    rows = read_steps(out / "steps.jsonl")
    audit = read_audit_log(out / "audit.jsonl")
    sr = site_series(dep, rows)
    names = np.array(dep.binding.zone_names)
    n, nz = sr["temperature_c"].shape
    atomic_write(out / "scenario.json", dep.scenario.to_json() + "\n")
    atomic_write(out / "points.json", dep.point_map.to_json() + "\n")

    def table(name: str, columns: dict[str, Any]) -> None:
        tmp = out / f".{name}.tmp"
        write_table(tmp, columns)
        tmp.replace(out / name)

    nan = np.full(n * nz, np.nan)
    table("zones.parquet", {
        "time": np.repeat(sr["times"], nz), "zone": np.tile(names, n),
        "occupied": sr["occupied"].ravel().astype(bool), "count": sr["count"].ravel(),
        "t_air_c": sr["temperature_c"].ravel(), "t_op_c": nan,
        "heat_setpoint_c": sr["heat_setpoint_c"].ravel(),
        "cool_setpoint_c": sr["cool_setpoint_c"].ravel(), "lux": sr["illuminance_lux"].ravel(),
        "p_hvac_el_w": nan, "p_light_w": nan,
    })  # fmt: skip
    energy = sr["energy_kwh"]
    power = np.full(n, np.nan)
    if n > 1:
        power[1:] = np.diff(energy) / (dep.dt / 3600.0)
    table("timeseries.parquet", {
        "time": sr["times"], "step": sr["step"], "t_out_c": sr["t_out_c"],
        "ghi_w_m2": sr["ghi_w_m2"], "energy_kwh": energy, "power_kw": power,
        "hvac_el_kw": np.full(n, np.nan), "lighting_kw": np.full(n, np.nan),
        "feed_age_s": sr["feed_age_s"], "late": sr["late"],
    })  # fmt: skip
    table("site_inputs.parquet", {
        "time": np.repeat(sr["times"], nz), "zone": np.tile(names, n),
        "light_lux": sr["light_lux"].ravel(), "light_cct_k": sr["light_cct_k"].ravel(),
        "occupant_heat_w": sr["occupant_heat_w"].ravel() if n else np.zeros(0),
    })  # fmt: skip
    point_rows = [(r["k"], name, v[0], v[1]) for r in rows for name, v in r["readings"].items()]
    table("points.parquet", {
        "step": np.array([p[0] for p in point_rows], dtype=np.int64),
        "point": np.array([p[1] for p in point_rows], dtype=object),
        "value": np.array([p[2] for p in point_rows], dtype=np.float64),
        "age_s": np.array([p[3] for p in point_rows], dtype=np.float64),
    })  # fmt: skip
    kpis = site_kpis(dep, sr, audit)
    atomic_write(out / "kpis.json", json.dumps(kpis, indent=2, sort_keys=True) + "\n")
    if n > 1:
        times = sr["times"].astype("datetime64[m]").astype(object)
        band = (dep.scenario.comfort.lower_c, dep.scenario.comfort.upper_c)
        t_air = np.where(np.isnan(sr["temperature_c"]), np.nanmean(sr["temperature_c"]),
                         sr["temperature_c"])  # fmt: skip
        plots.plot_temperatures(out / "temperatures.png", times, sr["t_out_c"], t_air, band,
                                title="Zone air temperatures (site sensors)")  # fmt: skip
        plots.plot_energy(out / "energy.png", times, np.nan_to_num(power * 1000)[:, None],
                          np.zeros((n, 1)))  # fmt: skip
    meta = provenance(0.0, {
        "kind": "deploy", "policy": dep.policy_name, "mode": str(dep.mode),
        "site": dep.point_map.name, "venue": dep.scenario.venue, "speed": dep.speed,
        "dt_s": dep.dt, "phase": dep.phase, "steps": result.steps,
        "late_steps": result.late_steps, "stop_reason": result.stop_reason,
        "clean_stop": result.clean, "health_events": result.health_events,
        "uses_personal_data": dep.policy.uses_personal_data,
    })  # fmt: skip
    meta.pop("wall_time_s")
    if rows:
        meta["wall_time_s"] = round(rows[-1]["wall"] - rows[0]["wall"], 3)
    atomic_write(out / "run.json", json.dumps(meta, indent=2, sort_keys=True, default=str) + "\n")
