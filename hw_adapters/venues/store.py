"""The store on a site: anonymous counts, the loyalty app's consented shoppers, the checkout.

The feed's ``context``::

    {"queue": 3,
     "anonymous": {"shopping_at": {"4": 2, "7": 1}, "elsewhere": 3},
     "consented": [{"zone": "fresh", "at": 4, "shopping": true,
                    "prefs": {"temp_c": 21.0, "lux": 500.0, "cct_k": 4000.0, "volume_db": 55.0},
                    "liking": [...one per genre...], "affinity": [...one per category...]}]}

Shoppers who did not consent are *counts* only (by place of the floor plan, as people
counters near displays see them); those who consented through the loyalty app carry the
stated preferences the encoder may read, and nothing else (no id). The music and
displays in force come from the read-back of their points. The deploy side rebuilds
:class:`~twin.venues.store.venue.StoreContext` with one slot per shopper, so the twin's
:class:`~twin.venues.store.task.StoreEncoder` encodes the observation.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from agents.store.population import N_PREFS, PR_CCT, PR_LUX, PR_TEMP, PR_VOL
from agents.store.slots import BROWSING, EMPTY, ENTERING, QUEUED, WALKING
from hw_adapters.base import Reading
from hw_adapters.pointmap import PointMap
from hw_adapters.venues.base import SiteBinding
from twin.interface import Commands, Measurements
from twin.venues.store.kernel import HEAT_SHOPPER_W
from twin.venues.store.task import ZONE_ACTIONS
from twin.venues.store.venue import StoreContext

if TYPE_CHECKING:
    from twin.venues.base import Task
    from twin.world import World

__all__ = ["StoreSite"]

_PREFS = (("temp_c", PR_TEMP), ("lux", PR_LUX), ("cct_k", PR_CCT), ("volume_db", PR_VOL))


class StoreSite(SiteBinding):
    """The store's site binding (see the module docstring)."""

    venue = "store"
    zone_sensors = ("temperature_c", "count", "illuminance_lux")
    zone_commands = (
        "heat_setpoint_c", "cool_setpoint_c", "light_lux", "light_cct_k", "music_genre",
        "music_volume_db",
    )  # fmt: skip
    display_commands = ("display_category",)

    def __init__(self, task: Task) -> None:
        super().__init__(task)
        store = self.scenario.store
        assert store is not None
        venue: Any = self.world.venue
        self.venue_plugin = venue
        self.display_names = tuple(d.name for d in store.displays)
        self.n_g, self.n_c = len(store.music), len(store.categories)

    # -- rig side ----------------------------------------------------------------------------

    def feed_context(self, world: World) -> dict[str, Any]:
        """Anonymous counts by place; consented shoppers with their stated preferences."""
        venue_: Any = world.venue
        s: Any = venue_.slots
        venue: Any = world.venue
        anon: dict[str, int] = {}
        elsewhere = 0
        consented = []
        for m in range(s.stage.shape[1]):
            st = int(s.stage[0, m])
            if st == EMPTY:
                continue
            shopping = st in (WALKING, BROWSING, ENTERING)
            at = int(s.target[0, m] if st == WALKING else s.place[0, m])
            if int(s.consent[0, m]) == 1:
                consented.append({
                    "zone": self.zone_names[int(s.zone[0, m])], "at": at, "shopping": shopping,
                    "prefs": {k: float(s.prefs[row, 0, m]) for k, row in _PREFS},
                    "liking": [float(v) for v in s.liking[:, 0, m]],
                    "affinity": [float(v) for v in s.affinity[:, 0, m]],
                })  # fmt: skip
            elif shopping:
                anon[str(at)] = anon.get(str(at), 0) + 1
            else:
                elsewhere += 1
        queue = int(venue.models[0].lanes.waiting())
        return {
            "queue": queue,
            "anonymous": {"shopping_at": dict(sorted(anon.items())), "elsewhere": elsewhere},
            "consented": consented,
        }

    def own_control(self, world: World) -> dict[str, np.ndarray]:
        """The thermostat schedule, the house genre and volume, the displays' defaults."""
        out = super().own_control(world)
        v = self.venue_plugin
        nz = len(self.zone_names)
        out["music_genre"] = np.full(nz, float(v.house_genre))
        out["music_volume_db"] = np.full(nz, float(v.house_volume))
        out["display_category"] = np.asarray(v.default_display, dtype=np.float64)
        return out

    # -- deploy side -------------------------------------------------------------------------

    def _display_values(self, point_map: PointMap, readings: Mapping[str, Reading]) -> np.ndarray:
        out = np.asarray(self.venue_plugin.default_display, dtype=np.int64).reshape(1, -1).copy()
        for i, d in enumerate(self.display_names):
            p = point_map.find(d, "display_category")
            r = readings.get(p.name) if p is not None else None
            if r is not None and np.isfinite(r.value):
                out[0, i] = int(round(r.value))
        return out

    def context(
        self, feed: Mapping[str, Any], point_map: PointMap, readings: Mapping[str, Reading]
    ) -> StoreContext:
        """One slot per shopper in the feed; music and displays from their read-back."""
        ctx = feed.get("context", {})
        v = self.venue_plugin
        genre = self.zone_values(point_map, readings, "music_genre")
        genre = np.where(np.isfinite(genre), genre, v.house_genre).round().astype(np.int64)
        volume = self.zone_values(point_map, readings, "music_volume_db")
        volume = np.where(np.isfinite(volume), volume, v.house_volume)
        consented = ctx.get("consented", [])
        anon = ctx.get("anonymous", {})
        places = [int(p) for p, n in anon.get("shopping_at", {}).items() for _ in range(int(n))]
        elsewhere = int(anon.get("elsewhere", 0))
        m = len(consented) + len(places) + elsewhere
        stage = np.full((1, m), QUEUED, np.int8)
        place = np.zeros((1, m), np.int64)
        zone = np.zeros((1, m), np.int64)
        consent = np.zeros((1, m), np.int8)
        prefs = np.full((N_PREFS, 1, m), np.nan)
        liking = np.full((self.n_g, 1, m), np.nan)
        affinity = np.full((self.n_c, 1, m), np.nan)
        index = {name: i for i, name in enumerate(self.zone_names)}
        for i, c in enumerate(consented):
            stage[0, i] = BROWSING if c["shopping"] else QUEUED
            place[0, i] = int(c["at"])
            zone[0, i] = index[c["zone"]]
            consent[0, i] = 1
            for key, row in _PREFS:
                prefs[row, 0, i] = c["prefs"][key]
            liking[:, 0, i] = c["liking"]
            affinity[:, 0, i] = c["affinity"]
        k = len(consented)
        stage[0, k : k + len(places)] = BROWSING
        place[0, k : k + len(places)] = places
        lo, hi = v.open_hours
        return StoreContext(
            genre, volume, self._display_values(point_map, readings), stage, place,
            place.copy(), zone, consent, prefs, liking, affinity,
            v.tables.geometry.display_sees, np.array([float(ctx.get("queue", 0))]),
            np.array([lo * 60.0, hi * 60.0]),
        )  # fmt: skip

    def occupant_heat_w(
        self, feed: Mapping[str, Any], ctx: StoreContext, meas: Measurements
    ) -> np.ndarray:
        """Shoppers counted in each zone, ``HEAT_SHOPPER_W`` each (as the store kernel)."""
        count = np.nan_to_num(meas.count[0], nan=0.0)
        return count * HEAT_SHOPPER_W

    def decode(self, action: np.ndarray) -> Commands:
        """Continuous commands mapped linearly, never clipped; choices by the highest score.

        A genre or display whose scores are not finite or leave [-1, 1] becomes NaN, so
        the envelope rejects it instead of playing whatever came out on top.
        """
        task: Any = self.task
        nz, kz, k = len(self.zone_names), task.k_z, len(ZONE_ACTIONS)
        a = np.asarray(action, dtype=np.float64).reshape(1, -1)
        zone = a[:, : nz * kz].reshape(1, nz, kz)
        lo, span = task.low, 0.5 * (task.high - task.low)
        phys = lo[None] + (zone[:, :, :k] + 1.0) * span[None]

        def choose(scores: np.ndarray) -> np.ndarray:
            ok = np.all(np.isfinite(scores) & (np.abs(scores) <= 1.0), axis=-1)
            best = np.argmax(np.nan_to_num(scores, nan=-np.inf), axis=-1).astype(np.float64)
            return np.where(ok, best, np.nan)

        genre = choose(zone[:, :, k:])
        display = choose(a[:, nz * kz :].reshape(1, len(self.display_names), self.n_c))
        heat, cool, lux, cct = (np.ascontiguousarray(phys[:, :, j]) for j in range(4))
        venue = {"music_volume_db": phys[:, :, 4], "music_genre": genre,
                 "display_category": display}  # fmt: skip
        return Commands(heat, cool, lux, cct, venue=venue)  # fmt: skip
