"""Trained policies: an SB3 model plus what it needs to act on raw observations.

A training run directory (or its ``policy.zip``) holds the standard SB3 zip, the
scenario it was trained on (``scenario.json``), the observation normalisation it learned
with (``obs_norm.npz``) and ``policy.json`` (algorithm, and for residual policies the
rule baseline the model corrects). :class:`TrainedPolicy` puts these together behind the
same ``predict`` as every baseline, so evaluation treats all policies alike.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from policies.base import Policy
from twin.errors import DependencyNotInstalled, PolicyError
from twin.venues.base import Task

POLICY_FILE = "policy.zip"
META_FILE = "policy.json"
NORM_FILE = "obs_norm.npz"


class TrainedPolicy:
    """An SB3 model (optionally a residual on a rule baseline) acting on raw observations."""

    def __init__(
        self,
        model: Any,
        obs_mean: np.ndarray,
        obs_var: np.ndarray,
        clip_obs: float,
        epsilon: float,
        base: Policy | None = None,
        residual_scale: float = 0.0,
        name: str = "trained",
        uses_personal_data: bool = True,
        layout: str = "full",
        zone_layout: Any = None,
    ) -> None:
        self.model = model
        self.obs_mean, self.obs_std = obs_mean, np.sqrt(obs_var + epsilon)
        self.clip_obs = clip_obs
        self.base = base
        self.residual_scale = residual_scale
        self.name = name
        self.uses_personal_data = uses_personal_data
        self.layout = layout
        #: The task's ZoneLayout when the model acts per zone (``layout = "zone"``).
        self.zone_layout = zone_layout if layout == "zone" else None

    def normalise(self, obs: np.ndarray) -> np.ndarray:
        """The observation as the model saw it in training (VecNormalize statistics)."""
        return np.clip((obs - self.obs_mean) / self.obs_std, -self.clip_obs, self.clip_obs).astype(
            np.float32
        )

    def predict(
        self,
        observation: np.ndarray,
        state: Any = None,
        episode_start: np.ndarray | None = None,
        deterministic: bool = True,
    ) -> tuple[np.ndarray, Any]:
        """Action for one observation or a batch, in the env's normalised action space."""
        obs = np.asarray(observation, dtype=np.float32)
        single = obs.ndim == 1
        batch = obs.reshape(-1, obs.shape[-1])
        model_obs = self.zone_layout.zone_view(batch) if self.zone_layout is not None else batch
        action, _ = self.model.predict(self.normalise(model_obs), deterministic=deterministic)
        action = np.asarray(action, dtype=np.float32)
        if self.zone_layout is not None:
            action = self.zone_layout.full_action(action)
        action = action.reshape(batch.shape[0], -1)
        if self.base is not None:
            base, _ = self.base.predict(batch)
            action = np.clip(base + self.residual_scale * action, -1.0, 1.0)
        else:
            action = np.clip(action, -1.0, 1.0)
        return (action[0] if single else action), state


def policy_paths(path: str | Path) -> tuple[Path, Path]:
    """(directory, policy.zip) for a run directory or a policy.zip path."""
    path = Path(path)
    folder = path if path.is_dir() else path.parent
    zip_path = path if path.suffix == ".zip" else folder / POLICY_FILE
    if not zip_path.is_file():
        raise PolicyError(f"{path}: no trained policy ({POLICY_FILE}) found")
    for name in (META_FILE, NORM_FILE):
        if not (folder / name).is_file():
            raise PolicyError(f"{folder}: {name} is missing; is this a twin training run?")
    return folder, zip_path


def load_trained_policy(path: str | Path, task: Task) -> TrainedPolicy:
    """Load a trained policy for the env described by ``task``.

    Raises:
        PolicyError: the files are missing or the policy was trained for a building with
            a different number of zones.
    """
    try:
        from stable_baselines3 import PPO, SAC
    except ImportError as exc:  # pragma: no cover - the rl extra is part of [all]
        raise DependencyNotInstalled(
            "trained policies need stable-baselines3: pip install -c constraints.txt -e '.[rl]'"
        ) from exc
    from policies import baseline

    folder, zip_path = policy_paths(path)
    meta = json.loads((folder / META_FILE).read_text())
    norm = np.load(folder / NORM_FILE)
    layout = meta.get("layout", "full")
    zone_layout = getattr(task, "zone_layout", None)
    if layout == "zone" and zone_layout is None:
        raise PolicyError(f"{zip_path}: a per-zone policy, but this task has no zone layout")
    expected = task.obs_size
    if layout == "zone" and zone_layout is not None:
        expected = zone_layout.zone_obs_size
    if norm["mean"].shape[0] != expected:
        raise PolicyError(
            f"{zip_path}: trained for observations of size {norm['mean'].shape[0]}, but this "
            f"scenario has {task.obs_size} ({task.world.nz} zones); use the scenario it was "
            "trained on"
        )
    venue = meta.get("venue", "hotel")
    if venue != task.world.scenario.venue:
        raise PolicyError(
            f"{zip_path}: trained on a {venue} scenario, not a {task.world.scenario.venue} one"
        )
    import torch

    torch.set_num_threads(1)  # tiny networks: see policies.training.Trainer.run
    algo: Any = {"ppo": PPO, "sac": SAC}[meta["algo"]]
    model = algo.load(zip_path, device="cpu")
    residual = meta.get("residual")
    base = baseline(residual, task) if residual else None
    return TrainedPolicy(
        model,
        norm["mean"],
        norm["var"],
        float(norm["clip_obs"]),
        float(norm["epsilon"]),
        base=base,
        residual_scale=float(meta.get("residual_scale", 0.0)),
        name=f"{meta['algo']}:{folder.name}",
        uses_personal_data=bool(meta.get("personal_data", True)),
        layout=layout,
        zone_layout=zone_layout,
    )
