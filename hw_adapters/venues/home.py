"""A home on a site: one home of the neighbourhood, its thermostat, presence counts only.

**What a site is.** A home scenario is a neighbourhood (``home.n_homes`` copies of a
World, one home each); a site is *one* home: its thermostat, its presence sensors, its
smart meter. :func:`home_site_scenario` pins home ``N`` of the neighbourhood (home 0, the
first, by default; ``twin rig serve homes --home N``) into a one-home scenario: the
building drawn from the stock for that home (the stock collapsed onto the draw, so
every World of it, the replay of ``twin validate`` and the point map see the same
building) and the home's own root seed, so its household is the one ``twin run``
simulates in it. The rig writes that scenario as ``scenario.json`` beside ``site.json``,
and ``twin deploy`` and ``twin validate`` pick it up from there.

The feed's ``context`` is what a thermostat knows beside its sensors::

    {"consent": 1, "program": {"heat_c": 21.0, "cool_c": 25.0, "lux": 250.0, "cct_k": 3000.0},
     "zones": {"living": {"source": "override"}, "bedroom": {"source": "policy"}}}

``consent`` is the household's consent to learning its routine, ``program`` the
thermostat's shipped program now, ``source`` which level holds each zone's heating
set-point (the thermostat's hold log). Nothing about the residents is in it: the
encoder needs no preference (the thermostat learns set-points from overrides, with
consent, on the deploy side) and residents are presence counts per zone. A home has no
illuminance sensor (the encoder reads none), and its lights report their level in
whole lux, which ``twin validate`` needs for the lighting's electricity. Residents'
overrides at the thermostat are writes at BACnet's operator priority on the site
(:meth:`HomeSite.occupant_overrides`), which ``twin deploy`` picks up each step.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from hw_adapters.base import Reading
from hw_adapters.pointmap import PointMap
from hw_adapters.venues.base import SiteBinding, from_iso
from twin.arbitration import DEFAULT, SOURCES
from twin.calendar import in_window
from twin.errors import ScenarioError
from twin.interface import Commands, Measurements
from twin.scenario.base import normal
from twin.seeding import spawn_streams
from twin.venues.home.kernel import APPLIANCES_AWAKE_W, HEAT_ASLEEP_W, HEAT_AWAKE_W
from twin.venues.home.venue import HomeContext, draw_home

if TYPE_CHECKING:
    from twin.scenario import Scenario
    from twin.venues.base import Task
    from twin.world import World

__all__ = ["HomeSite", "home_site_scenario"]

#: Names of the arbitration levels in the feed (the World's ``command_source`` codes).
_SOURCE_NAMES = (*SOURCES, "default")
_SOURCE_CODES = {name: code for code, name in enumerate(_SOURCE_NAMES)}
_PROGRAM = ("heat_c", "cool_c", "lux", "cct_k")


def _copy_seeds(seed: int, n: int) -> list[int]:
    """The root seeds of a run's ``n`` copies (as :func:`policies.rollout.copy_seeds`)."""
    return [int(x) for x in np.random.SeedSequence(seed).generate_state(n)]


def home_site_scenario(scenario: Scenario, home: int | None = None) -> Scenario:
    """Home ``home`` (default 0) of a neighbourhood as a one-home scenario (module docstring).

    A scenario of one home (``n_homes = 1``) already is a site and comes back unchanged
    (with ``home`` 0 or None), so pinning twice changes nothing.

    Raises:
        ScenarioError: ``home`` is not a home of the neighbourhood.
    """
    h = scenario.home
    assert h is not None
    index = 0 if home is None else int(home)
    if not 0 <= index < h.n_homes:
        raise ScenarioError(
            f"--home {index}: scenario {scenario.name!r} has {h.n_homes} homes "
            f"(0 to {h.n_homes - 1})"
        )
    if h.n_homes == 1:
        return scenario
    seed = _copy_seeds(scenario.simulation.seed, h.n_homes)[index]
    drawn = draw_home(scenario, spawn_streams(seed)["stock"])
    living = next(z for z in drawn.zones if z.kind != "bedroom")
    first = drawn.zones[0]
    area = sum(z.floor_area_m2 * z.count for z in drawn.zones)
    value = {
        "floor_area_m2": area,
        "u_wall_w_m2k": first.u_wall_w_m2k,
        "u_roof_w_m2k": first.u_roof_w_m2k,
        "u_window_w_m2k": first.u_window_w_m2k,
        "window_share": first.window_area_m2 / first.floor_area_m2,
        "air_changes_per_h": first.air_changes_per_h,
        "heating_capacity_w_m2": first.heating_capacity_w_m2,
        "cooling_capacity_w_m2": first.cooling_capacity_w_m2,
    }
    pinned = {}
    for name in value:
        d = getattr(h.stock, name)
        v = float(value[name])
        pinned[name] = normal(v, 0.0, min(d.low, v), max(d.high, v))
    stock = h.stock.model_copy(
        update={
            **pinned,
            "construction": {first.construction: 1.0},
            "orientation": {living.orientation[0]: 1.0},
        }  # fmt: skip
    )
    sim = scenario.simulation.model_copy(update={"seed": seed})
    return scenario.model_copy(
        update={
            "name": f"{scenario.name}-home{index}",
            "description": f"Home {index} of {scenario.name!r} (seed {scenario.simulation.seed}) "
            "as one site.",
            "simulation": sim,
            "zones": drawn.zones,
            "home": h.model_copy(update={"n_homes": 1, "stock": stock}),
        }
    )


class HomeSite(SiteBinding):
    """The home's site binding (see the module docstring)."""

    venue = "home"
    #: No illuminance: the encoder does not read it, and with the lights on and no
    #: daylight a room's illuminance is the level its resident chose.
    zone_sensors = ("temperature_c", "presence", "count")
    #: The thermostat commands heating and cooling only; the residents switch the lights.
    zone_commands = ("heat_setpoint_c", "cool_setpoint_c")

    def __init__(self, task: Task) -> None:
        super().__init__(task)
        venue: Any = self.world.venue
        self.is_bedroom = np.asarray(venue.is_bedroom, dtype=np.int8)
        th = self.scenario.thermostat
        self._programs = (
            np.array([th.setback_heating_c, th.setback_cooling_c, 0.0, th.light_cct_k]),
            np.array([th.heating_setpoint_c, th.cooling_setpoint_c, th.light_lux, th.light_cct_k]),
        )

    def program_at(self, time: datetime) -> np.ndarray:
        """The thermostat program's heat, cool, lux and CCT at site time ``time``."""
        hour = time.hour + time.minute / 60.0 + time.second / 3600.0
        occupied = bool(in_window(np.array([hour]), self.scenario.thermostat.occupied_hours)[0])
        return self._programs[int(occupied)].copy()

    # -- rig side ----------------------------------------------------------------------------

    def feed_context(self, world: World) -> dict[str, Any]:
        """Consent, the program now and who holds each zone; nothing about the residents."""
        venue: Any = world.venue
        program = venue.program(world.t)
        source = world.command_source["heat_setpoint_c"][0]
        return {
            "consent": int(venue.slots.consent[0]),
            "program": {k: float(v) for k, v in zip(_PROGRAM, program, strict=True)},
            "zones": {
                z: {"source": _SOURCE_NAMES[int(source[i])]} for i, z in enumerate(self.zone_names)
            },  # fmt: skip
        }

    def occupant_overrides(self, world: World) -> dict[str, np.ndarray]:
        """The residents' holds at the thermostat now: its override level (NaN: none)."""
        assert world.arbitration is not None
        return {q: world.arbitration[q].slots[SOURCES.index("override"), 0].copy()
                for q in self.zone_commands}  # fmt: skip

    # -- deploy side -------------------------------------------------------------------------

    def context(
        self, feed: Mapping[str, Any], point_map: PointMap, readings: Mapping[str, Reading]
    ) -> HomeContext:
        """The thermostat's context from the feed (no feed: no consent, no hold, the program)."""
        ctx = feed.get("context", {})
        zones = ctx.get("zones", {})
        source = np.full((1, len(self.zone_names)), SOURCES.index("policy"), np.int8)
        for i, z in enumerate(self.zone_names):
            name = zones.get(z, {}).get("source")
            source[0, i] = _SOURCE_CODES.get(name, DEFAULT) if name else SOURCES.index("policy")
        prog = ctx.get("program")
        program = (np.array([float(prog[k]) for k in _PROGRAM]) if prog
                   else self.program_at(from_iso(feed["time"])))  # fmt: skip
        consent = np.array([int(ctx.get("consent", 0))], np.int8)
        return HomeContext(source, consent, program, self.is_bedroom)

    def encode(self, meas: Measurements, ctx: Any) -> tuple[np.ndarray, np.ndarray]:
        """The twin's home encoder (:meth:`HomeTask.encode`), learning as the twin's does."""
        task: Any = self.task
        out: tuple[np.ndarray, np.ndarray] = task.encode(meas, ctx, task.personal_data)
        return out

    def occupant_heat_w(
        self, feed: Mapping[str, Any], ctx: HomeContext, meas: Measurements
    ) -> np.ndarray:
        """Residents counted per zone, as :func:`~twin.venues.home.kernel.home_step` adds them.

        Residents awake are in the day zone (``HEAT_AWAKE_W`` each, plus
        ``APPLIANCES_AWAKE_W`` while anyone is), residents asleep in their bedroom
        (``HEAT_ASLEEP_W``): a count in a bedroom is people asleep.
        """
        count = np.nan_to_num(meas.count[0], nan=0.0)
        asleep = self.is_bedroom == 1
        heat = np.where(asleep, count * HEAT_ASLEEP_W, count * HEAT_AWAKE_W)
        heat += np.where(~asleep & (count > 0), APPLIANCES_AWAKE_W, 0.0)
        return heat

    def decode(self, action: np.ndarray) -> Commands:
        """Zone-major ``(heat, cool)`` mapped linearly, never clipped; lights not commanded.

        The light arrays are NaN (the twin's decoder relinquishes them too); the home's
        point map has no writable light, so nothing is sent for them.
        """
        task: Any = self.task
        a = np.asarray(action, dtype=np.float64).reshape(1, -1)
        lo = np.asarray(task.low, dtype=np.float64).ravel()
        span = (0.5 * (task.high - task.low)).ravel()
        phys = (lo + (a + 1.0) * span).reshape(1, len(self.zone_names), 2)
        heat, cool = (np.ascontiguousarray(phys[:, :, j]) for j in range(2))
        nan = np.full_like(heat, np.nan)
        return Commands(heat, cool, nan, nan.copy())
