"""Walking geometry of a store, derived once from its scenario's text map.

:meth:`FloorPlan.of` turns ``[store.floor]`` into NumPy arrays the shopper model and its
kernels read instead of walking the map themselves:

* per cell: its kind, section (index into ``store.categories``), building zone and
  walkable-cell id, and the walking graph between walkable cells;
* per *place* (the S sections in category order, then the entrance at index S, then the
  checkout at S + 1): its cells, the walking distance between places, which sections a
  shopper passes on the way from one place to another and in which order;
* per section, zone and display: floor areas, zones, and which places a display can be
  seen from.

Walking moves to the 8 neighbouring cells, a diagonal step costing sqrt(2) cell edges;
a diagonal step is allowed only where both cells beside it are walkable (nobody
squeezes between two shelf corners), so a shopper reaches exactly the cells the
scenario's 4-neighbour reachability check found. Distances are multi-source Dijkstra
(:func:`_dijkstra`, a small Numba kernel); ties between equally short paths go to the
path found first, so every derived array is deterministic.
"""

from __future__ import annotations

import heapq
import math
from collections import OrderedDict
from dataclasses import dataclass
from random import Random

import networkx as nx
import numpy as np
from mesa.discrete_space import Cell, Network
from numba import njit

from twin.errors import ScenarioError
from twin.scenario import Scenario, ZoneGroup
from twin.scenario.store import Store, parse_map

__all__ = [
    "AISLE",
    "CHECKOUT",
    "ENTRANCE",
    "KIND_NAMES",
    "SECTION",
    "WALL",
    "FloorPlan",
    "cell_at",
]

#: Cell kind codes of :attr:`FloorPlan.kind`, and the legend kind of each code.
WALL, AISLE, ENTRANCE, CHECKOUT, SECTION = 0, 1, 2, 3, 4
KIND_NAMES = ("wall", "aisle", "entrance", "checkout", "section")
#: The 8 moves (row, col) in the order the walking graph lists a cell's neighbours.
_MOVES = ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1))
#: Distances (in cell edges) closer than this count as equal when breaking ties.
_TIE = 1e-9
#: Floor plans kept by :meth:`FloorPlan.of` (a World builds one per store copy).
_CACHE_SIZE = 16
_cache: OrderedDict[str, FloorPlan] = OrderedDict()


@njit(cache=True)
def _dijkstra(
    ptr: np.ndarray, nbr: np.ndarray, cost: np.ndarray, sources: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Multi-source shortest paths over a CSR graph.

    Args:
        ptr: (N + 1,) start of each node's neighbours in ``nbr``.
        nbr: neighbour node ids.
        cost: step length of each neighbour entry (> 0).
        sources: node ids at distance 0.

    Returns:
        (distance, predecessor): ``inf`` and -1 for unreached nodes; a source's
        predecessor is -1. A node keeps the first predecessor found within ``_TIE``
        of its shortest distance, settled in (distance, node id) order.
    """
    n = ptr.shape[0] - 1
    dist = np.full(n, np.inf)
    pred = np.full(n, -1, np.int64)
    done = np.zeros(n, np.bool_)
    heap = [(0.0, sources[0])]
    for i in range(sources.shape[0]):
        dist[sources[i]] = 0.0
        if i > 0:
            heapq.heappush(heap, (0.0, sources[i]))
    while len(heap) > 0:
        d, u = heapq.heappop(heap)
        if done[u]:
            continue
        done[u] = True
        for k in range(ptr[u], ptr[u + 1]):
            v = nbr[k]
            nd = d + cost[k]
            if nd < dist[v] - _TIE:
                dist[v] = nd
                pred[v] = u
                heapq.heappush(heap, (nd, v))
    return dist, pred


def _walking_graph(
    walkable: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Cell ids, cells and the CSR walking graph (ptr, nbr, step in cell edges) of a map."""
    height, width = walkable.shape
    cell_id = np.full((height, width), -1, np.int64)
    rows, cols = np.nonzero(walkable)
    cell_id[rows, cols] = np.arange(rows.size)
    pad = np.zeros((height + 2, width + 2), bool)
    pad[1:-1, 1:-1] = walkable
    pad_id = np.full((height + 2, width + 2), -1, np.int64)
    pad_id[1:-1, 1:-1] = cell_id
    src, dst, step = [], [], []
    for dr, dc in _MOVES:
        ok = pad[rows + 1 + dr, cols + 1 + dc]
        if dr and dc:  # diagonal: both cells beside the step must be walkable
            ok &= pad[rows + 1 + dr, cols + 1] & pad[rows + 1, cols + 1 + dc]
        src.append(cell_id[rows[ok], cols[ok]])
        dst.append(pad_id[rows[ok] + 1 + dr, cols[ok] + 1 + dc])
        step.append(np.full(int(ok.sum()), math.sqrt(2.0) if dr and dc else 1.0))
    src_all = np.concatenate(src)
    order = np.argsort(src_all, kind="stable")
    ptr = np.zeros(rows.size + 1, np.int64)
    np.cumsum(np.bincount(src_all, minlength=rows.size), out=ptr[1:])
    return (
        cell_id,
        np.stack([rows, cols], 1),
        ptr,
        np.concatenate(dst)[order],
        np.concatenate(step)[order],
    )


def _zone_index(zones: tuple[ZoneGroup, ...]) -> tuple[dict[str, int], tuple[str, ...]]:
    """Building zone index of each single-zone group, and every zone's name.

    Zones are numbered as :func:`twin.building.build_building` numbers them: groups in
    order, a group of ``count`` zones taking ``count`` consecutive indices.
    """
    first: dict[str, int] = {}
    names: list[str] = []
    for group in zones:
        first[group.name] = len(names)
        width = len(str(group.count))
        names += (
            [group.name]
            if group.count == 1
            else [f"{group.name}_{i + 1:0{width}d}" for i in range(group.count)]
        )
    return first, tuple(names)


def _near_sections(section_of: np.ndarray, n_sections: int) -> np.ndarray:
    """(S, H, W): the cell is in section s or one of its 8 neighbours is."""
    height, width = section_of.shape
    onehot = np.zeros((n_sections, height + 2, width + 2), bool)
    rr, cc = np.nonzero(section_of >= 0)
    onehot[section_of[rr, cc], rr + 1, cc + 1] = True
    near = np.zeros((n_sections, height, width), bool)
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            near |= onehot[:, 1 + dr : 1 + dr + height, 1 + dc : 1 + dc + width]
    return near


def _frozen(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


@dataclass(frozen=True, slots=True, eq=False)
class FloorPlan:
    """Derived floor geometry of one store scenario (read-only NumPy arrays).

    Build it with :meth:`of`. Shapes: ``(H, W)`` the map, ``N`` walkable cells, ``S``
    sections (= categories), ``P = S + 2`` places, ``D`` displays, ``Z`` building zones.

    Attributes:
        cell_m: edge of a cell in metres.
        shape: (H, W) of the map.
        kind: (H, W) int8 cell kind (:data:`WALL`, :data:`AISLE`, :data:`ENTRANCE`,
            :data:`CHECKOUT`, :data:`SECTION`).
        walkable: (H, W) bool, every non-wall cell.
        section_of: (H, W) index into ``store.categories``, -1 off sections.
        zone_of: (H, W) building zone index (the order of ``build_building``, which is
            the ``[[zones]]`` group order when groups have ``count = 1``), -1 on walls.
        cell_id: (H, W) walkable-cell id (row-major), -1 on walls.
        cells: (N, 2) (row, col) of each walkable-cell id.
        graph_ptr, graph_nbr, graph_step_m: the walking graph in CSR form: the
            neighbours of cell ``i`` are ``graph_nbr[graph_ptr[i]:graph_ptr[i + 1]]``,
            ``graph_step_m`` metres away.
        category_names: the S section names; place ``i < S`` is section ``i``.
        zone_names: the Z building zone names.
        place_cells: P (k, 2) int arrays of (row, col), row-major.
        distance_field_m: (P, H, W) walking distance from the nearest cell of each
            place to every cell (``inf`` on walls).
        distance_m: (P, P) shortest walking distance between places (min over cells).
        passes: (P, P, S) sections other than the two end places that some cell of the
            shortest path from A to B (see :meth:`path`) lies in or next to (8
            neighbours).
        pass_order: (P, P, S) those sections in the order the path meets them, padded
            with -1; B to A lists them in the reverse walking order of A to B.
        section_zone: (S,) zone of each section (the zone of most of its cells, ties
            to the lower index).
        section_area_m2: (S,) floor area of each section.
        zone_area_m2: (Z,) walkable floor area of each zone (0 for zones off the map).
        display_names: the D display names.
        display_cell: (D, 2) (row, col) of each display.
        display_zone: (D,) zone of each display's cell.
        display_sees: (D, P) places within the display's ``view_m`` walking distance.
        path_pred: (P, N) predecessor of each walkable cell on the shortest-path tree
            grown from each place (-1 at the place's own cells).
    """

    cell_m: float
    shape: tuple[int, int]
    kind: np.ndarray
    walkable: np.ndarray
    section_of: np.ndarray
    zone_of: np.ndarray
    cell_id: np.ndarray
    cells: np.ndarray
    graph_ptr: np.ndarray
    graph_nbr: np.ndarray
    graph_step_m: np.ndarray
    category_names: tuple[str, ...]
    zone_names: tuple[str, ...]
    place_cells: tuple[np.ndarray, ...]
    distance_field_m: np.ndarray
    distance_m: np.ndarray
    passes: np.ndarray
    pass_order: np.ndarray
    section_zone: np.ndarray
    section_area_m2: np.ndarray
    zone_area_m2: np.ndarray
    display_names: tuple[str, ...]
    display_cell: np.ndarray
    display_zone: np.ndarray
    display_sees: np.ndarray
    path_pred: np.ndarray

    @property
    def n_sections(self) -> int:
        """S, the number of sections (= categories)."""
        return len(self.category_names)

    @property
    def entrance(self) -> int:
        """Place index of the entrance (S)."""
        return self.n_sections

    @property
    def checkout(self) -> int:
        """Place index of the checkout (S + 1)."""
        return self.n_sections + 1

    @property
    def place_names(self) -> tuple[str, ...]:
        """Names of the P places: the categories, then ``entrance`` and ``checkout``."""
        return (*self.category_names, "entrance", "checkout")

    @property
    def walkable_area_m2(self) -> float:
        """Total walkable floor area."""
        return float(self.walkable.sum()) * self.cell_m**2

    @classmethod
    def of(cls, scenario: Scenario) -> FloorPlan:
        """The floor plan of a store scenario (cached: equal stores share one plan).

        Raises:
            ScenarioError: the scenario has no ``[store]`` section.
        """
        if scenario.store is None:
            raise ScenarioError(
                f"scenario '{scenario.name}' has venue = {scenario.venue!r} and no [store] "
                "section; a floor plan needs a store scenario"
            )
        key = scenario.store.model_dump_json() + repr([(z.name, z.count) for z in scenario.zones])
        plan = _cache.get(key)
        if plan is None:
            plan = _build(scenario.store, scenario.zones)
            _cache[key] = plan
            if len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)
        return plan

    def path(self, a: int, b: int) -> np.ndarray:
        """(k, 2) cells of the shortest walk from place ``a`` to place ``b``.

        The walk that :attr:`passes` and :attr:`pass_order` describe: it starts on a cell
        of ``a`` and ends on the cell of ``b`` nearest to ``a``; ``path(b, a)`` is the same
        walk reversed.
        """
        if a > b:
            return self.path(b, a)[::-1]
        target = self.place_cells[b]
        dist = self.distance_field_m[a][self.cells[:, 0], self.cells[:, 1]]
        targets = self.cell_id[target[:, 0], target[:, 1]]
        return self.cells[_path_ids(self.path_pred[a], dist, targets, _TIE * self.cell_m)]

    def to_space(self, random: Random) -> Network:
        """A Mesa 3 :class:`~mesa.discrete_space.Network` of the walkable cells.

        Cells are keyed by (row, col); an edge joins two cells a shopper can step between
        (the same 8-neighbour moves as the distances, edge attribute ``weight`` in
        metres) and every node carries ``kind``, ``section`` and ``zone``. A Network
        rather than an ``OrthogonalMooreGrid`` with its wall cells removed: Mesa 3.3 grids
        reconnect every cell of the full rectangle when unpickled (a grid with removed
        cells fails to pickle with a ``KeyError``), and a grid would also let agents step
        diagonally between two walls. Find a cell with :func:`cell_at`.

        Args:
            random: the Mesa model's random number generator (``model.random``).
        """
        graph = nx.Graph()
        for i, (r, c) in enumerate(self.cells.tolist()):
            graph.add_node(
                (r, c),
                kind=int(self.kind[r, c]),
                section=int(self.section_of[r, c]),
                zone=int(self.zone_of[r, c]),
            )
            for k in range(self.graph_ptr[i], self.graph_ptr[i + 1]):
                j = int(self.graph_nbr[k])
                if j > i:
                    other = (int(self.cells[j, 0]), int(self.cells[j, 1]))
                    graph.add_edge((r, c), other, weight=float(self.graph_step_m[k]))
        return Network(graph, random=random)


def cell_at(space: Network, row: int, col: int) -> Cell:
    """The cell of a :meth:`FloorPlan.to_space` space at (``row``, ``col``).

    Raises:
        KeyError: (row, col) is a wall or outside the map.
    """
    try:
        return space[(row, col)]
    except KeyError:
        raise KeyError(f"({row}, {col}) is not a walkable cell of the store") from None


def _path_ids(pred: np.ndarray, dist: np.ndarray, targets: np.ndarray, tie: float) -> np.ndarray:
    """Walkable-cell ids from a shortest-path tree's root to its nearest target.

    Args:
        pred: (N,) predecessor ids of the tree.
        dist: (N,) distance of each cell from the root place.
        targets: ids of the target place's cells (row-major); the nearest one within
            ``tie`` of the shortest distance and first in that order ends the path.
        tie: distances this close count as equal.
    """
    d = dist[targets]
    node = int(targets[int(np.argmax(d <= d.min() + tie))])
    ids = []
    while node >= 0:
        ids.append(node)
        node = int(pred[node])
    return np.asarray(ids[::-1], np.int64)


def _build(store: Store, zones: tuple[ZoneGroup, ...]) -> FloorPlan:
    """Compute every array of a :class:`FloorPlan` (see there)."""
    cell_m = store.floor.cell_m
    chars = np.array([list(row) for row in parse_map(store.floor.map)])
    height, width = chars.shape
    categories = store.category_names
    n_sections = len(categories)
    zone_first, zone_names = _zone_index(zones)
    kind = np.zeros((height, width), np.int8)
    section_of = np.full((height, width), -1, np.int64)
    zone_of = np.full((height, width), -1, np.int64)
    for key, entry in store.floor.legend.items():
        here = chars == key
        kind[here] = KIND_NAMES.index(entry.kind)
        if entry.category is not None:
            section_of[here] = categories.index(entry.category)
        if entry.zone is not None:
            zone_of[here] = zone_first[entry.zone]
    walkable = kind != WALL
    cell_id, cells, ptr, nbr, step = _walking_graph(walkable)
    at_cells = (cells[:, 0], cells[:, 1])

    # Aisles without a zone take the nearest zoned cell's (ties: lower zone index).
    zone_ids = zone_of[at_cells]
    if (zone_ids < 0).any():
        present = np.unique(zone_ids[zone_ids >= 0])
        to_zone = np.stack(
            [_dijkstra(ptr, nbr, step, np.flatnonzero(zone_ids == z))[0] for z in present]
        )
        nearest = present[np.argmax(to_zone <= to_zone.min(0) + _TIE, axis=0)]
        zone_of[at_cells] = np.where(zone_ids < 0, nearest, zone_ids)

    place_cells = [np.argwhere(section_of == s) for s in range(n_sections)]
    place_cells += [np.argwhere(kind == ENTRANCE), np.argwhere(kind == CHECKOUT)]
    n_places = len(place_cells)
    field = np.full((n_places, height, width), np.inf)
    pred = np.empty((n_places, len(cells)), np.int64)
    for p, pc in enumerate(place_cells):
        dist, pred[p] = _dijkstra(ptr, nbr, step, cell_id[pc[:, 0], pc[:, 1]])
        field[p][at_cells] = dist * cell_m
    distance = np.array([[field[a][pc[:, 0], pc[:, 1]].min() for pc in place_cells]
                         for a in range(n_places)])  # fmt: skip
    distance = np.minimum(distance, distance.T)  # equal up to rounding; make it exact

    near = _near_sections(section_of, n_sections)
    passes = np.zeros((n_places, n_places, n_sections), bool)
    order = np.full((n_places, n_places, n_sections), -1, np.int64)
    for a in range(n_places):
        for b in range(a + 1, n_places):
            targets = cell_id[place_cells[b][:, 0], place_cells[b][:, 1]]
            path = cells[_path_ids(pred[a], field[a][at_cells], targets, _TIE * cell_m)]
            hit = near[:, path[:, 0], path[:, 1]]
            hit[[p for p in (a, b) if p < n_sections]] = False
            met = np.flatnonzero(hit.any(axis=1))
            if met.size == 0:
                continue
            first = hit[met].argmax(axis=1)
            last = hit.shape[1] - 1 - hit[met][:, ::-1].argmax(axis=1)
            passes[a, b, met] = passes[b, a, met] = True
            order[a, b, : met.size] = met[np.lexsort((met, first))]
            order[b, a, : met.size] = met[np.lexsort((met, -last))]

    n_zones = len(zone_names)
    section_zone = np.array(
        [np.bincount(zone_of[section_of == s], minlength=n_zones).argmax() for s in
         range(n_sections)], np.int64
    )  # fmt: skip
    area = cell_m**2
    display_cell = np.array([d.at for d in store.displays], np.int64).reshape(-1, 2)
    view = np.array([d.view_m for d in store.displays])
    seen = field[:, display_cell[:, 0], display_cell[:, 1]].T  # (D, P)
    return FloorPlan(
        cell_m=cell_m,
        shape=(height, width),
        kind=_frozen(kind),
        walkable=_frozen(walkable),
        section_of=_frozen(section_of),
        zone_of=_frozen(zone_of),
        cell_id=_frozen(cell_id),
        cells=_frozen(cells),
        graph_ptr=_frozen(ptr),
        graph_nbr=_frozen(nbr),
        graph_step_m=_frozen(step * cell_m),
        category_names=categories,
        zone_names=zone_names,
        place_cells=tuple(_frozen(pc) for pc in place_cells),
        distance_field_m=_frozen(field),
        distance_m=_frozen(distance),
        passes=_frozen(passes),
        pass_order=_frozen(order),
        section_zone=_frozen(section_zone),
        section_area_m2=_frozen(
            np.bincount(section_of[walkable] + 1, minlength=n_sections + 1)[1:] * area
        ),
        zone_area_m2=_frozen(np.bincount(zone_of[walkable], minlength=n_zones) * area),
        display_names=tuple(d.name for d in store.displays),
        display_cell=_frozen(display_cell),
        display_zone=_frozen(zone_of[display_cell[:, 0], display_cell[:, 1]]),
        display_sees=_frozen(seen <= view[:, None] + _TIE * cell_m),
        path_pred=_frozen(pred),
    )
