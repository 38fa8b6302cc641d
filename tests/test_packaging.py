"""The wheel carries what a user outside a source checkout needs: the shipped scenarios."""

from __future__ import annotations

import subprocess
import sys
import zipfile

import pytest

from tests.conftest import ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    res = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(out), str(ROOT)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    (path,) = out.glob("twin-*.whl")
    return path


def test_wheel_ships_the_scenarios_and_type_marker(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {p.name for p in (ROOT / "scenarios").glob("*.toml")}
    assert {f"scenarios/{n}" for n in shipped} <= names
    assert "scenarios/__init__.py" in names and "twin/py.typed" in names


def test_scenarios_load_by_name_from_the_installed_files_alone(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = (
        "import scenarios, twin.scenario as s; "
        f"assert scenarios.__file__.startswith({str(site)!r}), scenarios.__file__; "
        "print(s.load_scenario('hotel_small').name)"
    )
    res = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"}, timeout=120,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "hotel-small"
