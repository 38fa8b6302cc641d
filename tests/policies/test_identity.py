"""PPO learns a personalisation task with a known optimum (like SB3's identity tests).

Four always-present guests who all consent and only their satisfaction is rewarded:
the optimum is each guest's stated preference, which the rule-based policy applies by
construction. A policy trained from scratch (no residual) must close at least half the
gap between the fixed schedule and that optimum on held-out seeds.
"""

from __future__ import annotations

from pathlib import Path

from policies import make_policy
from policies.evaluation import rollout_seeds, summarise
from policies.training import TrainConfig, Trainer
from twin.scenario import load_scenario

IDENTITY = Path(__file__).resolve().parents[1] / "data" / "identity.toml"


def test_ppo_learns_the_known_optimum_from_scratch(tmp_path):
    config = TrainConfig(
        scenario=str(IDENTITY), total_steps=120_000, n_envs=16, n_steps=32, batch_size=512,
        residual=None, checkpoint_every=0, eval_every=0, hidden=32, log_std_init=-0.5,
        learning_rate=1e-3, n_epochs=5,
    )  # fmt: skip
    Trainer.create(config, tmp_path / "run").run(progress_bar=False)
    scenario = load_scenario(IDENTITY)
    seeds = list(range(500, 508))
    score = {}
    for name in ("fixed", "rule_based", str(tmp_path / "run" / "policy.zip")):
        episodes = rollout_seeds(scenario, lambda task, name=name: make_policy(name, task), seeds)
        score[name] = summarise(episodes, ["mean_satisfaction"])["mean_satisfaction"]["mean"]
    fixed, optimum = score["fixed"], score["rule_based"]
    learned = score[str(tmp_path / "run" / "policy.zip")]
    assert optimum > fixed + 0.1  # the task has something to learn
    assert learned > fixed + 0.5 * (optimum - fixed), score
