"""The dashboard's UI-free backend: live sessions of every venue, policy switching, replay."""

from __future__ import annotations

import numpy as np
import pytest

from twin.cli import main
from twin.dashboard.session import LiveSession, ReplaySession, open_session
from twin.errors import PolicyError, RunDirectoryError, ScenarioError


@pytest.mark.parametrize("name", ["hotel_small", "store_small", "homes_small"])
def test_every_venue_gives_a_snapshot_that_advances(name):
    s = LiveSession(name)
    first = s.snapshot()
    assert first.step == 0 and first.frame.temp.shape == (s.layout.n_tiles,)
    assert s.step(3) == 3
    snap = s.snapshot()
    assert snap.step == 3 and snap.time != first.time
    assert len(snap.history["hours"]) == 3
    assert np.isfinite(snap.frame.temp).all()
    shown = ~np.isnan(snap.frame.occ_sat)
    assert np.isfinite(snap.frame.occ_xy[shown]).all()
    assert snap.kpis  # KPIs so far


def test_switching_policy_keeps_the_world_and_changes_who_acts():
    s = LiveSession("hotel_small", policy="rule_based")
    s.step(4)
    s.set_policy("fixed")
    assert s.snapshot().policy != "rule_based" and s.snapshot().step == 4
    s.step(2)
    assert s.snapshot().step == 6
    with pytest.raises(PolicyError, match="nonsense"):
        s.set_policy("nonsense")


def test_bad_scenario_and_run_dir_raise_user_errors(tmp_path):
    with pytest.raises(ScenarioError):
        open_session("no_such_scenario")
    with pytest.raises(RunDirectoryError, match="kpis.json|scenario.json"):
        open_session(tmp_path)


def test_replay_steps_through_what_twin_run_wrote(tmp_path):
    out = tmp_path / "run"
    assert main(["run", "store_small", "--policy", "fixed", "--out", str(out)]) == 0
    r = ReplaySession(out)
    assert r.snapshot().step == 0 and not r.snapshot().kpis
    r.step(r.n_steps + 5)
    end = r.snapshot()
    assert r.done and end.step == r.n_steps == 180 and end.kpis["visitors"] > 0
    assert len(end.history["mean_satisfaction"]) == r.n_steps


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["dashboard", "no_such_scenario"], "no_such_scenario"),
        (["dashboard", "store_small", "--policy", "nonsense"], "nonsense"),
        (["dashboard", "."], "not a `twin run` directory"),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_2(args, needle, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err
    assert err.count("error:") == 1


def test_missing_solara_names_the_extra(monkeypatch, capsys):
    import twin.dashboard.server as server

    monkeypatch.setattr(server.importlib.util, "find_spec", lambda name: None)
    assert main(["dashboard", "store_small"]) == 2
    err = capsys.readouterr().err
    assert "twin[dashboard]" in err and "Traceback" not in err
