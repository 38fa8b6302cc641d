"""Training, checkpoints, resume after a hard kill, loading, and evaluation."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from stable_baselines3 import PPO
from stable_baselines3.common.vec_env import VecEnv

from policies import make_policy
from policies.evaluation import headline_kpis, rollout_seeds, summarise
from policies.hotel import RuleBasedPolicy
from policies.residual import ResidualVecEnv
from policies.training import TrainConfig, Trainer
from policies.vec_env import SB3VecEnv
from tests.conftest import ROOT, SCENARIOS, run_cli
from twin.envs.hotel import HotelEnv, HotelVectorEnv
from twin.errors import TwinError
from twin.physics.passes import ACC_COST, ACC_DISCOMFORT_KH
from twin.scenario import load_scenario

SMALL = SCENARIOS / "hotel_small.toml"


def reference_terms(world, prev, weights, control):
    """The reward terms written out with NumPy, for the step the World just took."""
    s = world.venue.slots
    nz, dt_h = world.nz, world.dt_h
    sat = (s.sat * (s.active == 1)).sum(axis=1) / world.venue.n_rooms * dt_h
    excess = world.step_excess.sum(axis=1) * dt_h / nz
    cost = world.step_zone_power.sum(axis=1) * world.step_price * dt_h / 1000
    heat, cool = world.setpoint, world.cool_setpoint
    outside = np.maximum(heat - control.safe_max_c, 0) + np.maximum(control.safe_min_c - cool, 0)
    unsafe = (outside * world.zone_occupied).sum(axis=1) / nz * dt_h
    tol = weights.oscillation_tolerance_k
    osc = np.maximum(np.abs(heat - prev[0]) - tol, 0) + np.maximum(np.abs(cool - prev[1]) - tol, 0)
    return {
        "satisfaction": weights.satisfaction * sat,
        "discomfort": -weights.discomfort * excess,
        "energy_cost": -weights.energy_cost * cost,
        "unsafe": -weights.unsafe * unsafe,
        "oscillation": -weights.oscillation * osc.sum(axis=1) / nz,
    }


def test_reward_kernel_matches_a_numpy_reference_term_by_term():
    venv = HotelVectorEnv(2, SMALL)
    venv.reset(seed=8)
    control = venv.world.scenario.control
    rng = np.random.default_rng(2)
    act = rng.uniform(-1, 1, (2, venv.single_action_space.shape[0])).astype(np.float32)
    venv.step(act)
    for _ in range(40):
        prev = (venv.world.setpoint.copy(), venv.world.cool_setpoint.copy())
        act = rng.uniform(-1, 1, act.shape).astype(np.float32)
        _, reward, _, _, info = venv.step(act)
        want = reference_terms(venv.world, prev, control.reward, control)
        for key, value in want.items():
            np.testing.assert_allclose(info["reward_terms"][key], value, rtol=1e-9, atol=1e-12)
        assert any(np.any(want[k] != 0) for k in ("unsafe", "oscillation"))


def test_reward_terms_agree_with_the_worlds_own_kpi_accumulators():
    venv = HotelVectorEnv(2, SMALL)
    venv.reset(seed=4)
    rng = np.random.default_rng(0)
    totals = {"energy_cost": np.zeros(2), "discomfort": np.zeros(2)}
    for _ in range(60):
        action = rng.uniform(-1, 1, (2, venv.single_action_space.shape[0])).astype(np.float32)
        _, reward, _, _, info = venv.step(action)
        for key in totals:
            totals[key] += info["reward_terms"][key]
        np.testing.assert_allclose(reward, sum(info["reward_terms"].values()), rtol=1e-9)
    weights = venv.world.scenario.control.reward
    np.testing.assert_allclose(
        totals["energy_cost"], -weights.energy_cost * venv.world.acc[ACC_COST]
    )
    np.testing.assert_allclose(
        totals["discomfort"], -weights.discomfort * venv.world.acc[ACC_DISCOMFORT_KH]
    )


def test_zone_adapter_splits_the_hotel_reward_over_zones():
    from policies.zone_env import ZoneVecEnv

    seeds, nz = 4, None
    hotel = HotelVectorEnv(2, SMALL)
    hotel.reset(seed=seeds)
    venv = HotelVectorEnv(2, SMALL)
    zone = ZoneVecEnv(venv)
    zone.seed(seeds)
    obs = zone.reset()
    nz = venv.task.nz
    assert obs.shape == (2 * nz, zone.observation_space.shape[0])
    rng = np.random.default_rng(0)
    for _ in range(30):
        action = rng.uniform(-1, 1, (2, nz * 4)).astype(np.float32)
        _, hotel_reward, *_ = hotel.step(action)
        zone.step_async(action.reshape(2 * nz, 4))
        obs, rewards, _, _ = zone.step_wait()
        np.testing.assert_allclose(rewards.reshape(2, nz).sum(axis=1), hotel_reward, rtol=1e-5)
        assert zone.observation_space.contains(obs[0])
    full = venv.task.encoder.encode_reference(venv.task.reference())
    np.testing.assert_array_equal(venv.task.zone_layout.zone_view(full), obs)


def test_sb3_adapter_reports_terminal_observation_at_the_horizon():
    venv = SB3VecEnv(HotelVectorEnv(2, SMALL))
    venv.seed(3)
    obs = venv.reset()
    n = venv.venv.world.n_steps
    for t in range(n):
        venv.step_async(np.zeros((2, venv.action_space.shape[0]), np.float32))
        obs, rewards, dones, infos = venv.step_wait()
        if t < n - 1:
            assert not dones.any() and "terminal_observation" not in infos[0]
    assert dones.all()
    for info in infos:
        assert info["TimeLimit.truncated"] is True
        assert info["terminal_observation"].shape == obs.shape[1:]
        assert "kpis" in info
    assert not np.array_equal(infos[0]["terminal_observation"], obs[0])  # obs is the new episode's


class _Spy(VecEnv):
    """A VecEnv that records the actions it receives."""

    def __init__(self, inner: SB3VecEnv):
        self.inner = inner
        super().__init__(inner.num_envs, inner.observation_space, inner.action_space)

    def reset(self):
        return self.inner.reset()

    def step_async(self, actions):
        self.received = actions
        self.inner.step_async(actions)

    def step_wait(self):
        return self.inner.step_wait()

    def close(self): ...
    def get_attr(self, name, indices=None):
        return self.inner.get_attr(name, indices)  # noqa: E704

    def set_attr(self, *a, **k): ...  # noqa: E704
    def env_method(self, *a, **k): ...  # noqa: E704
    def env_is_wrapped(self, *a, **k):
        return [False] * self.num_envs  # noqa: E704


def test_untrained_residual_policy_acts_like_its_base():
    inner = SB3VecEnv(HotelVectorEnv(2, SMALL))
    spy = _Spy(inner)
    base = RuleBasedPolicy(inner.venv.task)
    env = ResidualVecEnv(spy, base, scale=0.5)
    obs = env.reset()
    env.step_async(np.zeros((2, env.action_space.shape[0]), np.float32))
    env.step_wait()
    np.testing.assert_array_equal(spy.received, base.predict(obs)[0])
    shifted = np.full((2, env.action_space.shape[0]), 0.2, np.float32)
    obs = env._obs
    env.step_async(shifted)
    np.testing.assert_allclose(spy.received, np.clip(base.predict(obs)[0] + 0.1, -1, 1), atol=1e-6)


def test_train_config_rejects_bad_values_and_unknown_keys():
    with pytest.raises(TwinError, match="total_steps = 0 must be >= 1"):
        TrainConfig(scenario=str(SMALL), total_steps=0)
    with pytest.raises(TwinError, match="unknown keys lr"):
        TrainConfig.from_json(json.dumps({"scenario": "x", "lr": 1}))
    cfg = TrainConfig(scenario=str(SMALL), eval_seeds=(1, 2))
    assert TrainConfig.from_json(cfg.to_json()) == cfg


def _config(tmp_path, **kw):
    base = dict(scenario=str(SMALL), total_steps=2048, n_envs=4, n_steps=32, batch_size=128,
                checkpoint_every=256, eval_every=1024, eval_seeds=(11, 12), hidden=16)  # fmt: skip
    base.update(kw)
    return TrainConfig(**base)


@pytest.mark.parametrize("layout", ["zone", "full", "flat"])
def test_training_writes_a_loadable_policy_and_evaluations(tmp_path, layout):
    trainer = Trainer.create(_config(tmp_path, layout=layout), tmp_path / "run")
    result = trainer.run(progress_bar=False)
    run = tmp_path / "run"
    assert result == {"steps": 2048, "finished": True, "stopped_early": False}
    assert json.loads((run / "policy.json").read_text())["layout"] == layout
    for name in ("policy.zip", "policy.json", "obs_norm.npz", "scenario.json",
                 "train_config.json", "latest.json", "evaluations.json"):  # fmt: skip
        assert (run / name).is_file(), name
    assert list((run / "tb").rglob("events.out.tfevents*"))
    evals = json.loads((run / "evaluations.json").read_text())
    assert evals and all(e["steps"] >= 1024 for e in evals)
    assert evals[-1]["steps"] == 2048  # the last iterate is validated too
    # The exported policy is the best validated one, byte for byte.
    best = json.loads((run / "best" / "best.json").read_text())
    rewards = {e["steps"]: e["reward"]["mean"] for e in evals}
    assert best["validation_reward"] == max(rewards.values()) == rewards[best["steps"]]
    assert (run / "policy.zip").read_bytes() == (run / "best" / "policy.zip").read_bytes()
    meta = json.loads((run / "policy.json").read_text())
    assert meta["selected"] == "best validation reward" and meta["steps"] == best["steps"]
    assert {"mean", "ci_low", "ci_high"} <= set(evals[-1]["reward"])
    env = HotelEnv(SMALL)
    policy = make_policy(str(run / "policy.zip"), env.task)
    obs, _ = env.reset(seed=1)
    action, _ = policy.predict(obs)
    assert env.action_space.contains(action)
    # A zone policy acts on any building (one network per zone); a whole-hotel policy
    # trained on another building is refused with a clear message.
    other = HotelEnv(SCENARIOS / "hotel.toml")
    if layout == "zone":
        obs, _ = other.reset(seed=1)
        action, _ = make_policy(str(run / "policy.zip"), other.task).predict(obs)
        assert other.action_space.contains(action)
    else:
        with pytest.raises(TwinError, match="trained for observations of size"):
            make_policy(str(run / "policy.zip"), other.task)


def _baseline_cache(run, reward_mean):
    """A cached validation of the ``fixed`` baseline with the given reward interval."""
    reward = {"mean": reward_mean, "ci_low": reward_mean - 1, "ci_high": reward_mean + 1, "n": 2}
    record = {"policy": "fixed", "seeds": [11, 12], "summary": {"reward": reward}}
    (run / "baseline_eval.json").write_text(json.dumps(record))


@pytest.mark.parametrize("patience", [1, 2])
def test_training_stops_once_it_beats_the_baseline(tmp_path, patience):
    run = tmp_path / "run"
    cfg = _config(tmp_path, total_steps=4096, stop_when_beats="fixed", stop_patience=patience)
    trainer = Trainer.create(cfg, run)
    _baseline_cache(run, -1e9)  # a baseline far below anything the policy scores
    result = trainer.run(progress_bar=False)
    at = 1024 * patience  # evaluations every 1,024 steps, `patience` of them in a row
    stopped = json.loads((run / "stopped.json").read_text())
    assert result == {"steps": at, "finished": True, "stopped_early": True}
    assert stopped["steps"] == at and stopped["baseline"] == "fixed"
    assert stopped["evaluations_in_a_row"] == patience
    evals = [e["steps"] for e in json.loads((run / "evaluations.json").read_text())]
    assert evals == list(range(1024, at + 1, 1024))
    assert json.loads((run / "policy.json").read_text())["steps"] <= at
    # Resuming a run that already beat its baseline trains no further.
    assert Trainer.resume(run).run(progress_bar=False)["steps"] == at


def test_training_goes_on_while_the_baseline_is_not_beaten(tmp_path):
    run = tmp_path / "run"
    trainer = Trainer.create(_config(tmp_path, stop_when_beats="fixed"), run)
    _baseline_cache(run, 1e9)
    assert trainer.run(progress_bar=False) == {"steps": 2048, "finished": True,
                                               "stopped_early": False}  # fmt: skip
    assert not (run / "stopped.json").exists()


def test_the_baseline_is_scored_on_the_validation_seeds(tmp_path):
    cfg = _config(tmp_path, total_steps=1024, stop_when_beats="fixed")
    run = tmp_path / "run"
    result = Trainer.create(cfg, run).run(progress_bar=False)
    saved = json.loads((run / "baseline_eval.json").read_text())
    s = load_scenario(SMALL)
    expected = summarise(rollout_seeds(s, lambda t: make_policy("fixed", t), [11, 12]),
                         headline_kpis(s))  # fmt: skip
    assert saved["seeds"] == [11, 12]
    assert saved["summary"]["reward"] == pytest.approx(expected["reward"])
    mine = json.loads((run / "evaluations.json").read_text())[-1]["reward"]
    assert result["stopped_early"] == (mine["ci_low"] > expected["reward"]["ci_high"])


def test_stop_when_beats_needs_validation():
    with pytest.raises(TwinError, match="stop_when_beats needs eval_every"):
        TrainConfig(scenario=str(SMALL), stop_when_beats="fixed", eval_every=0)
    with pytest.raises(TwinError, match="stop_patience = 0 must be >= 1"):
        TrainConfig(scenario=str(SMALL), stop_when_beats="fixed", stop_patience=0)


def test_kill_mid_training_then_resume_reaches_the_same_total(tmp_path):
    run = tmp_path / "run"
    total = 12288
    cmd = [sys.executable, "-c", "import sys; from twin.cli import main; sys.exit(main())",
           "train", str(SMALL), "--steps", str(total), "--envs", "4", "--out", str(run),
           "--checkpoint-every", "512", "--eval-every", "0"]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 300
    while time.time() < deadline:
        latest = run / "latest.json"
        if latest.is_file() and json.loads(latest.read_text())["steps"] > 0:
            break
        if proc.poll() is not None:
            pytest.fail(f"training ended early: {proc.stderr.read().decode()[-2000:]}")
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed_at = json.loads((run / "latest.json").read_text())["steps"]
    assert 0 < killed_at < total
    assert not (run / "policy.zip").exists()
    # The checkpoint latest.json names is complete and loadable.
    PPO.load(run / json.loads((run / "latest.json").read_text())["model"], device="cpu")
    res = run_cli("train", "--resume", str(run))
    assert res.returncode == 0, res.stderr
    meta = json.loads((run / "policy.json").read_text())
    assert meta["steps"] == total
    assert json.loads((run / "latest.json").read_text())["steps"] == total
    assert not list(run.rglob(".*tmp*"))  # no half-written files left behind
    env = HotelEnv(SMALL)
    make_policy(str(run / "policy.zip"), env.task)


def test_evaluate_cli_writes_intervals_for_every_policy(tmp_path):
    out = tmp_path / "eval"
    res = run_cli("evaluate", str(SMALL), "--policy", "fixed", "--policy", "rule_based",
                  "--seeds", "4", "--out", str(out))  # fmt: skip
    assert res.returncode == 0, res.stderr
    data = json.loads((out / "evaluation.json").read_text())
    assert data["seeds"] == [1_000_000, 1_000_001, 1_000_002, 1_000_003]
    for name in ("fixed", "rule_based"):
        pol = data["policies"][name]
        for key in ("reward", "mean_satisfaction", "discomfort_kh", "energy_kwh",
                    "fairness_gap", "personal_data_used"):  # fmt: skip
            assert pol[key]["ci_low"] <= pol[key]["mean"] <= pol[key]["ci_high"], key
    assert data["policies"]["fixed"]["personal_data_used"]["mean"] == 0
    assert (out / "evaluation.png").is_file()
    # Seed s of the evaluation is the episode `twin run --seed s` produces.
    episodes = json.loads((out / "episodes.json").read_text())
    run = tmp_path / "run"
    res = run_cli("run", str(SMALL), "--policy", "fixed", "--seed", "1000002", "--out", str(run))
    assert res.returncode == 0, res.stderr
    kpis = json.loads((run / "kpis.json").read_text())
    assert episodes["fixed"][2]["mean_satisfaction"] == kpis["mean_satisfaction"]


def test_sac_trains_checkpoints_its_replay_buffer_and_exports(tmp_path):
    config = _config(tmp_path, algo="sac", total_steps=300, n_envs=2, checkpoint_every=150,
                     eval_every=0, hidden=16)  # fmt: skip
    trainer = Trainer.create(config, tmp_path / "run")
    assert trainer.run(progress_bar=False)["steps"] == 300
    run = tmp_path / "run"
    assert json.loads((run / "policy.json").read_text())["algo"] == "sac"
    assert list((run / "checkpoints").glob("buffer_*.pkl"))
    env = HotelEnv(SMALL)
    obs, _ = env.reset(seed=0)
    action, _ = make_policy(str(run / "policy.zip"), env.task).predict(obs)
    assert env.action_space.contains(action)
