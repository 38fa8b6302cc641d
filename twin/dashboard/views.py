"""What the dashboard draws, for any venue: a floor plan of tiles and the occupants on it.

UI-free and venue-neutral for its callers: a :class:`Layout` (built from the scenario
alone, so a replay rebuilds it from a run directory's ``scenario.json``) maps grid cells
to tiles, one tile per building zone of a copy; a :class:`Frame` (read from a World at
one instant) holds each tile's temperature and its occupants' preferred temperature, and
each occupant slot's position and satisfaction. The hotel's rooms are a grid of blocks,
the store is its text map (cells coloured by their zone), a neighbourhood of homes is a
grid of houses split into their zones.

Occupants are fixed-size slot arrays (a room's guest party, a store's shopper slots, a
home's residents), NaN where the slot is empty, so frames stack into a compact replay.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from agents.kernels import ASLEEP, AWAKE
from twin.building import build_building
from twin.scenario import Scenario

if TYPE_CHECKING:
    from twin.world import World

#: A neighbourhood shows (and a run records) at most this many homes.
MAX_HOMES = 48
#: Cells per tile edge in the hotel and homes layouts (a gap of one cell between tiles).
BLOCK = 4
#: Headline time series every venue's frames carry (chart name -> unit).
SERIES = {
    "mean_satisfaction": "0-1",
    "power_kw": "kW",
    "occupants": "people",
}


@dataclass(frozen=True, slots=True, eq=False)
class Layout:
    """Where each tile and occupant slot is drawn.

    Attributes:
        venue: the scenario's venue.
        tile_map: ``(H, W)`` tile index of each cell, -1 for walls and gaps.
        tile_copy, tile_zone: ``(n_tiles,)`` World copy and zone each tile shows.
        labels: ``(x, y, text)`` drawn on the plan (room, section or home names).
        n_copies: World copies the frames read (homes shown).
        n_occupants: occupant slots per frame.
        band: the scenario's comfort band (deg C), the reference of an empty tile.
    """

    venue: str
    tile_map: np.ndarray
    tile_copy: np.ndarray
    tile_zone: np.ndarray
    labels: tuple[tuple[float, float, str], ...]
    n_copies: int
    n_occupants: int
    band: tuple[float, float]
    store_kind: np.ndarray | None = None  # (H, W) cell kinds of a store's map

    @property
    def n_tiles(self) -> int:
        """Tiles on the plan."""
        return len(self.tile_zone)


@dataclass(slots=True)
class Frame:
    """The plan at one instant (see the module docstring).

    Attributes:
        temp: ``(n_tiles,)`` operative temperature (deg C).
        pref: ``(n_tiles,)`` mean preferred temperature of the tile's occupants now,
            NaN when nobody is there.
        occ_xy: ``(n_occupants, 2)`` (x, y) plan position, NaN for an empty slot.
        occ_sat: ``(n_occupants,)`` satisfaction 0-1, NaN for an empty slot.
        series: the :data:`SERIES` values now.
    """

    temp: np.ndarray
    pref: np.ndarray
    occ_xy: np.ndarray
    occ_sat: np.ndarray
    series: dict[str, float] = field(default_factory=dict)

    def deviation(self, band: tuple[float, float]) -> np.ndarray:
        """Tile temperature minus its occupants' preference; empty tiles: K outside the band."""
        lo, hi = band
        outside = np.where(self.temp < lo, self.temp - lo, np.maximum(self.temp - hi, 0.0))
        return np.where(np.isnan(self.pref), outside, self.temp - self.pref)


def _blocks(n: int, cols: int, w: int, h: int) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """An empty map holding ``n`` blocks of ``w x h`` cells, and each block's corner (x, y)."""
    rows = -(-n // cols)
    grid = np.full((rows * (h + 1) + 1, cols * (w + 1) + 1), -1, np.int64)
    corners = [(1 + (i % cols) * (w + 1), 1 + (i // cols) * (h + 1)) for i in range(n)]
    return grid, corners


def build_layout(scenario: Scenario) -> Layout:
    """The plan of ``scenario``'s venue (see the module docstring)."""
    band = (scenario.comfort.lower_c, scenario.comfort.upper_c)
    b = build_building(scenario)
    if scenario.venue == "store":
        from agents.store.floorplan import FloorPlan

        plan = FloorPlan.of(scenario)
        labels = tuple(
            (float(c.mean(axis=0)[1]), float(c.mean(axis=0)[0]), name)
            for c, name in zip(plan.place_cells, plan.category_names, strict=False)
        )
        return Layout(
            "store", np.asarray(plan.zone_of, np.int64), np.zeros(b.n_zones, np.int64),
            np.arange(b.n_zones), labels, 1, scenario.store.max_shoppers,  # type: ignore[union-attr]
            band, np.asarray(plan.kind),
        )  # fmt: skip
    if scenario.venue == "home":
        from twin.scenario.home import MAX_RESIDENTS

        n = min(scenario.home.n_homes, MAX_HOMES)  # type: ignore[union-attr]
        nz = b.n_zones
        grid, corners = _blocks(n, int(np.ceil(np.sqrt(n * 1.5))), nz * 2, 3)
        copies: list[int] = []
        zones: list[int] = []
        home_labels: list[tuple[float, float, str]] = []
        for e, (x, y) in enumerate(corners):
            for z in range(nz):
                grid[y : y + 3, x + 2 * z : x + 2 * z + 2] = len(zones)
                copies.append(e)
                zones.append(z)
            home_labels.append((x + nz - 0.5, y - 0.7, f"home {e}"))
        return Layout(
            "home", grid, np.array(copies), np.array(zones), tuple(home_labels), n,
            n * MAX_RESIDENTS, band,
        )  # fmt: skip
    # hotel (and any venue without its own plan): a grid of zones, guest rooms first
    order = np.r_[b.zones_of_kind("guest_room"), np.setdiff1d(
        np.arange(b.n_zones), b.zones_of_kind("guest_room"))].astype(np.int64)  # fmt: skip
    grid, corners = _blocks(len(order), int(np.ceil(np.sqrt(len(order)))), BLOCK, BLOCK)
    zone_labels: list[tuple[float, float, str]] = []
    for i, (x, y) in enumerate(corners):
        grid[y : y + BLOCK, x : x + BLOCK] = i
        zone_labels.append((x + BLOCK / 2 - 0.5, y + 0.2, b.zone_names[order[i]]))
    n_rooms = len(b.zones_of_kind("guest_room"))
    return Layout(
        scenario.venue, grid, np.zeros(len(order), np.int64), order, tuple(zone_labels), 1,
        n_rooms, band,
    )  # fmt: skip


def _centres(layout: Layout) -> np.ndarray:
    """``(n_tiles, 2)`` (x, y) centre of each tile's cells."""
    rows, cols = np.nonzero(layout.tile_map >= 0)
    tiles = layout.tile_map[rows, cols]
    count = np.maximum(np.bincount(tiles, minlength=layout.n_tiles), 1)
    return np.stack(
        [np.bincount(tiles, cols, layout.n_tiles) / count,
         np.bincount(tiles, rows, layout.n_tiles) / count], axis=1,
    )  # fmt: skip


def _spread(k: np.ndarray, radius: float) -> np.ndarray:
    """Deterministic small offsets so occupants of one tile do not hide each other."""
    angle = k * 2.399963  # golden angle
    r = radius * np.sqrt((k % 7 + 1) / 7.0)
    return np.stack([r * np.cos(angle), r * np.sin(angle)], axis=-1)


def _mean_by(index: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Mean of ``values`` per ``index`` in ``range(n)``, NaN where none."""
    count = np.bincount(index, minlength=n)
    total = np.bincount(index, values, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def read_frame(world: World, layout: Layout) -> Frame:
    """The plan of ``world`` now (cheap: a few NumPy operations over the shown copies)."""
    temp = world.op[layout.tile_copy, layout.tile_zone].astype(np.float64)
    venue = world.venue
    k = layout.n_occupants
    xy = np.full((k, 2), np.nan)
    sat = np.full(k, np.nan)
    centres = _centres(layout)
    if layout.venue == "store":
        from agents.store.population import PR_TEMP
        from agents.store.slots import EMPTY

        s = venue.slots  # type: ignore[attr-defined]
        plan = venue.tables.plan  # type: ignore[attr-defined]
        here = s.stage[0] != EMPTY
        m = np.flatnonzero(here)
        for i in m:  # a shopper stands on a cell of the place they are at
            cells = plan.place_cells[int(s.place[0, i])]
            r, c = cells[(i * 7) % len(cells)]
            xy[i] = (c, r)
        xy[m] += _spread(m, 0.3)
        sat[m] = s.sat[0, m]
        pref = _mean_by(s.zone[0, m], s.prefs[PR_TEMP, 0, m], layout.n_tiles)
    elif layout.venue == "home":
        from agents.home.slots import T_PREF, T_SLEEP

        s = venue.slots  # type: ignore[attr-defined]
        n = layout.n_copies
        state = s.state[:n]
        present = (s.active[:n] == 1) & ((state == AWAKE) | (state == ASLEEP))
        living = int(venue.living)  # type: ignore[attr-defined]
        zone = np.where(state == ASLEEP, s.bed[:n], living)
        nz = world.nz
        tile = np.arange(n)[:, None] * nz + zone  # tiles are home-major, zone-minor
        want = s.traits[T_PREF, :n] + np.where(state == ASLEEP, s.traits[T_SLEEP, :n], 0.0)
        e, r = np.nonzero(present)
        slot = e * s.state.shape[1] + r
        xy[slot] = centres[tile[e, r]] + _spread(r, 0.6)
        sat[slot] = s.sat[e, r]
        pref = _mean_by(tile[e, r], want[e, r], layout.n_tiles)
    else:
        s = venue.slots  # type: ignore[attr-defined]
        state = s.state[0]
        present = np.flatnonzero((s.active[0] == 1) & ((state == AWAKE) | (state == ASLEEP)))
        xy[present] = centres[present]  # rooms are the first tiles, in room order
        sat[present] = s.sat[0, present]
        pref = np.full(layout.n_tiles, np.nan)
        pref[present] = s.prefs[0, 0, present]
    shown = ~np.isnan(sat)
    power = float(world.p_hvac.sum() + world.p_light.sum()) / 1000.0
    series = {
        "mean_satisfaction": float(sat[shown].mean()) if shown.any() else float("nan"),
        "power_kw": power,
        "occupants": float(shown.sum()),
    }
    return Frame(temp, pref, xy, sat, series)
