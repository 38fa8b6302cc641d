"""The hotel on a site: its property-management system as a feed, the consent rule at source.

The feed's ``context`` carries one entry per guest room, keyed by the room's zone name
(pseudonymous: no guest names or ids, only what the PMS knows about the room)::

    {"rooms": {"room_1": {"sold": 1, "state": "asleep", "guests": 2, "consent": 1,
                          "departure": "2026-01-14T11:00:00.000000",
                          "next_arrival": null, "next_consent": 0,
                          "prefs": {"temp_c": 21.7, "lux": 240.0, "cct_k": 3100.0},
                          "feedback": [0.0, 0.1]}, ...}}

``prefs`` (the checked-in guest's stated preferences) appear only when the room is sold
to a guest who consented; ``next_prefs`` only for a consenting next guest. The true
preferences of anyone else never leave the rig, and only the three fields the encoder
reads are published. The deploy side rebuilds :class:`~twin.venues.hotel.venue.HotelContext`
from it, so the twin's :class:`~twin.venues.hotel.task.HotelEncoder` (with the same
consent rule) encodes the observation.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

from agents.kernels import ASLEEP, AWAKE, OUT, VACANT
from hw_adapters.base import Reading
from hw_adapters.pointmap import PointMap
from hw_adapters.venues.base import SiteBinding, from_iso, to_iso
from twin.interface import Commands, Measurements
from twin.venues.hotel.kernel import EQUIPMENT_AWAKE_W, HEAT_ASLEEP_W, HEAT_AWAKE_W
from twin.venues.hotel.venue import HotelContext

if TYPE_CHECKING:
    from twin.venues.base import Task
    from twin.world import World

__all__ = ["STATES", "HotelSite"]

#: Room states as the feed names them (the key-card system's view).
STATES = {VACANT: "vacant", AWAKE: "awake", ASLEEP: "asleep", OUT: "out"}
_CODES = {v: k for k, v in STATES.items()}
_PREFS = ("temp_c", "lux", "cct_k")  # prefs rows 0, 2, 3 (what the encoder reads)


class HotelSite(SiteBinding):
    """The hotel's site binding (see the module docstring)."""

    venue = "hotel"

    def __init__(self, task: Task) -> None:
        super().__init__(task)
        venue: Any = self.world.venue
        self.room_zone = np.asarray(venue.room_zone, dtype=np.int64)
        self.room_names = tuple(self.zone_names[z] for z in self.room_zone)
        self.lobby_zones = np.asarray(venue.lobby_zones, dtype=np.int64)

    # -- rig side ----------------------------------------------------------------------------

    def _iso(self, run_s: float) -> str | None:
        return to_iso(self.start + timedelta(seconds=float(run_s))) if np.isfinite(run_s) else None

    def feed_context(self, world: World) -> dict[str, Any]:
        """One entry per room; preferences only with consent (the rule applied at source)."""
        venue_: Any = world.venue
        s: Any = venue_.slots
        rooms: dict[str, dict[str, Any]] = {}
        for r, name in enumerate(self.room_names):
            sold = int(s.active[0, r]) == 1
            consent = sold and int(s.consent[0, r]) == 1
            next_consent = int(s.next_consent[0, r]) == 1
            entry: dict[str, Any] = {
                "sold": int(sold),
                "state": STATES[int(s.state[0, r])],
                "guests": int(s.party[0, r]) if sold else 0,
                "consent": int(consent),
                "departure": self._iso(s.departure_s[0, r]) if sold else None,
                "next_arrival": self._iso(s.next_arrival_s[0, r]),
                "next_consent": int(next_consent),
                "feedback": [float(s.feedback[0, 0, r]), float(s.feedback[1, 0, r])],
            }
            if consent:
                entry["prefs"] = {k: float(s.prefs[row, 0, r])
                                  for k, row in zip(_PREFS, (0, 2, 3), strict=True)}  # fmt: skip
            if next_consent:
                entry["next_prefs"] = {k: float(s.next_prefs[i, 0, r])
                                       for i, k in enumerate(_PREFS)}  # fmt: skip
            rooms[name] = entry
        return {"rooms": rooms}

    # -- deploy side -------------------------------------------------------------------------

    def context(
        self, feed: Mapping[str, Any], point_map: PointMap, readings: Mapping[str, Reading]
    ) -> HotelContext:
        """The PMS's view of every room, from the feed (missing rooms: vacant, unknown)."""
        n = len(self.room_names)
        active = np.zeros((1, n), np.int8)
        state = np.full((1, n), VACANT, np.int8)
        consent = np.zeros((1, n), np.int8)
        next_consent = np.zeros((1, n), np.int8)
        next_arrival = np.full((1, n), np.inf)
        departure = np.zeros((1, n))
        prefs = np.full((6, 1, n), np.nan)
        next_prefs = np.full((3, 1, n), np.nan)
        feedback = np.zeros((2, 1, n))
        rooms = feed.get("context", {}).get("rooms", {})
        for r, name in enumerate(self.room_names):
            room = rooms.get(name)
            if room is None:
                continue
            active[0, r] = int(room["sold"])
            state[0, r] = _CODES[room["state"]]
            consent[0, r] = int(room["consent"])
            next_consent[0, r] = int(room["next_consent"])
            if room.get("next_arrival"):
                next_arrival[0, r] = self.run_time(from_iso(room["next_arrival"]))
            if room.get("departure"):
                departure[0, r] = self.run_time(from_iso(room["departure"]))
            for row, key in zip((0, 2, 3), _PREFS, strict=True):
                if "prefs" in room:
                    prefs[row, 0, r] = room["prefs"][key]
            for i, key in enumerate(_PREFS):
                if "next_prefs" in room:
                    next_prefs[i, 0, r] = room["next_prefs"][key]
            feedback[:, 0, r] = room["feedback"]
        return HotelContext(
            self.room_zone, active, state, consent, next_consent, next_arrival, departure,
            prefs, next_prefs, feedback,
        )  # fmt: skip

    def occupant_heat_w(
        self, feed: Mapping[str, Any], ctx: HotelContext, meas: Measurements
    ) -> np.ndarray:
        """Guests awake or asleep in their rooms, people at the desk in the lobby (W).

        As :func:`~twin.venues.hotel.kernel.hotel_step` adds them: per person awake
        ``HEAT_AWAKE_W`` plus ``EQUIPMENT_AWAKE_W`` per awake room, asleep
        ``HEAT_ASLEEP_W``; the lobby's people count (those at the front desk) awake.
        """
        heat = np.zeros(len(self.zone_names))
        rooms = feed.get("context", {}).get("rooms", {})
        party = [float(rooms.get(n, {}).get("guests", 0)) for n in self.room_names]
        for r, z in enumerate(self.room_zone):
            st = int(ctx.state[0, r])
            if st == AWAKE:
                heat[z] += party[r] * HEAT_AWAKE_W + EQUIPMENT_AWAKE_W
            elif st == ASLEEP:
                heat[z] += party[r] * HEAT_ASLEEP_W
        for z in self.lobby_zones:
            c = meas.count[0, z]
            heat[z] += HEAT_AWAKE_W * (c if np.isfinite(c) else 0.0)
        return heat

    def decode(self, action: np.ndarray) -> Commands:
        """Zone-major ``(heat, cool, lux, cct)`` per zone, mapped linearly, never clipped."""
        task: Any = self.task
        a = np.asarray(action, dtype=np.float64).reshape(1, -1)
        lo = np.asarray(task.low, dtype=np.float64).ravel()
        span = (0.5 * (task.high - task.low)).ravel()
        phys = (lo + (a + 1.0) * span).reshape(1, len(self.zone_names), 4)
        heat, cool, lux, cct = (np.ascontiguousarray(phys[:, :, j]) for j in range(4))
        return Commands(heat, cool, lux, cct)
