"""The store venue: shoppers on a floor plan, checkout lanes, music and displays.

Each copy's shoppers are an :class:`agents.store.model.StoreModel` (Mesa agents, SimPy
arrivals and checkout) writing one row of the shared
:class:`agents.store.slots.ShopperSlots`; :func:`twin.venues.store.kernel.store_step` is
the fused step. Beside the zone commands every venue has, the store's own actuators are
the music genre and volume of each zone and the category each display promotes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from agents.store.model import StoreModel
from agents.store.shopper_kernel import N_SACC, N_TACC, Ambience
from agents.store.slots import BROWSING, EMPTY, ENTERING, ShopperSlots
from agents.store.tables import StoreTables
from twin.calendar import in_window
from twin.errors import PolicyError, ScenarioError
from twin.venues.base import Streams, Venue
from twin.venues.store.kernel import count_zones, store_step

if TYPE_CHECKING:
    from twin.physics.passes import StepWeather, ZoneCommands
    from twin.venues.store.task import StoreTask
    from twin.world import World

#: Uniforms drawn per copy at a time for the shoppers' decisions; a block is refilled
#: before a step that could drain it (a step uses a few per shopper).
NOISE_BLOCK = 1 << 15


class StoreContext(NamedTuple):
    """What the store knows beside its sensors: its own actuators and the shoppers.

    Shopper arrays are ``(ne, M)`` (``prefs``, ``liking``, ``affinity`` with a leading
    field axis); the consent rule of the observation encoder decides whose preferences
    a policy may see: everyone else is an anonymous count.
    """

    genre: np.ndarray  # (ne, nz) genre playing in each zone
    volume_db: np.ndarray  # (ne, nz)
    display: np.ndarray  # (ne, D) category each display promotes
    stage: np.ndarray
    place: np.ndarray
    target: np.ndarray
    zone: np.ndarray
    consent: np.ndarray
    prefs: np.ndarray
    liking: np.ndarray
    affinity: np.ndarray
    display_sees: np.ndarray  # (D, P)
    queue: np.ndarray  # (ne,) shoppers waiting at the checkout
    open_min: np.ndarray  # (2,) opening and closing time of day (min)


class StoreVenue(Venue):
    """Shoppers, lanes, music and displays in every copy of a World."""

    name = "store"
    report = "twin.venues.store.report"
    zone_layout = True
    #: A wider network and more exploration than the hotel's: a zone's view holds its
    #: displays and the shoppers' preferences, and music must be tried for a while.
    train_defaults = {"hidden": 64, "log_std_init": -1.0}
    headline_kpis = (
        "revenue", "conversion_rate", "mean_satisfaction", "fairness_gap", "exposure_entropy",
        "homogenisation", "outside_favourites_share", "energy_kwh", "discomfort_kh",
        "personal_data_used", "mean_dwell_min", "queue_wait_p95_min",
    )  # fmt: skip

    def __init__(self, world: World) -> None:
        super().__init__(world)
        s = world.scenario
        if s.store is None:
            raise ScenarioError(f"scenario '{s.name}': venue = 'store' needs a [store] section")
        self.store = s.store
        self.tables = StoreTables.of(s)
        self.n_genres = len(s.store.music)
        self.n_categories = len(s.store.categories)
        self.n_displays = len(s.store.displays)
        self.house_genre = 0
        self.house_volume = float(np.mean(s.store.volume_range_db))
        self.open_hours = s.store.opening_hours
        default = [d.category for d in s.store.displays]
        names = list(s.store.category_names)
        self.default_display = np.array(
            [names.index(c) if c is not None else i % self.n_categories
             for i, c in enumerate(default)], np.int64,
        )  # fmt: skip

    # ------------------------------------------------------------------ reset / step
    def reset(self, streams: Sequence[Streams], variants: Sequence[Mapping[str, float]]) -> None:
        """New shoppers in every copy: a StoreModel per copy on the World's new clock."""
        w, ne, nz = self.world, self.world.n_envs, self.world.nz
        store, tables = self.store, self.tables
        self.slots = slots = ShopperSlots.allocate(
            ne, store.max_shoppers, self.n_genres, self.n_categories
        )
        self.models = [
            StoreModel(
                w.scenario,
                w.sim,
                slots,
                e,
                tables,
                streams[e]["events"],
                streams[e]["agents"],
                preference_spread=variants[e]["preference_spread"],
            )  # fmt: skip
            for e in range(ne)
        ]
        self._agents_rngs = [r["agents"] for r in streams]
        self._noise = np.empty((ne, NOISE_BLOCK))
        for e, rng in enumerate(self._agents_rngs):
            rng.random(out=self._noise[e])
        self._cursor = np.zeros(ne, np.int64)
        self.genre = np.full((ne, nz), self.house_genre, np.int64)
        self.volume = np.full((ne, nz), self.house_volume)
        self.display = np.tile(self.default_display, (ne, 1))
        self.sacc = np.zeros((N_SACC, ne, nz))
        self.tacc = np.zeros((N_TACC, ne))
        n_places = tables.plan.n_sections + 2
        self.visits = np.zeros((ne, n_places))
        self.dwell_min = np.zeros((ne, n_places))
        self._none_disclosed = np.zeros((ne, store.max_shoppers), dtype=bool)
        self._view = slots.arrays()
        self.abandoned = np.zeros(ne)
        self.shown_total = np.zeros((ne, self.n_categories))

    def _apply(self, venue_commands: Mapping[str, np.ndarray]) -> None:
        """Take the music and display commands (indices checked, never wrapped).

        A genre takes over only at the start of a playlist block and a display's content
        at the start of a signage slot (``music_change_min``, ``display_change_min``).
        """
        w = self.world
        ne, nz = w.n_envs, w.nz
        minute = w.now_s / 60.0
        checks = (
            ("music_genre", self.genre, (ne, nz), self.n_genres, self.store.music_change_min),
            ("display_category", self.display, (ne, self.n_displays), self.n_categories,
             self.store.display_change_min),
        )  # fmt: skip
        for key, target, shape, n, every in checks:
            if key in venue_commands:
                value = np.asarray(venue_commands[key]).reshape(shape)
                if value.size and (value.min() < 0 or value.max() >= n):
                    raise PolicyError(f"{key} must be an index in [0, {n}): got {value}")
                if _on_boundary(minute, every, w.dt / 60.0):
                    target[...] = value
        if "music_volume_db" in venue_commands:
            lo, hi = self.store.volume_range_db
            value = np.asarray(venue_commands["music_volume_db"], dtype=np.float64).reshape(ne, nz)
            if not np.all((value >= lo - 1e-9) & (value <= hi + 1e-9)):
                raise PolicyError(f"music_volume_db must lie in [{lo}, {hi}] dB")
            self.volume[...] = value

    def advance(
        self,
        cmd: ZoneCommands,
        weather: StepWeather,
        venue_commands: Mapping[str, np.ndarray],
        disclosed: np.ndarray | None,
    ) -> None:
        """One call of :func:`store_step` for every copy, then the checkout takes over."""
        w, t = self.world, self.world.t
        self._apply(venue_commands)
        if self._cursor.max() > NOISE_BLOCK // 2:  # refill before a step could drain it
            for e, rng in enumerate(self._agents_rngs):
                rng.random(out=self._noise[e])
            self._cursor[:] = 0
        for m in self.models:
            m.step_abandoned = 0.0
        out = w.out
        amb = Ambience(
            out.air, out.op, out.lux, out.cct, self.genre,
            self.tables.catalogue.tempo_bpm[self.genre], self.volume, self.display,
        )  # fmt: skip
        hour = float(w.hours[t])
        store_step(
            w.now_s, w.dt_h, w.step_price, bool(in_window(hour, self.open_hours)),
            self.tables.params, self.tables.behaviour, w.arrays, weather, cmd, w.state, out,
            w.count, w.band, w.acc, self.tables.geometry, self.tables.catalogue, amb,
            self._view, self._noise, self._cursor,
            self._none_disclosed if disclosed is None else disclosed, self.slots.ready,
            self.slots.n_ready, self.sacc, self.tacc, self.visits, self.dwell_min,
        )  # fmt: skip
        for model in self.models:
            model.take_ready()

    def settle(self) -> None:
        """Recount the shoppers per zone after the step's arrivals and exits."""
        count_zones(self.slots.stage, self.slots.zone, self.world.count)

    def task(self, personal_data: bool = True) -> StoreTask:
        """The store task over this World (see :mod:`twin.venues.store.task`)."""
        from twin.venues.store.task import StoreTask

        return StoreTask(self.world, personal_data)

    def context(self) -> StoreContext:
        """The store's own view: actuators, shoppers (consent-gated later), queues, hours."""
        s = self.slots
        lo, hi = self.open_hours
        return StoreContext(
            self.genre, self.volume, self.display, s.stage, s.place, s.target, s.zone,
            s.consent, s.prefs, s.liking, s.affinity, self.tables.geometry.display_sees,
            np.array([m.lanes.waiting() for m in self.models], np.float64),
            np.array([lo * 60.0, hi * 60.0]),
        )  # fmt: skip

    def step_abandoned(self) -> np.ndarray:
        """``(ne,)`` basket value lost to balking and reneging during the last step.

        It is lost at the checkout, so a per-zone reward charges it to the checkout's zone.
        """
        return np.array([m.step_abandoned for m in self.models])

    @property
    def checkout_zone(self) -> int:
        """The building zone of the checkout."""
        return int(self.tables.geometry.place_zone[self.tables.plan.checkout])

    # ------------------------------------------------------------------ results
    def kpis(self, e: int) -> dict[str, float]:
        """The store's KPIs of copy ``e`` (see :func:`twin.venues.store.kpis.store_kpis`)."""
        from twin.venues.store.kpis import store_kpis

        return store_kpis(self, e)

    def records(self, e: int) -> list[dict[str, Any]]:
        """One pseudonymous record per shopper who left copy ``e``."""
        return self.models[e].records()

    def snapshot(self, e: int) -> dict[str, np.ndarray]:
        """Copy ``e`` now: shoppers in the store and browsing, the queue, music, displays."""
        s, model = self.slots, self.models[e]
        stage = s.stage[e]
        return {
            "in_store": np.array([np.count_nonzero(stage != EMPTY)]),
            "browsing": np.array([np.count_nonzero(stage == BROWSING)]),
            "entering": np.array([np.count_nonzero(stage == ENTERING)]),
            "queue": np.array([model.lanes.waiting()]),
            "genre": self.genre[e].copy(),
            "volume_db": self.volume[e].copy(),
            "display": self.display[e].copy(),
            "exposed": self.tacc[:, e].copy(),
            "place_visits": self.visits[e].copy(),
            "place_dwell_min": self.dwell_min[e].copy(),
        }

    def sync_agents(self) -> None:
        """Stand every Mesa shopper on a cell of the place they are at."""
        for model in self.models:
            model.sync_cells()


def _on_boundary(minute: float, every: float, step_min: float) -> bool:
    """Whether a step starting at ``minute`` holds a multiple of ``every`` minutes."""
    k = np.ceil(minute / every - 1e-9) * every
    return bool(k < minute + step_min - 1e-9)
