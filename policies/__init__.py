"""Policies: rule baselines, RL training and evaluation, all behind one ``predict``."""

from __future__ import annotations

from pathlib import Path

from policies.base import Policy
from policies.baselines import FixedSchedulePolicy, RuleBasedPolicy
from twin.envs.task import HotelTask
from twin.errors import PolicyError

BASELINES = {"fixed": FixedSchedulePolicy, "rule_based": RuleBasedPolicy}

__all__ = ["BASELINES", "FixedSchedulePolicy", "Policy", "RuleBasedPolicy", "make_policy"]


def make_policy(spec: str, task: HotelTask) -> Policy:
    """A baseline by name (``fixed``, ``rule_based``) or a trained policy from its zip."""
    if spec in BASELINES:
        return BASELINES[spec](task)
    path = Path(spec)
    if path.suffix == ".zip" or path.is_dir():
        from policies.trained import load_trained_policy

        return load_trained_policy(path, task)
    raise PolicyError(
        f"unknown policy {spec!r}: use one of {', '.join(BASELINES)} or the path of a "
        "trained policy.zip"
    )
