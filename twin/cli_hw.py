"""The hardware commands of the ``twin`` CLI: ``rig serve``, ``deploy``, ``validate``.

Registered on the main app by :func:`register`; ``twin check`` hands point maps to
:func:`check_point_map`. As everywhere in the CLI, a mistake a user can fix prints one
``error:`` line per problem and exits with status 2; ``twin validate`` exits 1 when the
site failed validation (its report says why).
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

__all__ = ["check_point_map", "is_point_map", "register"]

console = Console()

PointsOpt = Annotated[
    Path, typer.Option("--points", help="The site's point map (.toml, or the rig's site.json).")
]


def is_point_map(path: Path) -> bool:
    """True for a file that holds ``points`` (a point map), not a scenario."""
    if not path.is_file():
        return False
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (ValueError, UnicodeDecodeError):
        return path.suffix != ".json" and "[[points]]" in path.read_text(errors="replace")
    return isinstance(data, dict) and "points" in data and "zones" not in data


def check_point_map(path: Path) -> None:
    """Validate a point map; one line per problem (raised as :class:`PointMapError`)."""
    from hw_adapters.pointmap import load_point_map

    pm = load_point_map(path)
    protocols = sorted({p.protocol for p in pm.points})
    writable = sum(p.writable for p in pm.points)
    console.print(
        f"[green]ok[/green] {path}: {pm.venue} point map '{pm.name}', {len(pm.points)} points "
        f"({writable} writable) in {len(pm.zones())} zones over {', '.join(protocols)}"
    )


def _rig_serve(
    scenario: Annotated[Path, typer.Argument(help="Scenario file or shipped name.")],
    points: PointsOpt,
    gap: Annotated[
        Path | None, typer.Option("--gap", help="Reality gap TOML (default: a small one).")
    ] = None,
    speed: Annotated[
        float, typer.Option("--speed", help="Site seconds per wall second.", min=0.001)
    ] = 1.0,
    seed: Annotated[int | None, typer.Option("--seed", help="Root seed.", min=0)] = None,
    hours: Annotated[
        float | None, typer.Option("--hours", help="Cut the scenario to its first hours.")
    ] = None,
    workdir: Annotated[
        Path | None, typer.Option("--workdir", help="Folder for the broker, site.json, ...")
    ] = None,
    home: Annotated[
        int | None,
        typer.Option(
            "--home", help="Which home of a neighbourhood the site is (default: the first, 0)."
        ),
    ] = None,
    ports: Annotated[str, typer.Option("--ports", help="free | map")] = "free",
    linger: Annotated[
        float, typer.Option("--linger", help="Wall seconds to keep serving after the end.")
    ] = 10.0,
    wait: Annotated[
        float,
        typer.Option(
            "--wait",
            help="Start the site's clock when a controller comes online, waiting at most "
            "this many wall seconds (0: start at once).",
        ),
    ] = 120.0,
) -> None:
    """Serve a virtual site (MQTT, Modbus TCP, BACnet/IP) that plays the scenario's venue."""
    from hw_adapters.gap import RealityGap, load_gap
    from hw_adapters.pointmap import load_point_map
    from hw_adapters.rig import Rig, with_horizon
    from hw_adapters.venues import site_scenario
    from twin.errors import ScenarioError
    from twin.rundir import default_run_dir
    from twin.scenario import load_scenario

    if ports not in ("free", "map"):
        raise ScenarioError(f"--ports {ports!r}: use free or map")
    s = site_scenario(with_horizon(load_scenario(scenario), hours), home)
    pm = load_point_map(points)
    g = load_gap(gap) if gap is not None else RealityGap()
    folder = workdir or default_run_dir("rig", s.name, seed if seed is not None else 0)
    with Rig(s, pm, folder, gap=g, seed=seed, speed=speed, ports=ports) as rig:
        site = rig.point_map
        console.print(
            f"rig of {s.name!r} ({s.venue}) at {speed:g}x: MQTT (TLS) 127.0.0.1:"
            f"{site.mqtt.port if site.mqtt else '-'}"
            + (f", Modbus 127.0.0.1:{site.modbus.port}" if site.modbus else "")
            + (f", BACnet {site.bacnet.device_address}" if site.bacnet else "")
        )
        console.print(f"deploy against it with: twin deploy POLICY --points {folder}/site.json")
        try:
            rig.serve(linger_s=linger, wait_s=wait)
        except KeyboardInterrupt:
            console.print("interrupted")
        console.print(f"rig stopped after {rig.step_index} steps; {folder}/rig.json")


def _deploy(
    policy: Annotated[str, typer.Argument(help="fixed | rule_based | ... | a policy.zip")],
    points: PointsOpt,
    scenario: Annotated[
        Path | None,
        typer.Option(
            "--scenario",
            help="The site's scenario (default: the trained policy's, or scenario.json "
            "beside the point map).",
        ),
    ] = None,
    mode: Annotated[str, typer.Option("--mode", help="dry-run | shadow | act")] = "dry-run",
    speed: Annotated[
        float | None,
        typer.Option(
            "--speed", help="Site seconds per wall second (default: the site's).", min=0.001
        ),
    ] = None,
    hours: Annotated[
        float | None, typer.Option("--hours", help="Stop after this many site hours.", min=0)
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Run directory to create.")] = None,
) -> None:
    """Run a policy on a site through the safety envelope, on a real-time clock."""
    from hw_adapters.audit import Mode
    from hw_adapters.deploy import Deployment
    from hw_adapters.pointmap import load_point_map
    from twin.errors import PointMapError, PolicyError
    from twin.rundir import default_run_dir
    from twin.scenario import load_scenario

    try:
        Mode(mode)
    except ValueError:
        raise PolicyError(f"--mode {mode!r}: use dry-run, shadow or act") from None
    pm = load_point_map(points)
    if scenario is None:
        candidates = [points.parent / "scenario.json"]
        p = Path(policy)
        if p.suffix == ".zip" or p.is_dir():
            candidates.insert(0, (p if p.is_dir() else p.parent) / "scenario.json")
        scenario = next((c for c in candidates if c.is_file()), None)
        if scenario is None:
            raise PointMapError(
                "give --scenario: the twin's scenario of this site (no scenario.json beside "
                "the policy or the point map)"
            )
    s = load_scenario(scenario)
    steps = None if hours is None else max(1, int(round(hours * 3600 / s.simulation.dt_s)))
    out = out or default_run_dir("deploy", pm.name, 0)
    dep = Deployment(policy, pm, s, out, mode=mode, speed=speed, steps=steps,
                     log=lambda m: console.print(m, highlight=False))  # fmt: skip
    result = dep.run()
    console.print(f"run directory: {result.out}")


def _validate(
    run: Annotated[Path, typer.Argument(help="A run directory written by `twin deploy`.")],
    out: Annotated[Path | None, typer.Option("--out", help="Report directory to create.")] = None,
    cvrmse: Annotated[float, typer.Option("--cvrmse", help="Hourly CV(RMSE) limit (%).")] = 30.0,
    nmbe: Annotated[float, typer.Option("--nmbe", help="Hourly NMBE limit (+-%).")] = 10.0,
    temp_rmse: Annotated[
        float, typer.Option("--temp-rmse", help="Per-zone temperature RMSE limit (K).")
    ] = 1.0,
    temp_bias: Annotated[
        float, typer.Option("--temp-bias", help="Per-zone temperature bias limit (+-K).")
    ] = 0.75,
) -> None:
    """Replay a deployment through the twin; report and judge the differences."""
    from hw_adapters.validate import Criteria, validate_run
    from hw_adapters.validate_report import write_validation
    from twin.rundir import check_free, staged_run_dir

    folder = out or run.parent / f"validate-{run.name}"
    check_free(folder)
    crit = Criteria(cvrmse_pct=cvrmse, nmbe_pct=nmbe, temp_rmse_k=temp_rmse, temp_bias_k=temp_bias)
    v, rec, rp = validate_run(run, crit)
    site = json.loads((run / "run.json").read_text()).get("site", "?")
    with staged_run_dir(folder) as stage:
        write_validation(stage, v, rec, rp, str(run), site)
    e = v.energy
    console.print(
        f"energy: CV(RMSE) {e['cvrmse_pct']:.1f} % (<= {cvrmse:g}), NMBE {e['nmbe_pct']:+.1f} % "
        f"(+-{nmbe:g}) over {e['hours']:.0f} h; worst zone RMSE "
        f"{max(m['rmse_k'] for m in v.zones.values()):.2f} K; command latency p50 "
        f"{v.latency_ms['p50']:.2f} ms, p99 {v.latency_ms['p99']:.2f} ms"
    )
    for reason in v.reasons:
        console.print(f"[red]fail:[/red] {reason}", highlight=False)
    console.print(f"{'[green]PASS[/green]' if v.passed else '[red]FAIL[/red]'}: {folder}/report.md")
    if not v.passed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``rig serve``, ``deploy`` and ``validate`` to the main app."""
    rig = typer.Typer(help="The hardware-in-the-loop rig.", no_args_is_help=True)
    rig.command("serve")(_rig_serve)
    app.add_typer(rig, name="rig")
    app.command("deploy")(_deploy)
    app.command("validate")(_validate)
