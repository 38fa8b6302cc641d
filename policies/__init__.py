"""Policies: rule baselines, RL training and evaluation, all behind one ``predict``.

Rule baselines are registered per venue (a hotel's ``rule_based`` is not a store's) by
import path, as the venues themselves are, and imported when first used.
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path

from policies.base import Policy
from twin.errors import PolicyError
from twin.venues.base import Task

__all__ = ["BASELINES", "Policy", "baseline", "baseline_names", "make_policy"]

#: Venue -> baseline name -> ``"module:Class"``.
BASELINES: dict[str, dict[str, str]] = {
    "hotel": {
        "fixed": "policies.hotel:FixedSchedulePolicy",
        "rule_based": "policies.hotel:RuleBasedPolicy",
    },
    "store": {
        "fixed": "policies.store:FixedStorePolicy",
        "rule_based": "policies.store:RuleBasedStorePolicy",
        "diversity": "policies.store:DiversityAwareStorePolicy",
    },
    "home": {
        "fixed": "policies.home:FixedProgramPolicy",
        "learning_thermostat": "policies.home:LearningThermostatPolicy",
    },
}


def baseline_names(venue: str) -> tuple[str, ...]:
    """The rule baselines of ``venue``."""
    return tuple(BASELINES.get(venue, {}))


def baseline(name: str, task: Task) -> Policy:
    """The rule baseline ``name`` of the task's venue, built for ``task``."""
    venue = task.world.scenario.venue
    entry = BASELINES.get(venue, {}).get(name)
    if entry is None:
        raise PolicyError(
            f"unknown {venue} baseline {name!r}: use one of {', '.join(baseline_names(venue))}"
        )
    module, _, cls = entry.partition(":")
    return getattr(import_module(module), cls)(task)  # type: ignore[no-any-return]


def make_policy(spec: str, task: Task) -> Policy:
    """A baseline by name (e.g. ``fixed``, ``rule_based``) or a trained policy from its zip."""
    venue = task.world.scenario.venue
    if spec in baseline_names(venue):
        return baseline(spec, task)
    path = Path(spec)
    if path.suffix == ".zip" or path.is_dir():
        from policies.trained import load_trained_policy

        return load_trained_policy(path, task)
    raise PolicyError(
        f"unknown policy {spec!r}: use one of {', '.join(baseline_names(venue))} or the path "
        "of a trained policy.zip"
    )
