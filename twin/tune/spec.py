"""What a tuning run is: a grid of ``twin train`` settings x training seeds, checked first.

A tune file (TOML)::

    scenario = "hotel_small"   # a path (relative to this file) or a shipped name
    seeds = "0-1"              # training seeds: every configuration is trained on each
    steps = 4000               # training budget per trial (environment steps)
    eval_every = 1000          # validation (and a report to the scheduler) every N steps
    envs = 4                   # parallel environments per trial
    grace_period = 1000        # ASHA: no trial is stopped before this many steps
    reduction_factor = 2       # ASHA: keep about 1/N of the trials at each rung

    [space]                    # TrainConfig fields -> values (the grid: their product)
    learning_rate = [1e-4, 3e-4]
    hidden = [32]

A *trial* is one combination of the space's values and one seed: one ``twin train`` run
directory. Every name and value is checked against :class:`policies.training.TrainConfig`
before anything runs, one line per problem naming the field.

>>> spec = TuneSpec("hotel_small", {"learning_rate": (1e-4, 3e-4)}, seeds=(0, 1))
>>> len(spec.combinations()) * len(spec.seeds)
4
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from twin.errors import TwinError

__all__ = ["TuneSpec", "load_tune"]

_KEYS = {"scenario", "seeds", "steps", "eval_every", "envs", "grace_period",
         "reduction_factor", "space", "name"}  # fmt: skip
#: Fields a tune sets itself (the budget and seeds) or that are not searchable.
_FIXED = {"scenario", "total_steps", "seed", "eval_every", "n_envs", "eval_seeds",
          "checkpoint_every"}  # fmt: skip


def _expected(name: str) -> tuple[str, tuple[Any, ...] | None]:
    """A TrainConfig field's kind (float, int, bool, str) and its allowed values if a Literal."""
    from policies.training import TrainConfig

    hint = typing.get_type_hints(TrainConfig)[name]
    args = typing.get_args(hint)
    if typing.get_origin(hint) is typing.Literal:
        return "str", args
    if hint in (float, int, bool, str):
        return hint.__name__, None
    if set(args) == {str, type(None)}:
        return "str", None  # an optional name; "none" means None
    return "other", None


def _check_value(name: str, value: Any) -> str | None:
    """The problem with one value of a searched field, or ``None``."""
    kind, allowed = _expected(name)
    bad = f"--space {name} = {value!r}"
    if kind == "float":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"{bad}: must be a number"
        if not math.isfinite(value):
            return f"{bad}: must be a finite number"
    elif kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            return f"{bad}: must be a whole number"
    elif kind == "bool":
        if not isinstance(value, bool):
            return f"{bad}: must be true or false"
    elif kind == "str":
        if not isinstance(value, str):
            return f"{bad}: must be a name"
        if allowed is not None and value not in allowed:
            return f"{bad}: must be one of {', '.join(map(str, allowed))}"
    else:
        return f"--space {name}: this field cannot be searched"
    return None


@dataclass(frozen=True)
class TuneSpec:
    """A tuning run: the scenario, the searched values, seeds, budget and ASHA's settings."""

    scenario: str
    space: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    seeds: tuple[int, ...] = (0,)
    steps: int = 20_000
    eval_every: int = 5_000
    envs: int = 8
    grace_period: int = 0  # 0: one evaluation (eval_every)
    reduction_factor: int = 2
    name: str = ""

    @property
    def grace(self) -> int:
        """ASHA's grace period in steps."""
        return self.grace_period or self.eval_every

    def combinations(self) -> list[dict[str, Any]]:
        """The grid: one dict of searched values per configuration (in the order written)."""
        rows = itertools.product(*self.space.values())
        return [dict(zip(self.space, row, strict=True)) for row in rows]

    def check(self) -> list[Any]:
        """Validate everything before anything runs; returns each trial's TrainConfig.

        Raises:
            TwinError: one line per problem, naming the field.
        """
        from policies import baseline_names
        from policies.training import TrainConfig, default_layout
        from twin.scenario import load_scenario, scenario_path
        from twin.venues import venue_class

        base = load_scenario(self.scenario)
        known = {f.name for f in dataclasses.fields(TrainConfig)}
        problems: list[str] = []
        for name, value in (("steps", self.steps), ("eval_every", self.eval_every),
                            ("envs", self.envs), ("reduction_factor", self.reduction_factor),
                            ("grace_period", self.grace_period)):  # fmt: skip
            if isinstance(value, bool) or not isinstance(value, int):
                problems.append(f"{name} = {value!r}: must be a whole number")
        if problems:
            raise TwinError("\n".join(problems))
        if self.steps < 1 or self.envs < 1:
            problems.append(f"steps = {self.steps}, envs = {self.envs}: both must be >= 1")
        if not 1 <= self.eval_every <= self.steps:
            problems.append(
                f"eval_every = {self.eval_every}: must be between 1 and steps ({self.steps}); "
                "the scheduler decides on the validation reward"
            )
        if self.reduction_factor < 2:
            problems.append(f"reduction_factor = {self.reduction_factor}: must be >= 2")
        if not 0 <= self.grace_period <= self.steps:
            problems.append(f"grace_period = {self.grace_period}: must be between 0 and steps")
        names = baseline_names(base.venue)
        for name, values in self.space.items():
            if name not in known:
                problems.append(
                    f"--space {name}: not a training setting; valid: "
                    + ", ".join(sorted(known - _FIXED))
                )
                continue
            if name in _FIXED:
                problems.append(f"--space {name}: set by tune itself (steps, seeds, envs, ...)")
                continue
            if not values:
                problems.append(f"--space {name}: give at least one value")
            for value in values:
                problem = _check_value(name, value)
                if problem is None and name in ("residual", "stop_when_beats"):
                    if value not in (*names, "none"):
                        problem = f"--space {name} = {value!r}: use one of {', '.join(names)}"
                if problem is not None:
                    problems.append(problem)
        if problems:
            raise TwinError("\n".join(problems))
        defaults = {"layout": default_layout(base), **venue_class(base.venue).train_defaults}
        configs = []
        for combo in self.combinations():
            chosen: dict[str, Any] = {k: None if v == "none" else v for k, v in combo.items()}
            for seed in self.seeds:
                try:
                    configs.append(TrainConfig(
                        scenario=str(scenario_path(self.scenario).resolve()),
                        total_steps=self.steps, n_envs=self.envs, seed=seed,
                        eval_every=self.eval_every, checkpoint_every=self.eval_every,
                        **{**defaults, **chosen},
                    ))  # fmt: skip
                except TwinError as exc:
                    label = ", ".join(f"{k}={v!r}" for k, v in combo.items())
                    raise TwinError(f"--space {label}: {exc}") from None
        return configs

    def to_json(self) -> str:
        """Serialise (stable)."""
        data = dataclasses.asdict(self)
        data["space"] = {k: list(v) for k, v in self.space.items()}
        data["seeds"] = list(self.seeds)
        return json.dumps(data, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> TuneSpec:
        """Load what :meth:`to_json` wrote."""
        data = json.loads(text)
        data["space"] = {k: tuple(v) for k, v in data["space"].items()}
        data["seeds"] = tuple(data["seeds"])
        return cls(**data)

    def replace(self, **changes: Any) -> TuneSpec:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)


def load_tune(path: str | Path) -> TuneSpec:
    """Read a tune file (see the module docstring); the scenario path is relative to it.

    Raises:
        TwinError: not a tune file, unknown keys, bad seeds (one line each).
    """
    from twin.sweep.spec import _resolve, parse_seeds, read_spec_file

    path = Path(path)
    data = read_spec_file(path, _KEYS, "tune", TwinError)
    space = data.get("space", {})
    if not isinstance(space, Mapping):
        raise TwinError(f"{path}: [space] maps a training setting to values: hidden = [32, 64]")
    defaults = TuneSpec("")
    return TuneSpec(
        scenario=_resolve(str(data["scenario"]), path.parent),
        space={k: tuple(v) if isinstance(v, list) else (v,) for k, v in space.items()},
        seeds=parse_seeds(data.get("seeds", [0])),
        steps=data.get("steps", defaults.steps),
        eval_every=data.get("eval_every", defaults.eval_every),
        envs=data.get("envs", defaults.envs),
        grace_period=data.get("grace_period", defaults.grace_period),
        reduction_factor=data.get("reduction_factor", defaults.reduction_factor),
        name=str(data.get("name", "")),
    )
