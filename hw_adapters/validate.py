"""``twin validate``: did the site behave as the twin predicted?

The deployment's recorded inputs are replayed through the twin (:mod:`hw_adapters.replay`)
and its outputs compared with what the site measured:

- per zone, air temperature: RMSE, bias (site minus twin) and lag (the shift, within
  ``max_lag_h``, at which the two series correlate best; positive: the site lags);
- electricity, hourly (complete hours of the site's meter only): CV(RMSE) and NMBE as
  ASHRAE Guideline 14 defines them for calibrated simulation, with measured ``m`` and
  simulated ``s`` and ``n - 1`` degrees of freedom (``p = 1``)::

      CV(RMSE) = sqrt(sum (m - s)^2 / (n - 1)) / mean(m)        (limit 30 % hourly)
      NMBE     = sum (m - s) / ((n - 1) mean(m))                 (limit +-10 % hourly)

  (a positive NMBE: the twin under-predicts);
- KPIs on both sides (energy, cost, discomfort and mean temperature from air
  temperatures), the command latency p50/p99 from the audit log and the safety
  envelope's interventions.

It passes when the energy meets Guideline 14's hourly limits, every zone's temperature
RMSE and bias are within this module's limits (:class:`Criteria`), and enough of the
deployment was recorded. Every failed criterion is reported with its value, the limit
and by how much it was missed.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hw_adapters.replay import DeployRecord, Replay, load_deploy_record, replay
from twin.errors import RunDirectoryError

__all__ = ["Criteria", "Validation", "energy_metrics", "validate_run", "zone_metrics"]


@dataclass(frozen=True, slots=True)
class Criteria:
    """Pass/fail limits (ASHRAE Guideline 14's hourly ones for energy)."""

    cvrmse_pct: float = 30.0
    nmbe_pct: float = 10.0
    temp_rmse_k: float = 1.0
    temp_bias_k: float = 0.75
    min_hours: int = 3
    min_recorded: float = 0.8
    max_lag_h: float = 3.0


@dataclass
class Validation:
    """The outcome: metrics, pass/fail and the reasons."""

    passed: bool
    reasons: list[str]
    zones: dict[str, dict[str, float]]
    energy: dict[str, float]
    kpis: dict[str, dict[str, float]]
    latency_ms: dict[str, float]
    interventions: dict[str, int]
    criteria: Criteria
    recorded: float
    hours: int
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        """All figures as JSON."""
        data = asdict(self)
        return json.dumps(data, indent=2, sort_keys=True, default=_json_default) + "\n"


def _json_default(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    raise TypeError(type(v).__name__)


def _lag_steps(site: np.ndarray, twin: np.ndarray, max_lag: int) -> int:
    """The shift of ``site`` against ``twin`` with the best correlation (0 if flat)."""
    ok = np.isfinite(site) & np.isfinite(twin)
    a, b = site - np.nanmean(site[ok]), twin - np.nanmean(twin[ok])
    a, b = np.where(ok, a, 0.0), np.where(ok, b, 0.0)
    if a.std() < 1e-9 or b.std() < 1e-9:
        return 0
    best, best_lag = -np.inf, 0
    for lag in range(-max_lag, max_lag + 1):
        if lag >= 0:
            c = float(np.dot(a[lag:], b[: len(b) - lag]))
        else:
            c = float(np.dot(a[:lag], b[-lag:]))
        if c > best + 1e-12:
            best, best_lag = c, lag
    return best_lag


def zone_metrics(rec: DeployRecord, rp: Replay, max_lag_h: float) -> dict[str, dict[str, float]]:
    """Per zone: RMSE and bias (site - twin, K) and lag (min) of the air temperature."""
    dt_min = rec.scenario.simulation.dt_s / 60.0
    max_lag = int(round(max_lag_h * 60 / dt_min))
    out = {}
    for z, name in enumerate(rec.zone_names):
        d = rec.t_air[:, z] - rp.air[:, z]
        ok = np.isfinite(d)
        out[name] = {
            "rmse_k": float(np.sqrt(np.mean(d[ok] ** 2))) if ok.any() else np.nan,
            "bias_k": float(np.mean(d[ok])) if ok.any() else np.nan,
            "lag_min": _lag_steps(rec.t_air[:, z], rp.air[:, z], max_lag) * dt_min,
            "samples": float(ok.sum()),
        }
    return out


def hourly_energy(rec: DeployRecord, rp: Replay) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Complete clock hours: their start, the site's meter energy and the twin's (kWh)."""
    site_step = np.full(len(rec.times), np.nan)
    site_step[1:] = np.diff(rec.energy_kwh)  # the meter reads at each interval's end
    hour = rec.times.astype("datetime64[h]")
    starts, site, twin = [], [], []
    for h in np.unique(hour):
        sel = hour == h
        need = int(round(3600 / rec.scenario.simulation.dt_s))
        if sel.sum() == need and np.isfinite(site_step[sel]).all():
            starts.append(h)
            site.append(site_step[sel].sum())
            twin.append(rp.energy_kwh[sel].sum())
    return np.array(starts), np.array(site), np.array(twin)


def energy_metrics(measured: np.ndarray, simulated: np.ndarray) -> dict[str, float]:
    """Guideline 14's CV(RMSE) and NMBE (%) with ``p = 1``, and the totals."""
    n = measured.size
    if n < 2 or measured.mean() <= 0:
        return {"cvrmse_pct": np.nan, "nmbe_pct": np.nan, "hours": float(n),
                "site_kwh": float(measured.sum()), "twin_kwh": float(simulated.sum())}  # fmt: skip
    err = measured - simulated
    mean = measured.mean()
    return {
        "cvrmse_pct": float(np.sqrt((err**2).sum() / (n - 1)) / mean * 100),
        "nmbe_pct": float(err.sum() / ((n - 1) * mean) * 100),
        "hours": float(n),
        "site_kwh": float(measured.sum()),
        "twin_kwh": float(simulated.sum()),
    }


def _kpis(rec: DeployRecord, air: np.ndarray, step_kwh: np.ndarray) -> dict[str, float]:
    c = rec.scenario.comfort
    dt_h = rec.scenario.simulation.dt_s / 3600.0
    lower = np.where(rec.occupied, c.lower_c, c.unoccupied_lower_c)
    upper = np.where(rec.occupied, c.upper_c, c.unoccupied_upper_c)
    ok = rec.recorded[:, None] & np.isfinite(air)
    excess = np.where(ok, np.maximum(lower - air, 0) + np.maximum(air - upper, 0), 0.0)
    kwh = np.where(np.isfinite(step_kwh), step_kwh, 0.0)
    return {
        "energy_kwh": float(kwh.sum()),
        "cost": float((kwh * rec.price).sum()),
        "discomfort_kh": float(excess.sum() * dt_h / air.shape[1]),
        "mean_temperature_c": float(np.nanmean(np.where(ok, air, np.nan))),
    }


def validate_run(
    run: str | Path, criteria: Criteria | None = None
) -> tuple[Validation, DeployRecord, Replay]:
    """Replay a deployment's run directory and judge it (see the module docstring).

    Raises:
        RunDirectoryError: ``run`` is not a complete deployment run directory.
    """
    run = Path(run)
    crit = criteria or Criteria()
    for name in ("run.json", "zones.parquet", "timeseries.parquet", "site_inputs.parquet",
                 "audit.jsonl", "scenario.json"):  # fmt: skip
        if not (run / name).is_file():
            raise RunDirectoryError(
                f"{run}: not a complete deployment run directory ({name} is missing); "
                "give the directory `twin deploy` wrote"
            )
    meta = json.loads((run / "run.json").read_text())
    if meta.get("kind") != "deploy":
        raise RunDirectoryError(
            f"{run}: run.json is not of a deployment (kind = {meta.get('kind')!r})"
        )
    rec = load_deploy_record(run)
    rp = replay(rec)
    zones = zone_metrics(rec, rp, crit.max_lag_h)
    _, site_h, twin_h = hourly_energy(rec, rp)
    energy = energy_metrics(site_h, twin_h)
    site_step = np.full(len(rec.times), np.nan)
    site_step[1:] = np.diff(rec.energy_kwh)
    twin_step = np.where(np.isfinite(site_step), rp.energy_kwh, np.nan)
    kpis = {"site": _kpis(rec, rec.t_air, site_step), "twin": _kpis(rec, rp.air, twin_step)}
    audit = [json.loads(line) for line in (run / "audit.jsonl").read_text().splitlines() if line]
    lat = np.array([r["latency_ms"] for r in audit if r.get("latency_ms") is not None])
    latency = {
        "p50": float(np.percentile(lat, 50)) if lat.size else np.nan,
        "p99": float(np.percentile(lat, 99)) if lat.size else np.nan,
        "n": float(lat.size),
    }
    interventions = Counter(
        f"{r['decision']}: {r['reason'].split(':')[0]}"
        for r in audit
        if r.get("source") == "policy" and r["decision"] != "accepted"
    )
    recorded = float(rec.recorded.mean())
    reasons = _judge(crit, zones, energy, recorded)
    notes = []
    if meta.get("mode") != "act":
        notes.append(f"the deployment ran in {meta.get('mode')} mode: the site ran its own "
                     "control, which is what the twin replays")  # fmt: skip
    v = Validation(
        passed=not reasons, reasons=reasons, zones=zones, energy=energy, kpis=kpis,
        latency_ms=latency, interventions=dict(interventions), criteria=crit, recorded=recorded,
        hours=int(energy["hours"]), notes=notes,
    )  # fmt: skip
    return v, rec, rp


def _judge(
    c: Criteria, zones: dict[str, dict[str, float]], energy: dict[str, float], recorded: float
) -> list[str]:
    """One line per failed criterion: the metric, its value, the limit, the excess."""
    out = []
    if recorded < c.min_recorded:
        out.append(f"only {recorded:.0%} of the site steps were recorded (at least "
                   f"{c.min_recorded:.0%} needed)")  # fmt: skip
    if energy["hours"] < c.min_hours:
        out.append(f"only {energy['hours']:.0f} complete hours of metered energy (at least "
                   f"{c.min_hours} needed)")  # fmt: skip
    cv, nmbe = energy["cvrmse_pct"], energy["nmbe_pct"]
    if not np.isfinite(cv) or cv > c.cvrmse_pct:
        out.append(f"energy CV(RMSE) {cv:.1f} % exceeds ASHRAE Guideline 14's hourly limit "
                   f"{c.cvrmse_pct:g} % by {cv - c.cvrmse_pct:.1f} points")  # fmt: skip
    if not np.isfinite(nmbe) or abs(nmbe) > c.nmbe_pct:
        side = "under" if nmbe > 0 else "over"
        out.append(f"energy NMBE {nmbe:+.1f} % (the twin {side}-predicts) is outside "
                   f"Guideline 14's hourly limit +-{c.nmbe_pct:g} % by "
                   f"{abs(nmbe) - c.nmbe_pct:.1f} points")  # fmt: skip
    for name, m in zones.items():
        if not np.isfinite(m["rmse_k"]):
            out.append(f"zone {name}: no temperature readings to compare")
            continue
        if m["rmse_k"] > c.temp_rmse_k:
            out.append(f"zone {name}: temperature RMSE {m['rmse_k']:.2f} K exceeds "
                       f"{c.temp_rmse_k:g} K by {m['rmse_k'] - c.temp_rmse_k:.2f} K")  # fmt: skip
        if abs(m["bias_k"]) > c.temp_bias_k:
            out.append(f"zone {name}: temperature bias {m['bias_k']:+.2f} K (site - twin) is "
                       f"outside +-{c.temp_bias_k:g} K by "
                       f"{abs(m['bias_k']) - c.temp_bias_k:.2f} K")  # fmt: skip
    return out
