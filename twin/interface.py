"""What sensors report and what actuators accept: the interface twin and hardware share.

A policy never sees the World. It sees an observation encoded from
:class:`Measurements` (what the sensors of each zone report) plus the venue's context
(bookings, consented preferences, feedback), and it answers with :class:`Commands`. In
simulation the World produces the Measurements and applies the Commands; on a real site
the hardware adapters read the Measurements from sensors and write the Commands, point
by point, through the safety envelope. Both sides use the same encoder and the same
consent rule, so a policy meets on hardware exactly the inputs it was trained on.

Arrays and units only: this module knows nothing of the World, venues, envs or protocols.
Zone arrays are shaped ``(n_envs, n_zones)``; a real site is one environment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

#: What a zone's sensors report, with units (the fields of :class:`Measurements`).
SENSOR_QUANTITIES: dict[str, str] = {
    "temperature_c": "degC",  # air temperature
    "presence": "0/1",  # somebody is in the zone (presence sensor, key card)
    "count": "people",  # people counted in the zone
    "illuminance_lux": "lx",  # at the working plane
    "heat_setpoint_c": "degC",  # heating set-point the zone controller applies
    "cool_setpoint_c": "degC",  # cooling set-point the zone controller applies
}

#: What a site's meters and weather station report once for the whole building (no zone),
#: with units; ``t_out_c`` and ``ghi_w_m2`` are the site features of the same names.
SITE_SENSORS: dict[str, str] = {
    "t_out_c": "degC",  # outdoor air temperature (weather station)
    "ghi_w_m2": "W/m2",  # global horizontal irradiance (pyranometer)
    "energy_kwh": "kWh",  # electricity of HVAC and lighting (cumulative meter reading)
}

#: What every zone's actuators accept, with units (the zone fields of :class:`Commands`).
ZONE_COMMANDS: dict[str, str] = {
    "heat_setpoint_c": "degC",
    "cool_setpoint_c": "degC",
    "light_lux": "lx",
    "light_cct_k": "K",
}

#: Actuators some venues add (in :attr:`Commands.venue`), with units. Genre and display
#: content are indices into the scenario's catalogues; the thermostat mode is one of
#: :data:`THERMOSTAT_MODES`.
VENUE_COMMANDS: dict[str, str] = {
    "music_genre": "index",  # per zone: which genre of the scenario's music catalogue
    "music_volume_db": "dB(A)",  # per zone: background music level
    "display_category": "index",  # per display: the product category it promotes
    "thermostat_mode": "index",  # per zone: see THERMOSTAT_MODES
}

THERMOSTAT_MODES = ("off", "heat", "cool", "auto")

#: Every quantity a command can carry, with its unit.
COMMAND_QUANTITIES: dict[str, str] = {**ZONE_COMMANDS, **VENUE_COMMANDS}


@dataclass(slots=True)
class Measurements:
    """The readings of every zone at one instant, batched over environments.

    Attributes:
        time_s: run time of the readings (s since the start of the run or deployment).
        temperature_c: ``(ne, nz)`` air temperature as the sensors report it (with their
            noise and delay).
        presence: ``(ne, nz)`` bool, somebody is in the zone.
        count: ``(ne, nz)`` people counted in the zone.
        illuminance_lux: ``(ne, nz)`` illuminance.
        heat_setpoint_c, cool_setpoint_c: ``(ne, nz)`` set-points the zones apply.
        site: ``(ne, n_site)`` site-wide readings: the clock, the weather station and
            forecast, the tariff (names and units in the World's ``SITE_FEATURES``).
    """

    time_s: float
    temperature_c: np.ndarray
    presence: np.ndarray
    count: np.ndarray
    illuminance_lux: np.ndarray
    heat_setpoint_c: np.ndarray
    cool_setpoint_c: np.ndarray
    site: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        """``(n_envs, n_zones)``."""
        return self.temperature_c.shape  # type: ignore[return-value]


@dataclass(slots=True)
class Commands:
    """Physical commands for every zone (and a venue's own actuators), batched.

    The HVAC of a zone heats below ``heat_setpoint_c`` and cools above
    ``cool_setpoint_c``; a cooling set-point too close to the heating one is raised by
    the zone controller (the World's ``MIN_DEADBAND_K``). ``venue`` holds the venue's
    own actuators by the names of :data:`VENUE_COMMANDS`, e.g. ``music_genre``
    ``(ne, nz)`` or ``display_category`` ``(ne, n_displays)``.
    """

    heat_setpoint_c: np.ndarray
    cool_setpoint_c: np.ndarray
    light_lux: np.ndarray
    light_cct_k: np.ndarray
    venue: Mapping[str, np.ndarray] = field(default_factory=dict)

    def zone_arrays(self) -> dict[str, np.ndarray]:
        """The zone commands by quantity name (:data:`ZONE_COMMANDS` order)."""
        return {name: getattr(self, name) for name in ZONE_COMMANDS}
