"""What a sweep runs: a scenario, its variations, seeds and policies.

A sweep file (TOML)::

    scenario = "hotel_small"          # a path (relative to this file) or a shipped name
    seeds = "0-19"                    # "0-9,20,30-39", a list, or a count (0..n-1)
    policies = ["fixed", "rule_based"]
    grid = "product"                  # or "zip": the i-th values of every parameter together

    [params]
    "envelope.u_scale" = [0.5, 1.0, 1.5]
    "zones[0].u_wall_w_m2k" = [0.2, 0.35]

runs every (variation, seed, policy) *cell*. Variations are the product of the
parameters' values (in the order written), or, with ``grid = "zip"``, their i-th values
together. :meth:`SweepSpec.check` validates every path, value and policy before
anything runs.

>>> parse_seeds("0-3,10")
(0, 1, 2, 3, 10)
"""

from __future__ import annotations

import hashlib
import itertools
import json
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from twin.errors import PolicyError, ScenarioError, TwinError
from twin.scenario import Scenario, load_scenario, scenario_path
from twin.sweep.params import apply_params, validate_params

__all__ = ["SweepSpec", "Variation", "load_sweep", "parse_seeds"]

_KEYS = {"scenario", "seeds", "policies", "params", "grid", "name"}


def parse_seeds(value: Any) -> tuple[int, ...]:
    """Seeds from ``"0-49"``, ``"0-9,20"``, a list of ints or a count ``n`` (0..n-1).

    Raises:
        ScenarioError: not seeds, negative, or repeated.
    """
    seeds: list[int] = []
    if isinstance(value, bool):
        raise ScenarioError(f"seeds = {value!r}: give a range such as '0-49' or a list")
    if isinstance(value, int):
        seeds = list(range(value))
    elif isinstance(value, list) and all(isinstance(v, int) and not isinstance(v, bool)
                                         for v in value):  # fmt: skip
        seeds = list(value)
    elif isinstance(value, str):
        for part in value.replace(" ", "").split(","):
            lo, dash, hi = part.partition("-")
            if not lo.isdigit() or (dash and not hi.isdigit()):
                raise ScenarioError(f"seeds = {value!r}: write ranges like '0-49' or '0-9,20'")
            seeds += list(range(int(lo), int(hi) + 1)) if dash else [int(lo)]
    else:
        raise ScenarioError(f"seeds = {value!r}: give a range such as '0-49' or a list")
    if not seeds or min(seeds) < 0:
        raise ScenarioError(f"seeds = {value!r}: need at least one seed, none negative")
    if len(set(seeds)) != len(seeds):
        raise ScenarioError(f"seeds = {value!r}: a seed is repeated")
    return tuple(seeds)


@dataclass(frozen=True)
class Variation:
    """One combination of parameter values and the scenario it makes."""

    index: int
    params: dict[str, Any]
    scenario_json: str

    @property
    def key(self) -> str:
        """Short content hash of the resolved scenario (what a cell's result depends on)."""
        return hashlib.sha256(self.scenario_json.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class SweepSpec:
    """A sweep: the base scenario, parameter values, seeds and policies.

    ``params`` maps a field path (:mod:`twin.sweep.params`) to its values, in order.
    """

    scenario: str
    params: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    seeds: tuple[int, ...] = tuple(range(10))
    policies: tuple[str, ...] = ()
    grid: Literal["product", "zip"] = "product"
    name: str = ""

    def base(self) -> Scenario:
        """The base scenario."""
        return load_scenario(self.scenario)

    def check(self) -> Scenario:
        """Validate everything before anything runs; returns the base scenario.

        Raises:
            ScenarioError: a bad path or value (one line each), or a bad grid.
            PolicyError: an unknown policy.
        """
        from policies import baseline_names

        base = self.base()
        if self.grid not in ("product", "zip"):
            raise ScenarioError(f"grid = {self.grid!r}: use 'product' or 'zip'")
        if self.grid == "zip" and len({len(v) for v in self.params.values()}) > 1:
            counts = ", ".join(f"{k}: {len(v)}" for k, v in self.params.items())
            raise ScenarioError(f"grid = 'zip' needs as many values for every parameter ({counts})")
        problems: list[str] = []
        try:
            validate_params(base, {k: list(v) for k, v in self.params.items()})
        except ScenarioError as exc:
            problems += str(exc).splitlines()
        if not self.policies:
            problems.append(f"give at least one --policy ({', '.join(baseline_names(base.venue))})")
        for spec in self.policies:
            path = Path(spec)
            if spec in baseline_names(base.venue):
                continue
            if path.suffix == ".zip" or path.is_dir():
                if not path.exists():
                    problems.append(f"--policy {spec}: no such file")
                continue
            problems.append(
                f"--policy {spec}: not a {base.venue} baseline "
                f"({', '.join(baseline_names(base.venue))}) nor a trained policy.zip"
            )
        if len(set(self.policies)) != len(self.policies):
            problems.append("--policy: a policy is repeated")
        if problems:
            raise PolicyError("\n".join(problems))
        return base

    def combinations(self) -> list[dict[str, Any]]:
        """Parameter values of each variation (one empty variation without parameters)."""
        names = list(self.params)
        rows: Iterable[tuple[Any, ...]]
        if self.grid == "zip":
            rows = zip(*self.params.values(), strict=True)
        else:
            rows = itertools.product(*self.params.values())
        return [dict(zip(names, row, strict=True)) for row in rows]

    def variations(self, base: Scenario | None = None) -> list[Variation]:
        """Every variation with its resolved scenario (validated)."""
        base = base or self.base()
        return [
            Variation(i, combo, apply_params(base, combo).to_json(indent=None))
            for i, combo in enumerate(self.combinations())
        ]

    @property
    def n_cells(self) -> int:
        """Number of cells: variations x seeds x policies."""
        return len(self.combinations()) * len(self.seeds) * len(self.policies)

    def to_json(self) -> str:
        """Serialise (stable)."""
        data = {
            "scenario": self.scenario, "params": {k: list(v) for k, v in self.params.items()},
            "seeds": list(self.seeds), "policies": list(self.policies), "grid": self.grid,
            "name": self.name,
        }  # fmt: skip
        return json.dumps(data, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> SweepSpec:
        """Load what :meth:`to_json` wrote."""
        data = json.loads(text)
        return cls(
            scenario=data["scenario"], params={k: tuple(v) for k, v in data["params"].items()},
            seeds=tuple(data["seeds"]), policies=tuple(data["policies"]), grid=data["grid"],
            name=data.get("name", ""),
        )  # fmt: skip

    def replace(self, **changes: Any) -> SweepSpec:
        """A copy with some fields changed."""
        from dataclasses import replace

        return replace(self, **changes)


def _resolve(value: str, folder: Path) -> str:
    """A path relative to the sweep file, if it names a file there; else as given."""
    candidate = folder / value
    return str(candidate.resolve()) if candidate.exists() else value


def read_spec_file(
    path: Path, keys: frozenset[str] | set[str], kind: str, error: type[TwinError]
) -> dict[str, Any]:
    """The TOML table of a sweep or tune file, with only ``keys`` and a ``scenario``."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{path}: cannot read the {kind} file ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: not valid TOML: {exc}") from None
    unknown = sorted(set(data) - keys)
    if unknown:
        raise error(
            f"{path}: unknown key(s) {', '.join(unknown)}; valid keys: {', '.join(sorted(keys))}"
        )
    if "scenario" not in data:
        raise error(f"{path}: scenario is missing (a path or a shipped name)")
    return data


def load_sweep(path: str | Path) -> SweepSpec:
    """Read a sweep file (see the module docstring); paths are relative to it.

    Raises:
        ScenarioError: not a sweep file, unknown keys, bad seeds (one line each).
    """
    path = Path(path)
    data = read_spec_file(path, _KEYS, "sweep", ScenarioError)
    params = data.get("params", {})
    if not isinstance(params, Mapping) or not all(isinstance(v, list) for v in params.values()):
        raise ScenarioError(
            f'{path}: [params] maps a field path to a list of values: "a.b" = [1, 2]'
        )
    policies = data.get("policies", [])
    if isinstance(policies, str):
        policies = [policies]
    folder = path.parent
    return SweepSpec(
        scenario=_resolve(str(data["scenario"]), folder),
        params={k: tuple(v) for k, v in params.items()},
        seeds=parse_seeds(data.get("seeds", 10)),
        policies=tuple(_resolve(p, folder) if p.endswith(".zip") else p for p in policies),
        grid=data.get("grid", "product"),
        name=str(data.get("name", "")),
    )


def is_sweep_file(path: Path) -> bool:
    """True for a TOML file that describes a sweep (has ``params`` or ``policies``, no zones)."""
    if path.suffix != ".toml" or not path.is_file():
        return False
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return False
    return "zones" not in data and "scenario" in data


def scenario_name(spec: str) -> str:
    """The base scenario's file stem (for default directory names)."""
    try:
        return scenario_path(spec).stem
    except ScenarioError:
        return Path(spec).stem


def seeds_text(seeds: Sequence[int]) -> str:
    """``(0, 1, 2, 5)`` -> ``"0-2,5"``."""
    out, run = [], [seeds[0]] if seeds else []
    for s in seeds[1:]:
        if s == run[-1] + 1:
            run.append(s)
        else:
            out.append(run)
            run = [s]
    if run:
        out.append(run)
    return ",".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else str(r[0]) for r in out)
