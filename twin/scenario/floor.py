"""The sales floor of a store scenario: a text map and its legend, validated on load.

A store is drawn as a text map (one character per floor cell) whose legend says what
each character is (wall, aisle, entrance, checkout or the section of a product
category) and which building zone the cell belongs to. :func:`parse_map` turns the text
into rows; :class:`Floor` checks the characters, the entrance, the checkout and that
every walkable cell can be reached from the entrance. :mod:`agents.store.floorplan`
derives the walking geometry from the same parsed map.
"""

from __future__ import annotations

from collections import deque
from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from twin.scenario.base import Name, ScenarioModel

__all__ = ["CellKind", "Floor", "LegendEntry", "parse_map"]

CellKind = Literal["wall", "aisle", "entrance", "checkout", "section"]


class LegendEntry(ScenarioModel):
    """What a map character stands for.

    ``zone`` names the building zone (a ``[[zones]]`` group with ``count = 1``) whose air,
    light and sound the cell shares. Entrance, checkout and section cells need one;
    walls have none; an aisle without one takes the zone of the nearest zoned cell by
    walking distance (ties go to the lower zone index).
    """

    kind: CellKind
    category: Name | None = None
    zone: Name | None = None

    @model_validator(mode="after")
    def _check(self) -> LegendEntry:
        if self.kind == "section" and self.category is None:
            raise ValueError("kind = 'section' needs a category (one of store.categories)")
        if self.kind != "section" and self.category is not None:
            raise ValueError(
                f"category = {self.category!r} is only valid for kind = 'section', "
                f"not {self.kind!r}"
            )
        if self.kind == "wall" and self.zone is not None:
            raise ValueError(f"zone = {self.zone!r}: walls belong to no zone; remove it")
        if self.kind in ("entrance", "checkout", "section") and self.zone is None:
            raise ValueError(f"kind = {self.kind!r} needs a zone (a [[zones]] group name)")
        return self


def parse_map(text: str) -> tuple[str, ...]:
    """Rows of a text map, one character per cell.

    Leading and trailing blank lines and trailing spaces are ignored, so a map can be
    written as an indented TOML multi-line string; every remaining row must have the
    same length.

    Raises:
        ValueError: the map is empty or its rows differ in length (names the row).

    >>> parse_map('''
    ... ####
    ... #EC#
    ... ''')
    ('####', '#EC#')
    """
    lines = [line.rstrip(" \t\r") for line in text.split("\n")]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    if not lines:
        raise ValueError("the map is empty; draw one character per cell, rows on lines")
    width = len(lines[0])
    for i, line in enumerate(lines):
        if len(line) != width:
            raise ValueError(
                f"row {i} has {len(line)} characters but row 0 has {width}: all rows must "
                "have the same length (trailing spaces are ignored; rows count from 0)"
            )
    return tuple(lines)


def _cells_of(rows: tuple[str, ...], chars: set[str]) -> list[tuple[int, int]]:
    return [(r, c) for r, row in enumerate(rows) for c, ch in enumerate(row) if ch in chars]


def _reachable(
    rows: tuple[str, ...], walkable: set[str], starts: list[tuple[int, int]]
) -> set[tuple[int, int]]:
    """Cells reachable from ``starts`` by 4-neighbour moves over walkable characters.

    4-neighbour reachability equals the floor plan's 8-neighbour reachability because a
    diagonal step is only allowed where both cells beside it are walkable.
    """
    height, width = len(rows), len(rows[0])
    seen = set(starts)
    queue = deque(starts)
    while queue:
        r, c = queue.popleft()
        for nr, nc in ((r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1)):
            if (
                0 <= nr < height
                and 0 <= nc < width
                and (nr, nc) not in seen
                and rows[nr][nc] in walkable
            ):
                seen.add((nr, nc))
                queue.append((nr, nc))
    return seen


def _few(cells: list[tuple[int, int]], limit: int = 4) -> str:
    shown = ", ".join(f"({r}, {c})" for r, c in cells[:limit])
    return shown + (f" and {len(cells) - limit} more" if len(cells) > limit else "")


class Floor(ScenarioModel):
    """The sales floor as a text map: ``cell_m`` metres per character, rows on lines.

    Rows and columns count from 0 at the top left. ``legend`` maps each character used
    in ``map`` to a :class:`LegendEntry`. Shoppers walk on every non-wall cell (a
    section cell is floor where that category is shelved); the map needs an entrance and
    checkout cells, and every walkable cell must be reachable from the entrance.
    """

    cell_m: Annotated[float, Field(gt=0.25, le=10)] = 2.0
    # legend comes before map so that the map's validator can read it.
    legend: dict[str, LegendEntry] = Field(strict=False)
    map: str

    @field_validator("legend")
    @classmethod
    def _check_legend(cls, legend: dict[str, LegendEntry]) -> dict[str, LegendEntry]:
        for key in legend:
            if len(key) != 1 or key.isspace():
                raise ValueError(
                    f"key {key!r} must be a single visible character (the map's "
                    "characters are the legend's keys)"
                )
        return legend

    @field_validator("map")
    @classmethod
    def _check_map(cls, text: str, info: ValidationInfo) -> str:
        rows = parse_map(text)
        legend: dict[str, LegendEntry] | None = info.data.get("legend")
        if legend is None:
            return text  # the legend failed on its own; that is the error to report
        unknown = _cells_of(rows, {ch for row in rows for ch in row} - set(legend))
        if unknown:
            r, c = unknown[0]
            more = f" ({len(unknown) - 1} more unknown cells)" if len(unknown) > 1 else ""
            raise ValueError(
                f"character {rows[r][c]!r} at row {r}, col {c} is not in the legend{more}; "
                f"legend keys: {' '.join(sorted(legend))}"
            )
        kinds = {kind: {k for k, e in legend.items() if e.kind == kind} for kind in
                 ("wall", "entrance", "checkout", "section")}  # fmt: skip
        entrance = _cells_of(rows, kinds["entrance"])
        if not entrance:
            raise ValueError("has no entrance cell: mark one with a legend kind 'entrance'")
        checkout = _cells_of(rows, kinds["checkout"])
        if not checkout:
            raise ValueError("has no checkout cell: mark them with a legend kind 'checkout'")
        walkable = set(legend) - kinds["wall"]
        reached = _reachable(rows, walkable, entrance)
        cut_off = [cell for cell in _cells_of(rows, walkable) if cell not in reached]
        sections = sorted({legend[rows[r][c]].category or "" for r, c in cut_off} - {""})
        if sections:
            raise ValueError(
                f"sections not reachable from the entrance: {', '.join(sections)} "
                "(walls cut them off; shoppers step to the 4 neighbouring cells)"
            )
        if cut_off:
            lanes = [cell for cell in cut_off if cell in set(checkout)]
            raise ValueError(
                f"{'checkout cells' if lanes else 'cells'} at {_few(lanes or cut_off)} are not "
                "reachable from the entrance; connect them or make them walls"
            )
        return text

    @property
    def rows(self) -> tuple[str, ...]:
        """The map's rows (see :func:`parse_map`)."""
        return parse_map(self.map)

    def cells_of(self, kind: CellKind, category: str | None = None) -> list[tuple[int, int]]:
        """(row, col) of every cell of ``kind`` (and ``category``), in row-major order."""
        chars = {
            key
            for key, entry in self.legend.items()
            if entry.kind == kind and (category is None or entry.category == category)
        }
        return _cells_of(self.rows, chars)
