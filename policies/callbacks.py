"""The training callback: checkpoints and evaluation on held-out seeds, as SB3 runs."""

from __future__ import annotations

import json
from typing import Any

from stable_baselines3.common.callbacks import BaseCallback

from policies.evaluation import headline_kpis, rollout_seeds, summarise
from twin.rundir import atomic_write


class TrainingCallback(BaseCallback):
    """Checkpoint every ``checkpoint_every`` steps and evaluate every ``eval_every``."""

    def __init__(self, trainer: Any, env: Any) -> None:
        super().__init__()
        self.trainer = trainer
        self.env_ref = env
        self._last_ckpt = 0
        self.last_eval = 0
        self._streak = 0  # evaluations in a row whose CI cleared the baseline's

    def _on_training_start(self) -> None:
        self._last_ckpt = self.last_eval = self.trainer.env_steps(self.model)

    def _on_step(self) -> bool:
        cfg = self.trainer.config
        n = self.trainer.env_steps(self.model)
        if cfg.checkpoint_every and n - self._last_ckpt >= cfg.checkpoint_every:
            self.trainer.checkpoint(self.model, self.env_ref)
            self._last_ckpt = n
        if cfg.eval_every and cfg.eval_seeds and n - self.last_eval >= cfg.eval_every:
            summary = self.evaluate(n)
            if cfg.stop_when_beats:
                self._streak = self._streak + 1 if self.separated(summary) else 0
                if self._streak >= cfg.stop_patience:
                    self.record_stop(summary, n)
                    return False  # SB3 stops learning; Trainer.run exports the policy
            hook = getattr(self.trainer, "on_evaluation", None)  # set by twin tune
            if hook is not None and hook(n, summary) is False:
                return False  # a scheduler (ASHA) stopped this trial; the policy is exported
        return True

    def baseline_summary(self) -> dict[str, Any]:
        """The ``stop_when_beats`` baseline on the validation seeds (computed once, kept)."""
        from policies import make_policy

        cfg = self.trainer.config
        path = self.trainer.run_dir / "baseline_eval.json"
        if path.is_file():
            saved = json.loads(path.read_text())
            if saved.get("policy") == cfg.stop_when_beats:
                return saved["summary"]  # type: ignore[no-any-return]
        scenario = self.trainer.scenario
        episodes = rollout_seeds(
            scenario, lambda task: make_policy(cfg.stop_when_beats, task), cfg.eval_seeds
        )
        summary = summarise(episodes, headline_kpis(scenario))
        record = {"policy": cfg.stop_when_beats, "seeds": list(cfg.eval_seeds), "summary": summary}
        atomic_write(path, json.dumps(record, indent=2) + "\n")
        return summary

    def separated(self, summary: dict[str, Any]) -> bool:
        """Whether the policy's reward CI lies above the baseline's on the validation seeds."""
        return bool(summary["reward"]["ci_low"] > self.baseline_summary()["reward"]["ci_high"])

    def record_stop(self, summary: dict[str, Any], steps: int) -> None:
        """Write ``stopped.json``: training beat ``stop_when_beats`` at ``steps``."""
        from policies.training import STOPPED_FILE

        cfg = self.trainer.config
        record = {"steps": steps, "baseline": cfg.stop_when_beats,
                  "evaluations_in_a_row": cfg.stop_patience, "reward": summary["reward"],
                  "baseline_reward": self.baseline_summary()["reward"]}  # fmt: skip
        atomic_write(self.trainer.run_dir / STOPPED_FILE, json.dumps(record, indent=2) + "\n")

    def evaluate(self, steps: int) -> dict[str, Any]:
        """Score the current policy on the validation seeds; log it; keep it if the best.

        Logged to TensorBoard and ``evaluations.json``; a policy better than every earlier
        one is kept in ``best/`` (see ``TrainConfig.select_best``).
        """
        self.last_eval = steps
        cfg = self.trainer.config
        policy = self.trainer.policy(self.model, self.env_ref)
        episodes = rollout_seeds(self.trainer.scenario, lambda task: policy, cfg.eval_seeds)
        summary = summarise(episodes, headline_kpis(self.trainer.scenario))
        for key in ("reward", *headline_kpis(self.trainer.scenario)[:3]):
            if key in summary:
                self.logger.record(f"eval/{key}", summary[key]["mean"])
        path = self.trainer.run_dir / "evaluations.json"
        log = json.loads(path.read_text()) if path.is_file() else []
        best = max((e["reward"]["mean"] for e in log), default=-float("inf"))
        if summary["reward"]["mean"] > best:
            self.trainer.save_best(self.model, self.env_ref, steps, summary["reward"]["mean"])
        log.append({"steps": steps, **{k: v for k, v in summary.items() if k != "_seeds"}})
        atomic_write(path, json.dumps(log, indent=2) + "\n")
        return summary
