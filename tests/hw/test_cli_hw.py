"""The hardware commands of the CLI: point maps in twin check, clear one-line errors that
write nothing, and the commands' wiring."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from tests.hw.rigs import EXAMPLES
from twin.cli import main


def test_check_accepts_a_point_map(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(EXAMPLES / "hotel_small_rig.toml")]) == 0
    out = capsys.readouterr().out
    assert "hotel point map 'hotel-small-rig', 115 points" in " ".join(out.split())


def test_a_malformed_point_map_gives_one_line_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "site.toml"
    text = (EXAMPLES / "hotel_small_rig.toml").read_text()
    bad.write_text(text.replace("fail_safe = 21.0", "fail_safe = 35.0", 1))
    assert main(["check", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "points[4] (room_1.heat).fail_safe: fail_safe = 35.0 outside [min, max]" in err[0]
    out = tmp_path / "deploy"
    code = main(["deploy", "rule_based", "--points", str(bad), "--scenario", "hotel_small",
                 "--mode", "act", "--out", str(out)])  # fmt: skip
    assert code == 2 and not out.exists()
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_a_point_map_missing_what_the_policy_needs_is_refused_before_anything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tomllib.loads((EXAMPLES / "hotel_small_rig.toml").read_text())
    assert any(p["name"] == "lobby.light" for p in data["points"])
    text = (EXAMPLES / "hotel_small_rig.toml").read_text()
    start = text.index('name = "lobby.light"')
    cut = text.rfind("[[points]]", 0, start)
    end = text.index("[[points]]", start)
    short = tmp_path / "short.toml"
    short.write_text(text[:cut] + text[end:])
    out = tmp_path / "deploy"
    code = main(["deploy", "rule_based", "--points", str(short), "--scenario", "hotel_small",
                 "--out", str(out)])  # fmt: skip
    assert code == 2 and not out.exists()
    err = " ".join(capsys.readouterr().err.split())
    assert "lobby: no writable point for light_lux" in err


def test_validate_refuses_what_is_not_a_deployment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(tmp_path)]) == 2
    assert "not a complete deployment run directory" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("scenario", "home", "message"),
    [
        ("homes_small", "6", "--home 6: scenario 'homes-small' has 6 homes (0 to 5)"),
        ("homes_small", "-1", "--home -1: scenario 'homes-small' has 6 homes (0 to 5)"),
        ("hotel_small", "1", "is a hotel, not a neighbourhood of homes"),
    ],
)
def test_a_home_that_is_not_there_is_one_line_and_starts_nothing(
    scenario: str, home: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    points = EXAMPLES / f"{scenario}_rig.toml"
    code = main(["rig", "serve", scenario, "--points", str(points), "--home", home,
                 "--workdir", str(tmp_path / "rig")])  # fmt: skip
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and message in " ".join(err[0].split())
    assert not (tmp_path / "rig").exists()
