"""The ``twin`` command line: ``check``, ``simulate`` and friends.

The CLI is a thin layer: it parses arguments, calls the library and prints. A mistake a
user can fix (bad scenario, clashing run directory, missing optional package) prints one
``error:`` line per problem and exits with status 2; only bugs show a traceback.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated, Any, cast

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from twin.errors import TwinError

app = typer.Typer(
    name="twin",
    help="Digital-twin simulation of personalised physical services.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)

ScenarioArg = Annotated[
    Path,
    typer.Argument(
        help="Scenario file (.toml, or a resolved .json), or a shipped scenario's name "
        "(hotel, store, ...)."
    ),
]
SeedOpt = Annotated[
    int | None, typer.Option("--seed", help="Root seed (default: the scenario's).", min=0)
]
OutOpt = Annotated[
    Path | None, typer.Option("--out", help="Run directory to create (must not exist).")
]


def progress_bar() -> Progress:
    """A progress bar on stderr; rich hides it when stderr is not a terminal."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>5.1f}%"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )


@app.command()
def check(scenario: ScenarioArg) -> None:
    """Validate a scenario file (or a site's point map); exit 2 with one line per problem."""
    from twin.building import build_building
    from twin.cli_hw import check_point_map, is_point_map  # hardware: point maps
    from twin.scenario import load_scenario

    if is_point_map(scenario):
        check_point_map(scenario)
        return
    s = load_scenario(scenario)
    build_building(s)  # derived physical checks (e.g. window vs floor area)
    console.print(
        f"[green]ok[/green] {scenario}: {s.venue} scenario '{s.name}', {s.n_zones} zones, "
        f"{s.simulation.n_steps} steps of {s.simulation.step_minutes} min"
    )


@app.command()
def simulate(scenario: ScenarioArg, seed: SeedOpt = None, out: OutOpt = None) -> None:
    """Run the building under its plain thermostat and write a run directory."""
    from twin.report import kpi_table, write_building_run
    from twin.rundir import check_free, default_run_dir, staged_run_dir
    from twin.scenario import load_scenario
    from twin.simulate import simulate_building

    s = load_scenario(scenario)
    seed = s.simulation.seed if seed is None else seed
    out = out or default_run_dir("simulate", s.name, seed)
    check_free(out)
    t0 = time.perf_counter()
    with progress_bar() as bar:
        task = bar.add_task(f"simulating {s.name}", total=s.simulation.n_steps)
        run = simulate_building(s, seed, progress=lambda done, _: bar.update(task, completed=done))
    wall = time.perf_counter() - t0
    with staged_run_dir(out) as stage:
        write_building_run(run, stage, wall)
    console.print(kpi_table([(f"{s.name} (seed {seed})", run.kpis)]))
    console.print(f"run directory: {out}  ({wall:.2f} s)")


PolicyOpt = Annotated[
    str | None,
    typer.Option(
        "--policy",
        help="a baseline of the venue (hotel: fixed, rule_based; home: fixed, "
        "learning_thermostat; default: the last of these) or a trained policy.zip",
    ),
]


@app.command()
def run(
    scenario: ScenarioArg,
    policy: PolicyOpt = None,
    seed: SeedOpt = None,
    out: OutOpt = None,
) -> None:
    """Run a venue scenario end to end with a policy and write a run directory.

    A scenario whose venue runs many copies at once (a neighbourhood of homes) runs all
    of them under one sky, with copy seeds derived from ``--seed``.
    """
    from policies import baseline_names, make_policy
    from policies.rollout import run_copies, run_episode
    from twin.envs.core import TwinEnv
    from twin.report import kpi_table, write_run
    from twin.rundir import check_free, default_run_dir, staged_run_dir
    from twin.scenario import load_scenario
    from twin.venues import venue_class

    s = load_scenario(scenario)
    policy = policy or baseline_names(s.venue)[-1]  # the venue's smartest baseline
    seed = s.simulation.seed if seed is None else seed
    out = out or default_run_dir("run", s.name, seed)
    check_free(out)
    t0 = time.perf_counter()
    if venue_class(s.venue).run_copies(s) > 1:  # e.g. a neighbourhood: all its homes at once
        with progress_bar() as bar:
            task = bar.add_task(f"{s.name} / {policy}", total=s.simulation.n_steps)
            episode, pol = run_copies(
                s, lambda t: make_policy(policy, t), seed, record=True,
                progress=lambda done, _: bar.update(task, completed=done),
            )  # fmt: skip
    else:
        env = TwinEnv(s)
        pol = make_policy(policy, env.task)
        with progress_bar() as bar:
            task = bar.add_task(f"{s.name} / {pol.name}", total=s.simulation.n_steps)
            episode = run_episode(
                env, pol, seed, record=True,
                progress=lambda done, _: bar.update(task, completed=done),
            )  # fmt: skip
    wall = time.perf_counter() - t0
    with staged_run_dir(out) as stage:
        write_run(stage, s.with_seed(seed), episode, pol.name, seed, wall)
    console.print(kpi_table([(f"{pol.name} (seed {seed})", episode.kpis)]))
    console.print(f"run directory: {out}  ({wall:.2f} s)")


@app.command()
def compare(runs: Annotated[list[Path], typer.Argument(help="Run directories.")]) -> None:
    """Print the KPIs of several run directories side by side."""
    import json

    from twin.errors import RunDirectoryError
    from twin.report import kpi_table

    columns = []
    for path in runs:
        kpi_file = path / "kpis.json"
        if not kpi_file.is_file():
            raise RunDirectoryError(f"{path}: not a run directory (no kpis.json)")
        meta_file = path / "run.json"
        meta = json.loads(meta_file.read_text()) if meta_file.is_file() else {}
        label = path.name if "policy" not in meta else f"{path.name} ({meta['policy']})"
        columns.append((label, json.loads(kpi_file.read_text())))
    console.print(kpi_table(columns, title="KPIs side by side"))


@app.command()
def train(
    scenario: Annotated[Path | None, typer.Argument(help="Scenario to train on.")] = None,
    algo: Annotated[str, typer.Option("--algo", help="ppo | sac")] = "ppo",
    layout: Annotated[
        str | None,
        typer.Option(
            "--layout",
            help="zone (one network shared by all zones) | full (per-zone actor over the "
            "whole observation) | flat (MLP over the whole observation); default: zone "
            "where the venue has a zone layout, else flat",
        ),
    ] = None,
    steps: Annotated[
        int, typer.Option("--steps", help="Total environment steps.", min=1)
    ] = 500_000,
    envs: Annotated[int, typer.Option("--envs", help="Parallel environments.", min=1)] = 32,
    seed: Annotated[int, typer.Option("--seed", help="Training seed.", min=0)] = 0,
    residual: Annotated[
        str, typer.Option("--residual", help="Baseline the policy corrects, or 'none'.")
    ] = "rule_based",
    sde: Annotated[
        bool,
        typer.Option(
            "--sde",
            help="State-dependent exploration (gSDE): noise held over a rollout, for effects "
            "that show only when a choice is kept (e.g. music on sales).",
        ),
    ] = False,
    checkpoint_every: Annotated[
        int, typer.Option("--checkpoint-every", help="Steps between checkpoints (0: off).", min=0)
    ] = 50_000,
    eval_every: Annotated[
        int,
        typer.Option("--eval-every", help="Steps between held-out evaluations (0: off).", min=0),
    ] = 100_000,
    eval_seeds: Annotated[
        int,
        typer.Option(
            "--eval-seeds",
            help="Validation seeds (2,000,000 on; disjoint from twin evaluate's test seeds).",
            min=2,
        ),
    ] = 8,
    stop_when_beats: Annotated[
        str | None,
        typer.Option(
            "--stop-when-beats",
            help="Stop as soon as the validation reward's 95 % CI lies above this baseline's "
            "(evaluated every --eval-every steps on the same validation seeds).",
        ),
    ] = None,
    stop_patience: Annotated[
        int,
        typer.Option(
            "--stop-patience", help="Evaluations in a row that must beat the baseline.", min=1
        ),
    ] = 2,
    out: OutOpt = None,
    resume: Annotated[
        Path | None, typer.Option("--resume", help="Continue an interrupted run directory.")
    ] = None,
) -> None:
    """Train a personalisation policy with Stable-Baselines3 on the vectorised env."""
    from policies import baseline_names
    from policies.training import VALIDATION_SEED, TrainConfig, Trainer, default_layout
    from twin.errors import PolicyError
    from twin.rundir import default_run_dir
    from twin.scenario import load_scenario, scenario_path
    from twin.venues import venue_class

    if resume is not None:
        trainer = Trainer.resume(resume)
        latest = trainer.latest()
        done = 0 if latest is None else latest["steps"]
        console.print(f"resuming {resume} at {done:,} of {trainer.config.total_steps:,} steps")
    else:
        if scenario is None:
            raise PolicyError("give a SCENARIO to train on, or --resume RUN_DIR")
        s = load_scenario(scenario)
        names = baseline_names(s.venue)
        if residual != "none" and residual not in names:
            raise PolicyError(f"--residual {residual!r}: use one of {', '.join(names)} or none")
        if stop_when_beats is not None and stop_when_beats not in names:
            raise PolicyError(
                f"--stop-when-beats {stop_when_beats!r}: use one of {', '.join(names)}"
            )
        layout = layout or default_layout(s)
        config = TrainConfig(
            scenario=str(scenario_path(scenario).resolve()), algo=cast(Any, algo),
            layout=cast(Any, layout), total_steps=steps, n_envs=envs,
            seed=seed, residual=None if residual == "none" else residual,
            checkpoint_every=checkpoint_every, eval_every=eval_every,
            eval_seeds=tuple(range(VALIDATION_SEED, VALIDATION_SEED + eval_seeds)),
            stop_when_beats=stop_when_beats, stop_patience=stop_patience,
            **{**venue_class(s.venue).train_defaults, **({"use_sde": True} if sde else {})},
        )  # fmt: skip
        out = out or default_run_dir("train", s.name, seed)
        trainer = Trainer.create(config, out)
        console.print(f"training {algo} on {s.name} for {steps:,} steps into {out}")
    t0 = time.perf_counter()
    result = trainer.run(progress_bar=sys.stderr.isatty())
    wall = time.perf_counter() - t0
    console.print(
        f"done: {result['steps']:,} steps in {wall:.0f} s; policy: {trainer.run_dir / 'policy.zip'}"
    )
    stopped = trainer.stopped()
    if stopped is not None:
        mine, base = stopped["reward"], stopped["baseline_reward"]
        console.print(
            f"stopped early: validation reward {mine['mean']:.2f} [{mine['ci_low']:.2f}, "
            f"{mine['ci_high']:.2f}] beats {stopped['baseline']} {base['mean']:.2f} "
            f"[{base['ci_low']:.2f}, {base['ci_high']:.2f}]"
        )


@app.command()
def evaluate(
    scenario: ScenarioArg,
    policy: Annotated[
        list[str], typer.Option("--policy", help="Repeat: fixed, rule_based, or a policy.zip.")
    ],
    seeds: Annotated[int, typer.Option("--seeds", help="Held-out seeds per policy.", min=2)] = 20,
    first_seed: Annotated[
        int, typer.Option("--first-seed", help="First held-out seed.", min=0)
    ] = 1_000_000,
    out: OutOpt = None,
) -> None:
    """Score policies on the same held-out seeds with 95 % confidence intervals."""
    from policies import make_policy
    from policies.evaluation import headline_kpis, rollout_seeds, summarise
    from twin.report import evaluation_table, write_evaluation
    from twin.rundir import check_free, default_run_dir, staged_run_dir
    from twin.scenario import load_scenario

    s = load_scenario(scenario)
    seed_list = list(range(first_seed, first_seed + seeds))
    out = out or default_run_dir("evaluate", s.name, first_seed)
    check_free(out)
    results: dict[str, dict] = {}
    t0 = time.perf_counter()
    with progress_bar() as bar:
        for spec in policy:
            task = bar.add_task(f"{spec}", total=s.simulation.n_steps)
            episodes = rollout_seeds(
                s, lambda t, spec=spec: make_policy(spec, t), seed_list,
                progress=lambda done, _, task=task: bar.update(task, completed=done),
            )  # fmt: skip
            bar.update(task, completed=s.simulation.n_steps)
            summary = summarise(episodes, headline_kpis(s))
            results[spec] = {"summary": summary, "episodes": episodes}
    wall = time.perf_counter() - t0
    with staged_run_dir(out) as stage:
        write_evaluation(stage, s, results, seed_list, wall)
    console.print(evaluation_table(results))
    console.print(f"evaluation directory: {out}  ({wall:.1f} s)")


def _register_hw() -> None:
    from twin.cli_hw import register  # hardware commands: rig serve, deploy, validate

    register(app)


_register_hw()


def _register_scale() -> None:
    from twin.cli_scale import register  # scale commands: sweep, tune, dashboard

    register(app)


_register_scale()


@app.command()
def dashboard(
    target: Annotated[
        str,
        typer.Argument(
            help="A scenario (file or shipped name) to run live, or a "
            "`twin run` directory to replay."
        ),
    ],
    policy: PolicyOpt = None,
    seed: SeedOpt = None,
    port: Annotated[int, typer.Option("--port", help="Port on 127.0.0.1.", min=1)] = 8765,
) -> None:
    """Serve a live browser dashboard of a scenario (or replay a run) on 127.0.0.1."""
    from twin.dashboard.server import serve

    serve(target, policy, seed, port)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``twin`` console script; returns the exit status.

    Usage mistakes (an unknown command or option, a missing argument) are typer's to
    report: it prints the usage line and the problem and exits with status 2.
    """
    try:
        app(args=argv, standalone_mode=True)
    except SystemExit as exc:  # typer's own exit: success, --help, or a usage error
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except TwinError as exc:
        for line in str(exc).splitlines() or [type(exc).__name__]:
            err_console.print(f"[red]error:[/red] {escape(line)}", highlight=False, soft_wrap=True)
        return 2
    except KeyboardInterrupt:
        err_console.print("interrupted")
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
