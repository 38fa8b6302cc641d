"""Summary plots of a sweep: each metric's mean and 95 % CI against each swept parameter.

One figure per metric (the reward and the venue's headline KPIs), one panel per swept
parameter, one line per policy with its confidence band. With several parameters a
panel pools the other parameters' values (the marginal effect of its parameter); a
sweep without parameters shows the policies side by side.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["plot_sweep"]


def _x_positions(values: Sequence[Any]) -> tuple[list[float], list[str] | None]:
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return [float(v) for v in values], None
    return [float(i) for i in range(len(values))], [
        v if isinstance(v, str) else json.dumps(v) for v in values
    ]


def plot_sweep(
    folder: Path,
    rows: Sequence[dict[str, Any]],
    params: dict[str, Sequence[Any]],
    policies: Sequence[str],
    metrics: Sequence[str],
) -> list[Path]:
    """Write ``<metric>.png`` per metric into ``folder``; returns the files."""
    from twin.plots import plt
    from twin.report import _label
    from twin.sweep.results import summary_rows

    folder.mkdir(parents=True, exist_ok=True)
    axes_params = list(params) or ["policy"]
    written = []
    for metric in metrics:
        fig, axes = plt.subplots(
            1, len(axes_params), figsize=(4.2 * len(axes_params), 3.2), squeeze=False
        )
        label, unit, _ = _label(metric) if metric != "reward" else ("reward", "", "")
        for ax, name in zip(axes[0], axes_params, strict=True):
            if name == "policy":
                stats = summary_rows(rows, ["policy"], [metric])
                xs: list[float] = [float(i) for i in range(len(policies))]
                by = {s["policy"]: s for s in stats}
                means = [by[p]["mean"] for p in policies]
                err = [[by[p]["mean"] - by[p]["ci_low"] for p in policies],
                       [by[p]["ci_high"] - by[p]["mean"] for p in policies]]  # fmt: skip
                ax.errorbar(xs, means, yerr=err, fmt="o", capsize=4)
                ax.set_xticks(xs, [_short(p) for p in policies])
            else:
                stats = summary_rows(rows, [name, "policy"], [metric])
                values = list(params[name])
                xs, ticks = _x_positions(values)
                for policy in policies:
                    by = {json.dumps(s[name]): s for s in stats if s["policy"] == policy}
                    pts = [by.get(json.dumps(v)) for v in values]
                    mean = [p["mean"] if p else float("nan") for p in pts]
                    lo = [p["ci_low"] if p else float("nan") for p in pts]
                    hi = [p["ci_high"] if p else float("nan") for p in pts]
                    (line,) = ax.plot(xs, mean, marker="o", label=_short(policy))
                    ax.fill_between(xs, lo, hi, color=line.get_color(), alpha=0.2, lw=0)
                if ticks is not None:
                    ax.set_xticks(xs, ticks)
                ax.set_xlabel(name)
                ax.legend(fontsize="small")
            ax.set_ylabel(f"{label.strip()} ({unit})" if unit else label.strip())
            ax.grid(alpha=0.3)
        fig.suptitle(f"{label.strip()}: mean and 95 % CI over seeds")
        fig.tight_layout()
        path = folder / f"{metric}.png"
        fig.savefig(path, dpi=100)
        plt.close(fig)
        written.append(path)
    return written


def _short(policy: str) -> str:
    path = Path(policy)
    return f"{path.parent.name}/{path.name}" if path.suffix == ".zip" else policy
