"""The dashboard page (Solara): floor plan, occupants, KPI charts and run controls.

Started by ``twin dashboard`` (:mod:`twin.dashboard.server`), which passes the scenario
or run directory, policy and seed in ``TWIN_DASHBOARD_*`` environment variables. Every
browser tab gets its own session. Figures are plain matplotlib ``Figure`` objects (no
pyplot state shared between tabs), shown with ``solara.FigureMatplotlib``.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

import numpy as np
import solara
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure

from twin.dashboard import views  # not `Layout` by name: Solara would take it as the app layout
from twin.dashboard.session import LiveSession, ReplaySession, Snapshot, open_session

#: Seconds between ticks while playing (each tick takes ``speed`` steps).
TICK_S = 0.4
#: Colour scale of temperature minus preference (K either side).
DEV_RANGE_K = 3.0


def _session() -> LiveSession | ReplaySession:
    seed = os.environ.get("TWIN_DASHBOARD_SEED")
    return open_session(
        os.environ["TWIN_DASHBOARD_TARGET"],
        os.environ.get("TWIN_DASHBOARD_POLICY") or None,
        int(seed) if seed else None,
    )


def plan_figure(layout: views.Layout, snap: Snapshot) -> Figure:
    """The floor plan coloured by temperature minus preference, occupants by satisfaction."""
    f = snap.frame
    dev = f.deviation(layout.band)
    h, w = layout.tile_map.shape
    fig = Figure(figsize=(min(11.0, 2.0 + 0.28 * w), min(8.0, 1.4 + 0.28 * h)), dpi=80)
    ax = fig.add_subplot()
    grid = np.where(layout.tile_map >= 0, dev[np.maximum(layout.tile_map, 0)], np.nan)
    norm = TwoSlopeNorm(0.0, -DEV_RANGE_K, DEV_RANGE_K)
    ax.imshow(np.where(layout.tile_map < 0, 0.35, np.nan), cmap="Greys", vmin=0, vmax=1)
    img = ax.imshow(grid, cmap="coolwarm", norm=norm)
    fig.colorbar(img, ax=ax, shrink=0.7, label="K from occupants' preference")
    for x, y, text in layout.labels:
        ax.text(x, y, text, ha="center", va="center", fontsize=7, color="0.15")
    seen = ~np.isnan(f.occ_sat)
    if seen.any():
        ax.scatter(
            f.occ_xy[seen, 0], f.occ_xy[seen, 1], c=f.occ_sat[seen], cmap="RdYlGn", vmin=0,
            vmax=1, s=36, edgecolors="black", linewidths=0.6,
        )  # fmt: skip
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(f"{snap.time}  (markers: occupants' satisfaction, red 0 .. green 1)", fontsize=9)
    fig.tight_layout()
    return fig


def charts_figure(snap: Snapshot) -> Figure:
    """One small time-series chart per :data:`~twin.dashboard.views.SERIES` entry."""
    fig = Figure(figsize=(5.2, 1.6 * len(views.SERIES)), dpi=80)
    axes = fig.subplots(len(views.SERIES), 1, sharex=True)
    hours = snap.history["hours"]
    for ax, (key, unit) in zip(np.atleast_1d(axes), views.SERIES.items(), strict=True):
        ax.plot(hours, snap.history[key], lw=1.2, marker="." if len(hours) < 60 else None)
        ax.set_ylabel(f"{key.replace('_', ' ')}\n({unit})", fontsize=7)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    np.atleast_1d(axes)[-1].set_xlabel("hours into the run", fontsize=7)
    fig.tight_layout()
    return fig


@solara.component
def Page() -> None:
    """The whole dashboard: controls on top, plan and charts side by side, KPI table."""
    session = solara.use_memo(_session, [])
    tick, set_tick = solara.use_state(0)
    playing, set_playing = solara.use_state(False)
    speed, set_speed = solara.use_state(1)
    error, set_error = solara.use_state("")
    zip_path, set_zip_path = solara.use_state("")
    lock = solara.use_memo(threading.Lock, [])

    def advance(n: int) -> None:
        with lock:
            session.step(n)
        set_tick(lambda t: t + 1)

    # Play runs in one thread for the page's lifetime (solara.lab.use_task), reading
    # play and speed from `control`: a task restarted on each change would be joined by
    # the render that changed them while it waits to re-render, a deadlock.
    control = solara.use_memo(lambda: {"playing": False, "speed": 1}, [])
    control.update(playing=playing, speed=speed)
    stop = solara.use_memo(threading.Event, [])
    solara.use_effect(lambda: stop.set, [])  # the page is gone: end the loop

    def play_loop() -> None:
        while not stop.is_set():
            if control["playing"] and not session.done:
                with lock:
                    session.step(int(control["speed"]))
                set_tick(lambda t: t + 1)
                time.sleep(TICK_S)
            else:
                time.sleep(0.1)

    solara.lab.use_task(play_loop, dependencies=[], prefer_threaded=True)  # type: ignore[call-overload]

    def switch(spec: str | None) -> None:
        if not spec:
            return
        try:
            with lock:
                session.set_policy(spec)  # type: ignore[union-attr]
            set_error("")
        except Exception as exc:  # noqa: BLE001 - shown on the page, the run carries on
            set_error(f"policy {spec!r}: {exc}")
        set_tick(lambda t: t + 1)

    def restart() -> None:
        with lock:
            session.restart()
        set_tick(lambda t: t + 1)

    with lock:
        snap = session.snapshot()
    running = playing and not session.done
    title = "replay of " + str(session.run_dir) if isinstance(session, ReplaySession) else (
        f"{session.scenario.name} ({session.scenario.venue})")  # fmt: skip
    solara.Title(f"twin dashboard: {title}")
    with solara.Column(style={"padding": "12px"}):
        solara.Markdown(f"### twin dashboard: {title}")
        with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
            solara.Button("Pause" if running else "Play", on_click=lambda: set_playing(not running),
                          disabled=session.done, classes=["twin-play"])  # fmt: skip
            solara.Button("Step", on_click=lambda: advance(speed), disabled=session.done,
                          classes=["twin-step"])  # fmt: skip
            solara.Button("Restart", on_click=restart, classes=["twin-restart"])
            solara.SliderInt("steps per tick", value=speed, on_value=set_speed, min=1, max=48)
            solara.Text(f"sim time {snap.time}  step {snap.step}/{snap.n_steps}",
                        classes=["twin-clock"])  # fmt: skip
        with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
            if isinstance(session, LiveSession):
                current = session.policy_spec if session.policy_spec in session.policies else None
                solara.Select(
                    "policy", values=list(session.policies), value=current,  # type: ignore[arg-type]
                    on_value=switch,
                )  # fmt: skip
                solara.InputText("or a policy.zip", value=zip_path, on_value=set_zip_path)
                solara.Button("Load policy", on_click=lambda: switch(zip_path),
                              disabled=not zip_path)  # fmt: skip
            solara.Text(f"policy: {snap.policy}", classes=["twin-policy"])
        if error:
            solara.Error(error)
        with solara.Row(style={"flex-wrap": "wrap"}):
            with solara.Column(classes=["twin-plan"]):
                solara.FigureMatplotlib(plan_figure(session.layout, snap), format="png")
            with solara.Column(classes=["twin-charts"]):
                solara.FigureMatplotlib(charts_figure(snap), format="png")
        _kpi_table(snap.kpis, tick)


def _kpi_table(kpis: dict[str, Any], _tick: int) -> None:
    """The run's KPIs so far, with the units of ``twin run``'s table."""
    from twin.report import _label

    if not kpis:
        solara.Text("KPIs appear after the first step (a replay shows its final KPIs at its end).")
        return
    rows = []
    for key, value in kpis.items():
        label, unit, fmt = _label(key)
        shown = "-" if value is None or (isinstance(value, float) and np.isnan(value)) else (
            fmt.format(value))  # fmt: skip
        rows.append(f"| {label.strip()} | {shown} | {unit} |")
    solara.Markdown("| KPI | value | unit |\n|---|---:|---|\n" + "\n".join(rows))
