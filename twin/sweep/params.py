"""Scenario variations: a value for a scenario field named by its dotted path.

A path names any field of a scenario the way validation errors do:
``hvac.heat_pump.cop_max``, ``store.arrivals.rate_per_hour``,
``zones[0].u_wall_w_m2k``; ``[*]`` applies a value to every item of a list
(``zones[*].air_changes_per_h``). A few *derived* knobs scale several fields at once,
for the questions researchers ask most (see :data:`DERIVED`):

* ``hvac.capacity_scale``: multiplies every zone group's heating and cooling capacity
  (``zones[*].heating_capacity_w_m2``, ``cooling_capacity_w_m2``) and, for homes, the
  building stock's capacity distributions (mean, sd, low and high).
* ``envelope.u_scale``: multiplies every zone group's wall, roof and window U-values.

Every path and value is checked before anything runs: an unknown path is reported with
the keys valid at that point, and a bad value with the scenario's own validation
message (one line each).

>>> from twin.scenario import load_scenario
>>> s = load_scenario("hotel_small")
>>> v = apply_params(s, {"hvac.heat_pump.cop_max": 5.0, "zones[0].u_wall_w_m2k": 0.2})
>>> v.hvac.heat_pump.cop_max, v.zones[0].u_wall_w_m2k
(5.0, 0.2)
>>> apply_params(s, {"hvac.cop_max": 5.0})  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
twin.errors.ScenarioError: --param hvac.cop_max: unknown key 'cop_max'; valid keys here: ...
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from collections.abc import Callable, Mapping
from typing import Any

from twin.errors import ScenarioError
from twin.scenario import Scenario

__all__ = ["DERIVED", "apply_params", "parse_path", "parse_values", "validate_params"]

_PART = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)((?:\[(?:\d+|\*)\])*)$")
_INDEX = re.compile(r"\[(\d+|\*)\]")

#: A path: keys (str) and list indices (int, or ``"*"`` for every item).
Path = tuple[str | int, ...]


def parse_path(path: str) -> Path:
    """``"zones[0].u_wall_w_m2k"`` -> ``("zones", 0, "u_wall_w_m2k")``.

    Raises:
        ScenarioError: the path is not made of names and ``[index]`` parts.
    """
    out: list[str | int] = []
    for part in path.split("."):
        m = _PART.match(part)
        if m is None:
            raise ScenarioError(
                f"--param {path}: not a field path (write it as a.b[0].c, names and indices)"
            )
        out.append(m.group(1))
        for index in _INDEX.findall(m.group(2)):
            out.append("*" if index == "*" else int(index))
    return tuple(out)


def parse_values(text: str) -> list[Any]:
    """``"0.8,1,1.2"`` -> ``[0.8, 1, 1.2]``: each item a TOML value, else a bare string.

    Commas inside brackets or quotes do not split (``[0.8,1.0],[0.9,1.1]`` is two values).
    """
    items, depth, quote, cur = [], 0, "", ""
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            items.append(cur)
            cur = ""
            continue
        cur += ch
    items.append(cur)
    return [_toml_value(item.strip()) for item in items if item.strip()]


def _toml_value(text: str) -> Any:
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text  # a bare word: a string value (e.g. a construction class)


def _set(node: Any, path: Path, value: Any, full: str, done: str = "") -> None:
    """Set ``value`` at ``path`` inside plain data ``node`` (dicts and lists)."""
    key, rest = path[0], path[1:]
    if isinstance(key, str) and key != "*":
        here = f"{done}.{key}" if done else key
        if not isinstance(node, dict):
            raise ScenarioError(f"--param {full}: {done or 'the scenario'} has no keys")
        if key not in node:
            valid = ", ".join(sorted(node))
            raise ScenarioError(f"--param {full}: unknown key {key!r}; valid keys here: {valid}")
        if not rest:
            node[key] = value
            return
        if node[key] is None:
            raise ScenarioError(f"--param {full}: {here} is not set in this scenario")
        _set(node[key], rest, value, full, here)
        return
    if not isinstance(node, list):
        raise ScenarioError(f"--param {full}: {done} is not a list")
    targets = range(len(node)) if key == "*" else [int(key)]
    for i in targets:
        if not 0 <= i < len(node):
            raise ScenarioError(
                f"--param {full}: index {i} out of range ({done} has {len(node)} items)"
            )
        if rest:
            _set(node[i], rest, value, full, f"{done}[{i}]")
        else:
            node[i] = value


def _number(path: str, value: Any) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ScenarioError(
            f"--param {path} = {value!r}: must be a finite number > 0 (a multiplier)"
        )
    return float(value)


def _scale_capacity(data: dict[str, Any], value: Any) -> None:
    k = _number("hvac.capacity_scale", value)
    for zone in data["zones"]:
        zone["heating_capacity_w_m2"] *= k
        zone["cooling_capacity_w_m2"] *= k
    stock = (data.get("home") or {}).get("stock")
    if stock is not None:
        for name in ("heating_capacity_w_m2", "cooling_capacity_w_m2"):
            for part in ("mean", "sd", "low", "high"):
                stock[name][part] *= k


def _scale_u(data: dict[str, Any], value: Any) -> None:
    k = _number("envelope.u_scale", value)
    for zone in data["zones"]:
        for name in ("u_wall_w_m2k", "u_roof_w_m2k", "u_window_w_m2k"):
            zone[name] *= k


#: Derived knobs: name -> what it does to the scenario's plain data (documented above).
DERIVED: dict[str, Callable[[dict[str, Any], Any], None]] = {
    "hvac.capacity_scale": _scale_capacity,
    "envelope.u_scale": _scale_u,
}


def apply_params(scenario: Scenario, params: Mapping[str, Any]) -> Scenario:
    """``scenario`` with each path set to its value, validated as a whole.

    Derived knobs apply after the plain paths, in :data:`DERIVED`'s order.

    Raises:
        ScenarioError: one line per bad path, or the scenario's own message for a bad value
            (naming the ``--param``).
    """
    data = json.loads(scenario.to_json())
    problems = []
    for path, value in params.items():
        if path in DERIVED:
            continue
        try:
            _set(data, parse_path(path), value, path)
        except ScenarioError as exc:
            problems.append(str(exc))
    for path, fn in DERIVED.items():
        if path in params:
            try:
                fn(data, params[path])
            except ScenarioError as exc:
                problems.append(str(exc))
    if problems:
        raise ScenarioError("\n".join(problems))
    label = ", ".join(f"{k}={v!r}" for k, v in params.items())
    try:
        return Scenario.from_json(json.dumps(data))
    except ScenarioError as exc:
        lines = [ln.replace("<json>", f"--param {label}", 1) for ln in str(exc).splitlines()]
        raise ScenarioError("\n".join(lines)) from None


def validate_params(scenario: Scenario, params: Mapping[str, list[Any]]) -> None:
    """Check every path and every value of a sweep before anything runs.

    Each value is applied alone to the base scenario, so a bad value is named with its
    path; then the first combination is built as a whole.

    Raises:
        ScenarioError: one line per bad path or value.
    """
    problems: list[str] = []
    for path, values in params.items():
        if not values:
            problems.append(f"--param {path}: give at least one value")
            continue
        for value in values:
            try:
                apply_params(scenario, {path: value})
            except ScenarioError as exc:
                problems += [ln for ln in str(exc).splitlines() if ln not in problems]
                if "unknown key" in str(exc) or "not a field path" in str(exc):
                    break  # one line for a bad path, not one per value
    if problems:
        raise ScenarioError("\n".join(problems))
