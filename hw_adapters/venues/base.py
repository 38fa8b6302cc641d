"""What every venue's site binding shares: requirements, Measurements, site features.

Measurements on a site are assembled from the point readings: per zone the temperature
sensor, presence (or a people count), illuminance and the set-points the zone applies
(a read-only point of that quantity if the map has one, else the read-back of the
writable set-point); the site features (clock, weather, forecast, price) from the
site's clock and weather station and the feed's forecast and tariff. A missing reading
is NaN: the observation carries it, the policy's answer for that zone becomes NaN or
nonsense, and the safety envelope rejects it (set-points of a zone whose temperature is
stale fall back to their fail-safe values anyway).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from hw_adapters.base import Reading
from hw_adapters.pointmap import PointMap
from twin.calendar import in_window
from twin.interface import ZONE_COMMANDS, Commands, Measurements
from twin.world import SITE_FEATURES

if TYPE_CHECKING:
    from twin.venues.base import Task
    from twin.world import World

__all__ = ["SiteBinding", "from_iso", "site_features", "to_iso"]

_SITE = {name: j for j, (name, _) in enumerate(SITE_FEATURES)}


def to_iso(t: datetime) -> str:
    """A site time (local standard time, naive) as ISO 8601 with microseconds."""
    return t.isoformat(timespec="microseconds")


def from_iso(text: str) -> datetime:
    """The inverse of :func:`to_iso`."""
    return datetime.fromisoformat(text)


def site_features(
    time: datetime,
    t_out: float,
    forecast: tuple[float, float, float],
    ghi: float,
    price: float,
) -> np.ndarray:
    """``(1, len(SITE_FEATURES))`` as the World computes them (``World.site_features``).

    ``time`` is the site's local standard time now; ``forecast`` the outdoor temperature
    in 1, 3 and 6 hours.
    """
    hour = np.array([(time - time.replace(hour=0, minute=0, second=0, microsecond=0))
                     .total_seconds() / 3600.0])  # fmt: skip
    day = np.array([float(time.weekday())])
    row = np.empty((1, len(SITE_FEATURES)))
    row[0, 0] = np.sin(2 * np.pi * hour / 24)[0]
    row[0, 1] = np.cos(2 * np.pi * hour / 24)[0]
    row[0, 2] = np.sin(2 * np.pi * day / 7)[0]
    row[0, 3] = np.cos(2 * np.pi * day / 7)[0]
    row[0, 4] = t_out
    row[0, 5:8] = forecast
    row[0, 8] = ghi
    row[0, 9] = price
    return row


class SiteBinding:
    """A venue on a site: what its policy needs and how its observation is assembled.

    Args:
        task: the venue's task over a one-copy World of the scenario (the deploy side
            never steps it: it lends its encoder, action ranges and building).
    """

    venue: ClassVar[str]
    #: Sensor quantities every zone needs (presence may come from a people count).
    zone_sensors: ClassVar[tuple[str, ...]] = ("temperature_c", "presence", "illuminance_lux")
    #: Command quantities every zone needs a writable point for.
    zone_commands: ClassVar[tuple[str, ...]] = tuple(ZONE_COMMANDS)
    #: Command quantities every display needs.
    display_commands: ClassVar[tuple[str, ...]] = ()
    #: Site readings the observation needs.
    site_sensors: ClassVar[tuple[str, ...]] = ("t_out_c", "ghi_w_m2")

    def __init__(self, task: Task) -> None:
        self.task = task
        self.world = task.world
        self.scenario = task.world.scenario
        self.start = self.scenario.simulation.start
        self.zone_names: tuple[str, ...] = tuple(task.world.building.zone_names)
        self.display_names: tuple[str, ...] = ()

    # -- what the policy needs -----------------------------------------------------------

    def requirements(self) -> dict[str, list[str]]:
        """Owner (zone, display, ``site``) -> quantities a deployment needs points for."""
        req: dict[str, list[str]] = {
            z: [*self.zone_sensors, *self.zone_commands] for z in self.zone_names
        }
        for d in self.display_names:
            req[d] = list(self.display_commands)
        req["site"] = list(self.site_sensors)
        return req

    def coverage(self, point_map: PointMap) -> list[str]:
        """What ``point_map`` lacks for this venue's policy (presence may be a count)."""
        problems = point_map.coverage(self.requirements())
        out = []
        for line in problems:
            zone, _, rest = line.partition(": ")
            if rest == "no sensor point for presence" and point_map.find(zone, "count"):
                continue
            out.append(line)
        return out

    # -- the site's time line -------------------------------------------------------------

    def run_time(self, t: datetime) -> float:
        """Run time (s since the scenario's start) of site time ``t``: the twin's time line."""
        return (t - self.start).total_seconds()

    # -- deploy side -------------------------------------------------------------------------

    def zone_values(
        self, point_map: PointMap, readings: Mapping[str, Reading], quantity: str
    ) -> np.ndarray:
        """``(1, nz)`` readings of ``quantity`` per zone (NaN where there is none).

        A read-only point of the quantity wins over a writable one's read-back.
        """
        out = np.full((1, len(self.zone_names)), np.nan)
        for i, z in enumerate(self.zone_names):
            p = point_map.find(z, quantity, writable=False) or point_map.find(z, quantity)
            r = readings.get(p.name) if p is not None else None
            if r is not None:
                out[0, i] = r.value
        return out

    def site_value(
        self, point_map: PointMap, readings: Mapping[str, Reading], quantity: str
    ) -> float:
        """A site reading (NaN if the map has no such point or it has not reported)."""
        p = point_map.find("site", quantity)
        r = readings.get(p.name) if p is not None else None
        return np.nan if r is None else r.value

    def measurements(
        self, point_map: PointMap, readings: Mapping[str, Reading], feed: Mapping[str, Any]
    ) -> Measurements:
        """The site's Measurements now (one environment), from readings and the feed."""
        time = from_iso(feed["time"])
        presence = self.zone_values(point_map, readings, "presence")
        count = self.zone_values(point_map, readings, "count")
        presence = np.where(np.isnan(presence), count > 0, presence > 0.5)
        count = np.where(np.isnan(count), presence.astype(np.float64), count)
        fc = feed.get("forecast", {})
        site = site_features(
            time,
            self.site_value(point_map, readings, "t_out_c"),
            (fc.get("t_out_1h_c", np.nan), fc.get("t_out_3h_c", np.nan),
             fc.get("t_out_6h_c", np.nan)),
            self.site_value(point_map, readings, "ghi_w_m2"),
            float(feed.get("price_per_kwh", np.nan)),
        )  # fmt: skip
        return Measurements(
            time_s=self.run_time(time),
            temperature_c=self.zone_values(point_map, readings, "temperature_c"),
            presence=presence.astype(bool),
            count=count,
            illuminance_lux=self.zone_values(point_map, readings, "illuminance_lux"),
            heat_setpoint_c=self.zone_values(point_map, readings, "heat_setpoint_c"),
            cool_setpoint_c=self.zone_values(point_map, readings, "cool_setpoint_c"),
            site=site,
        )

    def encode(self, meas: Measurements, ctx: Any) -> tuple[np.ndarray, np.ndarray]:
        """The observation and whose personal data it discloses: the twin's own encoder."""
        encoder: Any = getattr(self.task, "encoder")  # noqa: B009 - every venue task has one
        out: tuple[np.ndarray, np.ndarray] = encoder.encode(meas, ctx, self.task.personal_data)
        return out

    def context(
        self, feed: Mapping[str, Any], point_map: PointMap, readings: Mapping[str, Reading]
    ) -> Any:
        """The venue's context (its ``NamedTuple``) rebuilt from the feed and readings."""
        raise NotImplementedError

    def occupant_heat_w(self, feed: Mapping[str, Any], ctx: Any, meas: Measurements) -> np.ndarray:
        """``(nz,)`` the occupants' heat now (W), as the venue's step kernel would add it.

        ``twin validate`` replays each step with the heat estimated at the step before,
        as the kernels use the occupants' state at the start of a step.
        """
        raise NotImplementedError

    def decode(self, action: np.ndarray) -> Commands:
        """The policy's action -> Commands, linearly and *without* clipping.

        An action outside [-1, 1] (or not finite) maps onto a physical value outside the
        point's range (or NaN), which the safety envelope rejects with its reason;
        inside [-1, 1] this equals the twin's decoder exactly.
        """
        raise NotImplementedError

    # -- rig side ----------------------------------------------------------------------------

    def feed_site(self, world: World) -> dict[str, Any]:
        """The feed's site part now: the weather service's forecast and the tariff."""
        site = world.site_features()[0]
        return {
            "forecast": {
                "t_out_1h_c": float(site[_SITE["t_out_1h_c"]]),
                "t_out_3h_c": float(site[_SITE["t_out_3h_c"]]),
                "t_out_6h_c": float(site[_SITE["t_out_6h_c"]]),
            },
            "price_per_kwh": float(site[_SITE["price_per_kwh"]]),
        }

    def feed_context(self, world: World) -> dict[str, Any]:
        """The feed's ``context`` object for copy 0 of ``world`` (consent enforced here)."""
        raise NotImplementedError

    def occupant_overrides(self, world: World) -> dict[str, np.ndarray]:
        """Occupants' overrides the site's own devices hold now (the rig writes them).

        Quantity -> ``(nz,)`` values, NaN where nobody holds the zone. The rig writes
        them at the BACnet operator priority, where ``twin deploy`` finds them; venues
        whose occupants do not override (the default) return nothing.
        """
        return {}

    def own_control(self, world: World) -> dict[str, np.ndarray]:
        """What the building's own control commands for the step about to run.

        Quantity -> ``(nz,)`` (or ``(n_displays,)``) values: the scenario's thermostat
        schedule for the zone commands (the World's ``schedule`` level), the venue's
        house settings for its own actuators.
        """
        th = self.scenario.thermostat
        occupied = bool(in_window(float(world.hours[world.t]), th.occupied_hours))
        nz = len(self.zone_names)
        return {
            "heat_setpoint_c": np.full(nz, th.heating_setpoint_c if occupied
                                       else th.setback_heating_c),
            "cool_setpoint_c": np.full(nz, th.cooling_setpoint_c if occupied
                                       else th.setback_cooling_c),
            "light_lux": np.full(nz, th.light_lux if occupied else 0.0),
            "light_cct_k": np.full(nz, th.light_cct_k),
        }  # fmt: skip

    def commands(self, values: Mapping[str, np.ndarray]) -> Commands:
        """Commands for a one-copy World from quantity -> ``(nz,)``/``(n_displays,)`` values."""
        zone = [np.asarray(values[q], dtype=np.float64).reshape(1, -1) for q in ZONE_COMMANDS]
        venue = {q: np.asarray(v).reshape(1, -1) for q, v in values.items()
                 if q not in ZONE_COMMANDS}  # fmt: skip
        return Commands(zone[0], zone[1], zone[2], zone[3], venue=venue)
