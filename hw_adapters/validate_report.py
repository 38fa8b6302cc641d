"""The report of ``twin validate``: ``report.md``, ``validation.json`` and plots.

Written into a new run directory (staged: whole or not at all, never overwriting):

- ``report.md``: the verdict and every failed criterion first, then energy (ASHRAE
  Guideline 14), per-zone temperatures, KPIs of site and twin, command latency and the
  safety envelope's interventions;
- ``validation.json``: every figure;
- ``temperatures.png`` (site against twin, per zone), ``energy.png`` (hourly energy of
  both and the hourly scatter).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hw_adapters.replay import DeployRecord, Replay
from hw_adapters.validate import Validation, hourly_energy

__all__ = ["render_markdown", "write_validation"]


def _fmt(v: float, spec: str = ".2f") -> str:
    return "-" if v is None or not np.isfinite(v) else format(v, spec)


def render_markdown(v: Validation, deploy_run: str, site: str) -> str:
    """The report as Markdown."""
    c = v.criteria
    lines = [
        f"# Validation of `{deploy_run}`",
        "",
        f"Site `{site}`: the deployment's recorded inputs (weather, occupants, set-points and "
        "light commands held by the devices) replayed through the twin, compared with what "
        "the site measured.",
        "",
        f"**Result: {'PASS' if v.passed else 'FAIL'}**",
        "",
    ]
    if v.reasons:
        lines += ["Failed criteria:", ""] + [f"- {r}" for r in v.reasons] + [""]
    lines += [f"Note: {n}" for n in v.notes] + ([""] if v.notes else [])
    e = v.energy
    lines += [
        "## Energy (hourly, ASHRAE Guideline 14)", "",
        "| metric | value | limit |", "|---|---|---|",
        f"| CV(RMSE) | {_fmt(e['cvrmse_pct'], '.1f')} % | <= {c.cvrmse_pct:g} % |",
        f"| NMBE (measured - twin) | {_fmt(e['nmbe_pct'], '+.1f')} % | within +-{c.nmbe_pct:g} % |",
        f"| complete hours | {e['hours']:.0f} | >= {c.min_hours} |",
        f"| site energy | {_fmt(e['site_kwh'], ',.1f')} kWh | |",
        f"| twin energy | {_fmt(e['twin_kwh'], ',.1f')} kWh | |",
        "",
        "## Zone air temperatures (site - twin)", "",
        f"Limits: RMSE <= {c.temp_rmse_k:g} K, bias within +-{c.temp_bias_k:g} K. Lag: the "
        f"shift (within {c.max_lag_h:g} h) at which the site's series best matches the "
        "twin's; positive when the site lags.",
        "", "| zone | RMSE (K) | bias (K) | lag (min) | samples |", "|---|---|---|---|---|",
    ]  # fmt: skip
    for name, m in v.zones.items():
        lines.append(f"| {name} | {_fmt(m['rmse_k'])} | {_fmt(m['bias_k'], '+.2f')} | "
                     f"{m['lag_min']:+.0f} | {m['samples']:.0f} |")  # fmt: skip
    kpi_site, kpi_twin = v.kpis["site"], v.kpis["twin"]
    lines += ["", "## KPIs over the deployment", "", "| KPI | site | twin |", "|---|---|---|"]
    for key, label in (("energy_kwh", "energy (kWh)"), ("cost", "energy cost"),
                       ("discomfort_kh", "thermal discomfort, air (Kh/zone)"),
                       ("mean_temperature_c", "mean air temperature (degC)")):  # fmt: skip
        lines.append(f"| {label} | {_fmt(kpi_site[key], ',.2f')} | {_fmt(kpi_twin[key], ',.2f')} |")
    lat = v.latency_ms
    lines += [
        "", "## Commands", "",
        f"Command latency (write until the device or broker confirmed it), {lat['n']:.0f} "
        f"writes: p50 {_fmt(lat['p50'], '.2f')} ms, p99 {_fmt(lat['p99'], '.2f')} ms.", "",
        f"Recorded site steps: {v.recorded:.0%}.", "",
        "Safety envelope interventions (policy commands not sent as asked):", "",
    ]  # fmt: skip
    if v.interventions:
        lines += [f"- {k}: {n}" for k, n in sorted(v.interventions.items())]
    else:
        lines.append("- none")
    lines += ["", "![temperatures](temperatures.png)", "", "![energy](energy.png)", ""]
    return "\n".join(lines)


def write_plots(out: Path, rec: DeployRecord, rp: Replay) -> None:
    """Per-zone temperatures of site and twin; hourly energy and its scatter."""
    from twin.plots import plt

    times = rec.times.astype("datetime64[m]").astype(object)
    nz = len(rec.zone_names)
    cols = min(4, nz)
    rows = int(np.ceil(nz / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.2 * rows), sharex=True,
                             squeeze=False)  # fmt: skip
    for z, name in enumerate(rec.zone_names):
        ax = axes[z // cols][z % cols]
        ax.plot(times, rec.t_air[:, z], lw=1.0, label="site")
        ax.plot(times, rp.air[:, z], lw=1.0, ls="--", label="twin")
        ax.set_title(name, fontsize=8)
        ax.tick_params(labelsize=6)
    for z in range(nz, rows * cols):
        axes[z // cols][z % cols].axis("off")
    axes[0][0].legend(fontsize=6)
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(out / "temperatures.png", dpi=110)
    plt.close(fig)
    hours, site, twin = hourly_energy(rec, rp)
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.5), gridspec_kw={"width_ratios": [2, 1]})
    if hours.size:
        h = hours.astype("datetime64[m]").astype(object)
        a1.plot(h, site, marker=".", label="site (meter)")
        a1.plot(h, twin, marker=".", ls="--", label="twin")
        a1.set_ylabel("energy per hour (kWh)")
        a1.legend(fontsize=8)
        lo, hi = min(site.min(), twin.min()), max(site.max(), twin.max())
        a2.scatter(site, twin, s=10)
        a2.plot([lo, hi], [lo, hi], color="gray", lw=0.8)
        a2.set_xlabel("site (kWh/h)")
        a2.set_ylabel("twin (kWh/h)")
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(out / "energy.png", dpi=110)
    plt.close(fig)


def write_validation(
    out: Path, v: Validation, rec: DeployRecord, rp: Replay, deploy_run: str, site: str
) -> None:
    """All artefacts into ``out`` (a staging folder)."""
    (out / "validation.json").write_text(v.to_json())
    (out / "report.md").write_text(render_markdown(v, deploy_run, site))
    write_plots(out, rec, rp)
