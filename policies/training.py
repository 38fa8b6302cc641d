"""Train personalisation policies with Stable-Baselines3 on the native vector env.

A run directory holds everything needed to resume, inspect and deploy a training job::

    train_config.json   the typed TrainConfig (what ran)
    scenario.json       the resolved scenario it trained on
    checkpoints/        ckpt_<steps>.zip + norm_<steps>.npz (atomic writes, last two kept)
    latest.json         which checkpoint is complete (written last, atomically)
    tb/                 TensorBoard logs (SB3 losses, rollout and evaluation rewards)
    evaluations.json    periodic evaluation on held-out seeds
    policy.zip, policy.json, obs_norm.npz   the final policy (see policies.trained)

Every file is written to a temporary name and renamed into place, and ``latest.json`` is
renamed only after its checkpoint is complete, so killing a job at any moment leaves a
directory that ``--resume`` continues from the last complete checkpoint, to the same total
number of steps.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import numpy as np

from policies.trained import META_FILE, NORM_FILE, POLICY_FILE, TrainedPolicy
from twin.errors import RunDirectoryError, TwinError
from twin.rundir import atomic_write
from twin.scenario import Scenario, load_scenario

CONFIG_FILE = "train_config.json"
LATEST_FILE = "latest.json"
BEST_DIR = "best"
EVAL_FILE = "evaluations.json"
#: Written when training stopped early because it beat ``stop_when_beats``.
STOPPED_FILE = "stopped.json"
#: First validation seed: validation seeds are disjoint from ``twin evaluate``'s test seeds
#: (1,000,000 on) and from training seeds.
VALIDATION_SEED = 2_000_000


@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a training job (saved as ``train_config.json``).

    Step counts (``total_steps``, ``checkpoint_every``, ``eval_every``) are venue
    environment steps whatever the layout. ``layout = "zone"`` trains one network
    shared by all zones on per-zone rewards (:mod:`policies.zone_env`); ``"full"``
    trains on the whole observation and reward with the per-zone actor of
    :mod:`policies.networks` (both need a task with a zone layout, like the hotel's);
    ``"flat"`` trains an MLP on the whole observation and reward (any venue).
    ``residual`` names a rule baseline the learned policy corrects (``action = base +
    residual_scale * policy``), or ``None`` to learn the full action. ``use_sde`` turns
    on generalised state-dependent exploration (Raffin et al. 2022, SB3's gSDE), noise
    resampled every ``sde_sample_freq`` steps (-1: once per rollout): exploration that
    holds a choice for many steps, which is what it takes to see the effect of, say,
    slower music on the next half hour's sales. ``torch_threads`` is PyTorch's thread
    count: these networks are small, and on a 2-core machine that also steps the
    simulation a second PyTorch thread mostly waits for a core (a store run of 40,000
    steps took 18 s on one thread and about 100 s on two, measured on a busy machine).
    ``eval_seeds`` are validation seeds, held out from training (whose environments draw
    their seeds from ``seed``) and, by default, disjoint from ``twin evaluate``'s test
    seeds (1,000,000 on); with ``select_best`` the exported policy is the checkpoint
    with the best mean validation reward (the last one if none is better), as SB3's
    ``EvalCallback`` keeps a best model: PPO's last iterate is a noisy sample.
    ``stop_when_beats`` names a baseline of the venue: at each evaluation the policy's
    validation reward is compared with the baseline's on the same seeds, and training
    stops once the two 95 % intervals have separated in the policy's favour (its lower
    end above the baseline's upper end) in ``stop_patience`` evaluations in a row
    (early stopping when the baseline is beaten; ``None``: train to ``total_steps``).
    One separated evaluation is not enough: the check is repeated every
    ``eval_every`` steps, and the first interval to clear the baseline's is partly luck
    (on the hotel it stopped where the held-out test seeds did not separate yet).
    """

    scenario: str
    algo: Literal["ppo", "sac"] = "ppo"
    layout: Literal["zone", "full", "flat"] = "zone"
    total_steps: int = 500_000
    n_envs: int = 32
    seed: int = 0
    residual: str | None = "rule_based"
    residual_scale: float = 0.5
    personal_data: bool = True
    learning_rate: float = 3e-4
    n_steps: int = 32
    batch_size: int = 4096
    n_epochs: int = 3
    gamma: float = 0.99
    gae_lambda: float = 0.95
    ent_coef: float = 0.0
    clip_range: float = 0.2
    hidden: int = 32
    log_std_init: float = -1.5
    use_sde: bool = False
    sde_sample_freq: int = -1
    torch_threads: int = 1
    sac_buffer_size: int = 50_000
    checkpoint_every: int = 50_000
    eval_every: int = 100_000
    eval_seeds: tuple[int, ...] = field(default=tuple(range(VALIDATION_SEED, VALIDATION_SEED + 8)))
    select_best: bool = True
    stop_when_beats: str | None = None
    stop_patience: int = 2

    def __post_init__(self) -> None:
        problems = []
        for name in ("total_steps", "n_envs", "n_steps", "batch_size", "n_epochs", "hidden",
                     "torch_threads"):  # fmt: skip
            if getattr(self, name) < 1:
                problems.append(f"{name} = {getattr(self, name)} must be >= 1")
        for name in ("checkpoint_every", "eval_every"):
            if getattr(self, name) < 0:
                problems.append(f"{name} = {getattr(self, name)} must be >= 0 (0 turns it off)")
        if self.layout not in ("zone", "full", "flat"):
            problems.append(f"layout = {self.layout!r} must be 'zone', 'full' or 'flat'")
        if self.algo not in ("ppo", "sac"):
            problems.append(f"algo = {self.algo!r} must be 'ppo' or 'sac'")
        if not 0 < self.gamma <= 1:
            problems.append(f"gamma = {self.gamma} must be in (0, 1]")
        if self.learning_rate <= 0:
            problems.append(f"learning_rate = {self.learning_rate} must be > 0")
        if self.stop_patience < 1:
            problems.append(f"stop_patience = {self.stop_patience} must be >= 1")
        if self.stop_when_beats is not None and not (self.eval_every and len(self.eval_seeds) > 1):
            problems.append("stop_when_beats needs eval_every > 0 and at least two eval_seeds")
        if problems:
            raise TwinError("training config: " + "; ".join(problems))

    def to_json(self) -> str:
        """Serialise (sorted keys, stable across runs)."""
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> TrainConfig:
        """Load a config written by :meth:`to_json`, naming unknown keys."""
        data = json.loads(text)
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise TwinError(f"training config: unknown keys {', '.join(unknown)}")
        data["eval_seeds"] = tuple(data.get("eval_seeds", ()))
        if data.get("layout") == "hotel":  # the name "full" had before other venues
            data["layout"] = "full"
        return cls(**data)


def minibatch_size(rollout: int, wanted: int) -> int:
    """A minibatch size near ``wanted`` that divides the rollout (no ragged last batch)."""
    count = max(1, round(rollout / wanted))
    while rollout % count:
        count += 1
    return rollout // count


def default_layout(scenario: Scenario) -> Literal["zone", "flat"]:
    """``zone`` where the venue's task has a zone layout (the hotel), else ``flat``."""
    from twin.venues import venue_class

    return "zone" if venue_class(scenario.venue).zone_layout else "flat"


def native_venv(env: Any) -> Any:
    """The :class:`~twin.envs.vector.TwinVectorEnv` inside a stack of SB3 wrappers."""
    while not hasattr(env, "world"):
        env = env.venv
    return env


def save_norm(path: Path, venv: Any) -> None:
    """VecNormalize observation statistics as an ``.npz`` (atomically)."""
    tmp = path.with_name(f".{path.stem}.tmp-{os.getpid()}.npz")
    rms = venv.obs_rms
    np.savez(tmp, mean=rms.mean, var=rms.var, count=rms.count, clip_obs=venv.clip_obs,
             epsilon=venv.epsilon, ret_mean=venv.ret_rms.mean, ret_var=venv.ret_rms.var,
             ret_count=venv.ret_rms.count)  # fmt: skip
    os.replace(tmp, path)


def load_norm(path: Path, venv: Any) -> None:
    """Restore statistics written by :func:`save_norm` into a VecNormalize."""
    data = np.load(path)
    venv.obs_rms.mean, venv.obs_rms.var = data["mean"], data["var"]
    venv.obs_rms.count = float(data["count"])
    venv.ret_rms.mean, venv.ret_rms.var = data["ret_mean"], data["ret_var"]
    venv.ret_rms.count = float(data["ret_count"])


def _model_to_bytes(model: Any, folder: Path, name: str) -> None:
    tmp = folder / f".{name}.tmp-{os.getpid()}.zip"
    model.save(tmp)
    os.replace(tmp, folder / name)


class Trainer:
    """Build, run, checkpoint and resume one training job in a run directory."""

    def __init__(self, config: TrainConfig, run_dir: Path) -> None:
        self.config = config
        self.run_dir = Path(run_dir)
        self.scenario: Scenario = (
            load_scenario(config.scenario)
            if not (self.run_dir / "scenario.json").is_file()
            else load_scenario(self.run_dir / "scenario.json")
        )

    # ------------------------------------------------------------------ set-up
    @classmethod
    def create(cls, config: TrainConfig, run_dir: Path) -> Trainer:
        """A new run directory (must not exist with content)."""
        from twin.rundir import check_free

        run_dir = Path(run_dir)
        check_free(run_dir)
        scenario = load_scenario(config.scenario)
        (run_dir / "checkpoints").mkdir(parents=True, exist_ok=True)
        atomic_write(run_dir / CONFIG_FILE, config.to_json())
        atomic_write(run_dir / "scenario.json", scenario.to_json() + "\n")
        return cls(config, run_dir)

    @classmethod
    def resume(cls, run_dir: Path) -> Trainer:
        """Re-open an interrupted run directory."""
        run_dir = Path(run_dir)
        if not (run_dir / CONFIG_FILE).is_file():
            raise RunDirectoryError(f"{run_dir}: not a training run ({CONFIG_FILE} missing)")
        return cls(TrainConfig.from_json((run_dir / CONFIG_FILE).read_text()), run_dir)

    def _make_env(self, n_envs: int, training: bool) -> Any:
        from stable_baselines3.common.vec_env import VecNormalize

        from policies import baseline
        from policies.residual import ResidualVecEnv
        from policies.vec_env import SB3VecEnv
        from policies.zone_env import ZoneVecEnv
        from twin.envs.vector import TwinVectorEnv

        cfg = self.config
        venv = TwinVectorEnv(n_envs, self.scenario, personal_data=cfg.personal_data)
        base = baseline(cfg.residual, venv.task) if cfg.residual else None
        env: Any
        if cfg.layout == "zone":
            env = ZoneVecEnv(venv, base, cfg.residual_scale)
        else:
            env = SB3VecEnv(venv)
            if base is not None:
                env = ResidualVecEnv(env, base, cfg.residual_scale)
        return VecNormalize(env, training=training, gamma=cfg.gamma, norm_reward=training)

    def _new_model(self, env: Any) -> Any:
        from stable_baselines3 import PPO, SAC

        from policies.networks import ZonePolicy, zone_policy_kwargs

        cfg = self.config
        tb = str(self.run_dir / "tb")
        batch = minibatch_size(cfg.n_steps * env.num_envs, cfg.batch_size)
        if cfg.algo == "ppo":
            if cfg.layout == "full":
                policy: Any = ZonePolicy
                lay = native_venv(env).task.zone_layout
                if lay is None or not lay.zone_major:
                    raise TwinError("layout 'full' needs a zone-major task (the hotel's)")
                kwargs: dict[str, Any] = zone_policy_kwargs(
                    lay.n_zones, lay.f_zone, lay.f_site, cfg.hidden, cfg.log_std_init, lay.n_act
                )
            else:  # one zone's view ("zone"), or the whole observation ("flat")
                policy = "MlpPolicy"
                kwargs = {"net_arch": [cfg.hidden, cfg.hidden], "log_std_init": cfg.log_std_init}
            return PPO(
                policy, env, learning_rate=cfg.learning_rate, n_steps=cfg.n_steps,
                batch_size=batch, n_epochs=cfg.n_epochs, gamma=cfg.gamma,
                gae_lambda=cfg.gae_lambda, ent_coef=cfg.ent_coef, clip_range=cfg.clip_range,
                policy_kwargs=kwargs, tensorboard_log=tb, seed=cfg.seed, device="cpu", verbose=0,
                use_sde=cfg.use_sde, sde_sample_freq=cfg.sde_sample_freq,
            )  # fmt: skip
        arch = {"net_arch": [cfg.hidden * 4, cfg.hidden * 4], "log_std_init": cfg.log_std_init}
        return SAC(
            "MlpPolicy", env, learning_rate=cfg.learning_rate, buffer_size=cfg.sac_buffer_size,
            batch_size=min(cfg.batch_size, 256), gamma=cfg.gamma, tensorboard_log=tb,
            seed=cfg.seed, device="cpu", verbose=0, policy_kwargs=arch,
        )  # fmt: skip

    # ------------------------------------------------------------------ files
    def latest(self) -> dict[str, Any] | None:
        """The last complete checkpoint, or ``None``."""
        path = self.run_dir / LATEST_FILE
        return json.loads(path.read_text()) if path.is_file() else None

    @cached_property
    def slots(self) -> int:
        """SB3 steps per env-step: one per zone in the zone layout, else one."""
        if self.config.layout != "zone":
            return 1
        from twin.building import build_building

        return build_building(self.scenario).n_zones

    def env_steps(self, model: Any) -> int:
        """Env-steps done by ``model`` (SB3 counts zone slots in the zone layout)."""
        return int(model.num_timesteps) // self.slots

    def checkpoint(self, model: Any, env: Any) -> None:
        """Save model and normalisation, then point ``latest.json`` at them."""
        steps = self.env_steps(model)
        folder = self.run_dir / "checkpoints"
        _model_to_bytes(model, folder, f"ckpt_{steps}.zip")
        save_norm(folder / f"norm_{steps}.npz", env)
        if self.config.algo == "sac":
            tmp = folder / f".buffer_{steps}.tmp-{os.getpid()}.pkl"
            model.save_replay_buffer(tmp)
            os.replace(tmp, folder / f"buffer_{steps}.pkl")
        record = {"steps": steps, "model": f"checkpoints/ckpt_{steps}.zip",
                  "norm": f"checkpoints/norm_{steps}.npz"}  # fmt: skip
        atomic_write(self.run_dir / LATEST_FILE, json.dumps(record, indent=2) + "\n")
        self._prune(steps)

    def _prune(self, keep_steps: int) -> None:
        """Keep the two newest checkpoints (the newest is the one latest.json names)."""
        folder = self.run_dir / "checkpoints"
        steps = sorted({int(p.stem.split("_")[1]) for p in folder.glob("ckpt_*.zip")})
        for old in steps[:-2]:
            if old == keep_steps:
                continue
            for pattern in (f"ckpt_{old}.zip", f"norm_{old}.npz", f"buffer_{old}.pkl"):
                (folder / pattern).unlink(missing_ok=True)

    def save_best(self, model: Any, env: Any, steps: int, reward: float) -> None:
        """Keep ``model`` as the best policy so far (``best/``, written atomically)."""
        folder = self.run_dir / BEST_DIR
        folder.mkdir(exist_ok=True)
        _model_to_bytes(model, folder, POLICY_FILE)
        save_norm(folder / NORM_FILE, env)
        record = {"steps": steps, "validation_reward": reward}
        atomic_write(folder / "best.json", json.dumps(record, indent=2) + "\n")

    def best(self) -> dict[str, Any] | None:
        """The best validated policy kept so far, or ``None``."""
        path = self.run_dir / BEST_DIR / "best.json"
        return json.loads(path.read_text()) if path.is_file() else None

    def export(self, model: Any, env: Any) -> None:
        """Write the policy to deploy next to the scenario it was trained on.

        The best validated checkpoint when ``select_best`` (see :class:`TrainConfig`),
        else the last iterate.
        """
        import shutil

        cfg = self.config
        best = self.best() if cfg.select_best else None
        if best is not None:
            for name in (POLICY_FILE, NORM_FILE):
                tmp = self.run_dir / f".{name}.tmp-{os.getpid()}"
                shutil.copyfile(self.run_dir / BEST_DIR / name, tmp)
                os.replace(tmp, self.run_dir / name)
        else:
            _model_to_bytes(model, self.run_dir, POLICY_FILE)
            save_norm(self.run_dir / NORM_FILE, env)
        meta = {"algo": cfg.algo, "layout": cfg.layout, "residual": cfg.residual,
                "venue": self.scenario.venue,
                "residual_scale": cfg.residual_scale, "personal_data": cfg.personal_data,
                "steps": best["steps"] if best else self.env_steps(model),
                "trained_steps": self.env_steps(model),
                "selected": "best validation reward" if best else "last"}  # fmt: skip
        atomic_write(self.run_dir / META_FILE, json.dumps(meta, indent=2) + "\n")

    # ------------------------------------------------------------------ run
    def run(self, progress_bar: bool = True) -> dict[str, Any]:
        """Train until ``total_steps``, resuming from ``latest.json`` if there is one."""
        import torch
        from stable_baselines3 import PPO, SAC

        from policies.callbacks import TrainingCallback

        cfg = self.config
        torch.set_num_threads(cfg.torch_threads)  # see TrainConfig.torch_threads
        env = self._make_env(cfg.n_envs, training=True)
        latest = self.latest()
        if latest is None:
            env.seed(cfg.seed)
            model = self._new_model(env)
            resumed = False
        else:
            load_norm(self.run_dir / latest["norm"], env)
            algo: Any = {"ppo": PPO, "sac": SAC}[cfg.algo]
            model = algo.load(self.run_dir / latest["model"], env=env, device="cpu")
            buffer = self.run_dir / "checkpoints" / f"buffer_{latest['steps']}.pkl"
            if cfg.algo == "sac" and buffer.is_file():
                model.load_replay_buffer(buffer)
            env.seed(cfg.seed + int(latest["steps"]))
            resumed = True
        callback = TrainingCallback(self, env)
        remaining = (cfg.total_steps - self.env_steps(model)) * self.slots
        done = self.stopped() is not None  # it beat the baseline before it was interrupted
        if remaining > 0 and not done:
            model.learn(
                total_timesteps=remaining, callback=callback, reset_num_timesteps=not resumed,
                tb_log_name="run", progress_bar=progress_bar,
            )  # fmt: skip
        validate_last = cfg.eval_every and cfg.eval_seeds and not done
        if validate_last and callback.last_eval < self.env_steps(model):
            callback.evaluate(self.env_steps(model))  # the last iterate competes too
        self.checkpoint(model, env)
        self.export(model, env)
        stopped = self.stopped()
        return {"steps": self.env_steps(model), "finished": True,
                "stopped_early": stopped is not None}  # fmt: skip

    def stopped(self) -> dict[str, Any] | None:
        """Why training stopped before ``total_steps`` (it beat the baseline), or ``None``."""
        path = self.run_dir / STOPPED_FILE
        return json.loads(path.read_text()) if path.is_file() else None

    def policy(self, model: Any, env: Any) -> TrainedPolicy:
        """The policy as it would be deployed now (for evaluation during training)."""
        from policies import baseline

        cfg = self.config
        task = native_venv(env).task
        rms = env.obs_rms
        base = baseline(cfg.residual, task) if cfg.residual else None
        return TrainedPolicy(
            model, rms.mean.copy(), rms.var.copy(), env.clip_obs, env.epsilon, base=base,
            residual_scale=cfg.residual_scale, name=cfg.algo,
            uses_personal_data=cfg.personal_data, layout=cfg.layout,
            zone_layout=getattr(task, "zone_layout", None),
        )  # fmt: skip
