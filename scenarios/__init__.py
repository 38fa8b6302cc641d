"""The scenarios that ship with twin, installed as package data.

``twin run hotel`` and ``load_scenario("hotel")`` find ``hotel.toml`` here whether twin
runs from a source checkout or from an installed wheel.

>>> "hotel" in names()
True
>>> path("hotel").name
'hotel.toml'
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def folder() -> Path:
    """The folder holding the shipped scenario files."""
    return Path(str(files(__name__)))


def names() -> list[str]:
    """Names of the shipped scenarios (file names without ``.toml``)."""
    return sorted(p.stem for p in folder().glob("*.toml"))


def path(name: str) -> Path:
    """The file of shipped scenario ``name`` (``"store"`` or ``"store.toml"``)."""
    return folder() / (name if name.endswith(".toml") else f"{name}.toml")
