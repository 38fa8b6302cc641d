"""The scale commands of the ``twin`` CLI: ``sweep``, ``tune`` and ``dashboard``.

Registered on the main app by :func:`register`. As everywhere in the CLI, a mistake a
user can fix prints one ``error:`` line per problem and exits with status 2, before
anything runs.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

__all__ = ["register"]

console = Console()


def _sweep(
    target: Annotated[
        Path | None,
        typer.Argument(
            help="A sweep file (.toml with scenario, params, seeds, policies), or a "
            "scenario (path or shipped name) swept with the flags."
        ),
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param",
            help="Repeat: PATH=V1,V2,... (a scenario field by its dotted "
            "path, e.g. hvac.heat_pump.cop_max=3,5 or zones[0].u_wall_w_m2k=0.2,0.4; "
            "derived: hvac.capacity_scale, envelope.u_scale).",
        ),
    ] = None,
    seeds: Annotated[
        str | None, typer.Option("--seeds", help="Seeds: 0-49, 0-9,20, or a count.")
    ] = None,
    policy: Annotated[
        list[str] | None, typer.Option("--policy", help="Repeat: a baseline or a policy.zip.")
    ] = None,
    grid: Annotated[str | None, typer.Option("--grid", help="product (default) | zip")] = None,
    backend: Annotated[str, typer.Option("--backend", help="local | ray")] = "local",
    address: Annotated[
        str | None,
        typer.Option(
            "--address",
            help="Ray cluster address (127.0.0.1:6379, auto); default: "
            "a local cluster for this sweep.",
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option("--workers", help="Local processes (default: cores; 0: this process).", min=0),
    ] = None,
    block: Annotated[
        int | None, typer.Option("--block", help="Seeds per work unit (default: auto).", min=1)
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Sweep directory (created, or resumed).")
    ] = None,
    resume: Annotated[
        Path | None, typer.Option("--resume", help="Finish an interrupted sweep directory.")
    ] = None,
) -> None:
    """Run scenario variations x seeds x policies; a tidy Parquet table and CI plots."""
    from twin.cli import progress_bar
    from twin.errors import RunDirectoryError, ScenarioError
    from twin.rundir import default_run_dir
    from twin.sweep import SweepSpec, load_sweep, parse_seeds, run_sweep
    from twin.sweep.params import parse_values
    from twin.sweep.spec import is_sweep_file, scenario_name

    check_backend(backend, address)
    if resume is not None:
        if not (resume / "spec.json").is_file():
            raise RunDirectoryError(f"{resume}: not a sweep directory (no spec.json)")
        spec = SweepSpec.from_json((resume / "spec.json").read_text())
        out = resume
    else:
        if target is None:
            raise ScenarioError("give a SWEEP.toml or a SCENARIO (or --resume DIR)")
        spec = load_sweep(target) if is_sweep_file(target) else SweepSpec(str(target))
        params = dict(spec.params)
        for item in param or []:
            path, eq, values = item.partition("=")
            if not eq or not path.strip():
                raise ScenarioError(f"--param {item!r}: write PATH=V1,V2,...")
            params[path.strip()] = tuple(parse_values(values))
        spec = spec.replace(
            params=params,
            seeds=parse_seeds(int(seeds) if seeds and seeds.isdigit() else seeds)
            if seeds is not None else spec.seeds,
            policies=tuple(policy) if policy else spec.policies,
            grid=grid or spec.grid,
        )  # fmt: skip
        out = out or default_run_dir("sweep", scenario_name(spec.scenario), spec.seeds[0])
    spec.check()  # everything validated before the directory or any worker exists
    console.print(
        f"sweep of {spec.scenario}: {len(spec.combinations())} variation(s) x "
        f"{len(spec.seeds)} seed(s) x {len(spec.policies)} polic(ies) = {spec.n_cells} cells "
        f"on {backend} into {out}"
    )
    t0 = time.perf_counter()
    with progress_bar() as bar:
        task = bar.add_task("cells", total=spec.n_cells)
        outcome = run_sweep(
            spec, out, backend=backend,  # type: ignore[arg-type]
            workers=workers, address=address, block=block,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )  # fmt: skip
    wall = time.perf_counter() - t0
    failed = (
        f", [red]{outcome.failed} failed[/red] (see the error column)" if outcome.failed else ""
    )
    console.print(
        f"done: {outcome.computed} cell(s) computed, {outcome.reused} reused{failed} in "
        f"{wall:.1f} s; table: {out}/results.parquet, plots: {out}/plots/"
    )
    if outcome.failed:
        raise typer.Exit(1)  # the table is complete; its error column says what failed


def _tune(
    target: Annotated[
        Path | None,
        typer.Argument(
            help="A tune file (.toml with scenario, seeds, steps, [space]), or a scenario "
            "(path or shipped name) tuned with the flags."
        ),
    ] = None,
    space: Annotated[
        list[str] | None,
        typer.Option(
            "--space",
            help="Repeat: FIELD=V1,V2,... a `twin train` setting (TrainConfig field) and "
            "its values, e.g. learning_rate=1e-4,3e-4 or hidden=32,64 (the grid).",
        ),
    ] = None,
    seeds: Annotated[
        str | None, typer.Option("--seeds", help="Training seeds per configuration: 0-1, 0,3.")
    ] = None,
    steps: Annotated[int | None, typer.Option("--steps", help="Steps per trial.")] = None,
    eval_every: Annotated[
        int | None, typer.Option("--eval-every", help="Steps between validations (reports).")
    ] = None,
    envs: Annotated[int | None, typer.Option("--envs", help="Parallel envs per trial.")] = None,
    grace_period: Annotated[
        int | None, typer.Option("--grace-period", help="ASHA: steps before any stop.")
    ] = None,
    reduction_factor: Annotated[
        int | None, typer.Option("--reduction-factor", help="ASHA: keep ~1/N per rung.")
    ] = None,
    backend: Annotated[str, typer.Option("--backend", help="local | ray")] = "local",
    address: Annotated[
        str | None,
        typer.Option("--address", help="Ray cluster (127.0.0.1:6379); default: a local one."),
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", help="CPUs of a local Ray cluster.", min=1)
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Tune directory (created, or resumed).")
    ] = None,
    resume: Annotated[
        Path | None, typer.Option("--resume", help="Finish an interrupted tune directory.")
    ] = None,
) -> None:
    """Search `twin train` settings x seeds with ASHA early stopping; a summary table."""
    from rich.table import Table

    from twin.errors import RunDirectoryError, TwinError
    from twin.rundir import default_run_dir
    from twin.sweep.params import parse_values
    from twin.sweep.spec import is_sweep_file, parse_seeds, scenario_name
    from twin.tune import TuneSpec, load_tune, run_tune

    check_backend(backend, address)
    if resume is not None:
        if not (resume / "spec.json").is_file():
            raise RunDirectoryError(f"{resume}: not a tune directory (no spec.json)")
        spec = TuneSpec.from_json((resume / "spec.json").read_text())
        out = resume
    else:
        if target is None:
            raise TwinError("give a TUNE.toml or a SCENARIO (or --resume DIR)")
        spec = load_tune(target) if is_sweep_file(target) else TuneSpec(str(target))
        values = dict(spec.space)
        for item in space or []:
            name, eq, text = item.partition("=")
            if not eq or not name.strip():
                raise TwinError(f"--space {item!r}: write FIELD=V1,V2,...")
            values[name.strip()] = tuple(parse_values(text))
        given = {"steps": steps, "eval_every": eval_every, "envs": envs,
                 "grace_period": grace_period, "reduction_factor": reduction_factor}  # fmt: skip
        spec = spec.replace(
            space=values, **{k: v for k, v in given.items() if v is not None},
            **({"seeds": parse_seeds(int(seeds) if seeds.isdigit() else seeds)}
               if seeds is not None else {}),
        )  # fmt: skip
        out = out or default_run_dir("tune", scenario_name(spec.scenario), spec.seeds[0])
    n = len(spec.check())  # everything validated before the directory or any trial exists
    console.print(f"tuning on {spec.scenario}: {n} trial(s) of {spec.steps:,} steps on "
                  f"{backend} into {out}")  # fmt: skip
    outcome = run_tune(spec, out, backend=backend,  # type: ignore[arg-type]
                       address=address, workers=workers, log=console.print)  # fmt: skip
    table = Table(title="trials (best validation reward)")
    for col in ("trial", *spec.space, "seed", "best reward", "at step", "steps", "stopped"):
        table.add_column(col)
    for r in outcome.rows:
        best = r["best_val_reward"]
        table.add_row(
            r["trial"], *(str(r["config"][k]) for k in spec.space), str(r["seed"]),
            "-" if best is None else f"{best:.3f}", str(r["best_steps"] or "-"),
            f"{r['steps']:,}", "error" if r["error"] else
            ("ASHA" if r["stopped_by_scheduler"] else "no"),
        )  # fmt: skip
    console.print(table)
    console.print(
        f"done: {outcome.computed} trial(s) run, {outcome.reused} reused, {outcome.stopped} "
        f"stopped by ASHA, {outcome.failed} failed; summary: {out}/summary.parquet"
    )
    if outcome.failed:
        raise typer.Exit(1)


def check_backend(backend: str, address: str | None) -> None:
    """``--backend`` and ``--address`` make sense together (checked before anything runs)."""
    from twin.errors import TwinError

    if backend not in ("local", "ray"):
        raise TwinError(f"--backend {backend!r}: use local or ray")
    if address is not None and backend != "ray":
        raise TwinError("--address needs --backend ray")


def register(app: typer.Typer) -> None:
    """Add ``sweep``, ``tune`` and ``dashboard`` to the main app."""
    app.command("sweep")(_sweep)
    app.command("tune")(_tune)
