"""The store venue end to end: consent, observations, commands, KPIs, runs."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from agents.store.population import PR_TEMP, PR_VOL
from agents.store.slots import EMPTY
from policies import make_policy
from policies.evaluation import rollout_seeds
from tests.agents.test_shopper_kernel import house_commands
from tests.conftest import run_cli
from twin.errors import PolicyError
from twin.scenario import load_scenario
from twin.venues.store.kpis import exposure_entropy, mean_pairwise_jaccard
from twin.world import World


@pytest.fixture(scope="module")
def busy() -> World:
    w = World(load_scenario("store_small"), n_envs=2)
    w.reset([21, 22])
    for _ in range(60):
        w.step(house_commands(w))
    return w


def test_non_consenting_shoppers_preferences_never_reach_the_policy(busy):
    task = busy.venue.task(personal_data=True)
    s = busy.venue.slots
    here = s.stage != EMPTY
    refusing, consenting = here & (s.consent == 0), here & (s.consent == 1)
    assert refusing.any() and consenting.any()
    before, known = task.observe()
    np.testing.assert_array_equal(known, consenting)
    saved = (s.prefs.copy(), s.liking.copy(), s.affinity.copy())
    try:
        s.prefs[:, refusing] += 3.0
        s.liking[:, refusing] = 1.0 - s.liking[:, refusing]
        s.affinity[:, refusing] = 1.0 - s.affinity[:, refusing]
        after, _ = task.observe()
        np.testing.assert_array_equal(before, after)
        s.prefs[PR_TEMP][consenting] += 1.0  # consenting shoppers' data does show
        assert not np.array_equal(before, task.observe()[0])
        hidden, known = busy.venue.task(personal_data=False).observe()
        assert not known.any()
    finally:
        s.prefs[...], s.liking[...], s.affinity[...] = saved


def test_zone_block_holds_counts_and_consented_means(busy):
    task = busy.venue.task(personal_data=True)
    obs, _ = task.observe()
    enc, s = task.encoder, busy.venue.slots
    zi = {n: j for j, n in enumerate(enc.zone_features)}
    for e, z in itertools.product(range(busy.n_envs), range(busy.nz)):
        row = obs[e, z * enc.f_z : (z + 1) * enc.f_z]
        here = (s.stage[e] != EMPTY) & (s.zone[e] == z)
        mine = here & (s.consent[e] == 1)
        assert row[zi["count"]] == here.sum() == busy.count[e, z]
        assert row[zi["consented"]] == mine.sum()
        if mine.any():
            assert row[zi["pref_temp_c"]] == pytest.approx(s.prefs[PR_TEMP, e, mine].mean(), 1e-5)
            assert row[zi["pref_volume_db"]] == pytest.approx(s.prefs[PR_VOL, e, mine].mean(), 1e-5)
        genre = row[zi["volume_db"] + 1 : zi["volume_db"] + 1 + task.n_g]
        assert genre.argmax() == busy.venue.genre[e, z] and genre.sum() == 1
    assert task.observe()[0].shape == (busy.n_envs, task.obs_size)


def test_venue_commands_are_checked_not_wrapped(busy):
    cmd = house_commands(busy)
    bad = dict(cmd.venue, music_genre=np.full((busy.n_envs, busy.nz), 7))
    with pytest.raises(PolicyError, match=r"music_genre must be an index in \[0, 2\)"):
        busy.venue._apply(bad)
    loud = dict(cmd.venue, music_volume_db=np.full((busy.n_envs, busy.nz), 99.0))
    with pytest.raises(PolicyError, match="music_volume_db must lie in"):
        busy.venue._apply(loud)


def test_decode_normalise_round_trip(busy):
    task = busy.venue.task()
    rng = np.random.default_rng(0)
    n, nz = busy.n_envs, busy.nz
    heat = rng.uniform(18, 22, (n, nz))
    genre = rng.integers(0, task.n_g, (n, nz))
    display = rng.integers(0, task.n_c, (n, task.n_d))
    action = task.normalise(heat, heat + 2, np.full((n, nz), 500.0), np.full((n, nz), 4000.0),
                            np.full((n, nz), 60.0), genre, display)  # fmt: skip
    cmd = task.decode(action)
    np.testing.assert_allclose(cmd.heat_setpoint_c, heat, atol=1e-4)
    np.testing.assert_array_equal(cmd.venue["music_genre"], genre)
    np.testing.assert_array_equal(cmd.venue["display_category"], display)
    with pytest.raises(ValueError, match="music_volume_db"):
        task.normalise(heat, heat + 2, 500.0, 4000.0, 200.0, genre, display)


def test_filter_bubble_metrics_against_hand_computations():
    shown = np.array([[4.0, 0, 0, 0], [1, 1, 1, 1], [2, 2, 0, 0], [0, 0, 0, 0]])
    h = exposure_entropy(shown)
    np.testing.assert_allclose(h[:3], [0.0, 1.0, 0.5])
    assert np.isnan(h[3])
    rng = np.random.default_rng(1)
    masks = rng.integers(1, 1 << 8, 40)
    sets = [{i for i in range(8) if m >> i & 1} for m in masks]
    brute = np.mean([len(a & b) / len(a | b) for a, b in itertools.combinations(sets, 2)])
    assert mean_pairwise_jaccard(masks) == pytest.approx(brute, rel=1e-12)


def test_personalisation_and_the_diversity_rule_trade_relevance_for_variety():
    s = load_scenario("store_small")
    seeds = list(range(200, 206))
    res = {
        name: rollout_seeds(s, lambda task, name=name: make_policy(name, task), seeds)
        for name in ("fixed", "rule_based", "diversity")
    }
    mean = {n: {k: np.mean([e[k] for e in eps]) for k in eps[0]} for n, eps in res.items()}
    assert mean["fixed"]["personal_data_used"] == 0
    assert mean["rule_based"]["personal_data_used"] > 0
    assert mean["rule_based"]["mean_comfort"] > mean["fixed"]["mean_comfort"]
    assert mean["diversity"]["exposure_entropy"] > mean["rule_based"]["exposure_entropy"]


def test_twin_run_store_writes_the_store_kpis_and_plots(tmp_path):
    res = run_cli("run", "store_small", "--policy", "rule_based", "--out", "r", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    out = tmp_path / "r"
    kpis = json.loads((out / "kpis.json").read_text())
    for key in ("conversion_rate", "revenue", "mean_dwell_min", "exposure_entropy",
                "homogenisation", "fairness_gap", "personal_data_used", "energy_kwh"):  # fmt: skip
        assert key in kpis and kpis[key] is not None, key
    for name in ("floor_heatmap.png", "conversion_by_hour.png", "queue.png", "diversity.png",
                 "shoppers.csv", "shoppers.parquet", "zones.parquet"):  # fmt: skip
        assert (out / name).is_file(), name
    assert "revenue" in res.stdout and "exposure entropy" in res.stdout
