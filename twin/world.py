"""The World: one clock, one building, its physics and a venue's people, batched.

A :class:`World` simulates ``n_envs`` independent copies of a scenario in lock step.
It owns what every venue shares: the SimPy ``Environment`` (one master clock for all
copies), the building and its physics state, weather, tariff, the commands in force,
sensors and the building KPIs, the randomisation of the building and the seed streams.
The scenario's venue plugin (:mod:`twin.venues`) owns its people: their SimPy
processes, a Mesa model and occupant arrays per copy, and the fused step kernel.

A control step of ``dt`` seconds:

1. takes the commands (per zone: air set-points, light level and colour temperature;
   the venue's own actuators);
2. runs the venue's step kernel, one Numba call over every copy: lighting and gains,
   the 5R1C zones with capacity-limited HVAC (``hvac.substeps`` steps), the occupants'
   update, occupancy and the KPI accumulators (:mod:`twin.physics.passes`);
3. records what the sensors will report (noise and delay when randomised);
4. runs the SimPy clock to ``now + dt``: arrivals and departures happen at their times.

What a deployment could sense is :meth:`World.measurements`; observations are encoded
from it plus the venue's context, never from the World's internals.

Randomness: one root seed per copy is split into physics (weather), events (SimPy),
agents (Mesa), randomisation and sensor streams (:func:`twin.seeding.spawn_streams`);
copy ``i`` of a World seeded ``[s0, s1, ...]`` equals a one-copy World seeded ``[s_i]``,
byte for byte.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import simpy

from twin.arbitration import PriorityArray
from twin.building import Building, build_building, heat_pump_arrays
from twin.calendar import Calendar, in_window, local_hours
from twin.errors import ScenarioError
from twin.interface import ZONE_COMMANDS, Commands, Measurements
from twin.kpi import rounded, tariff_per_step
from twin.physics.network import RCParams, affine_coefficients
from twin.physics.passes import (
    ACC_COST,
    ACC_DISCOMFORT_KH,
    ACC_ENERGY_LIGHT_J,
    ACC_PEAK_W,
    MIN_DEADBAND_K,
    N_ACC,
    BuildingArrays,
    StepWeather,
    ZoneCommands,
    ZoneOutputs,
    ZoneState,
)
from twin.scenario import Scenario
from twin.seeding import spawn_streams
from twin.venues import venue_class
from twin.venues.base import Venue
from twin.weather import Weather, build_weather

__all__ = [
    "GLOBAL_FEATURES",
    "MIN_DEADBAND_K",
    "SITE_BOUNDS",
    "SITE_FEATURES",
    "Commands",
    "World",
]

#: Forecast horizon kept beyond the run for weather forecasts in observations (h).
FORECAST_H = 6.0
#: Sensor noise is drawn this many steps at a time.
NOISE_BLOCK = 256

#: Names of the columns of ``Measurements.site``, with units: the clock, the weather
#: station and its forecast, the tariff.
SITE_FEATURES = (
    ("hour_sin", "-"), ("hour_cos", "-"), ("weekday_sin", "-"), ("weekday_cos", "-"),
    ("t_out_c", "degC"), ("t_out_1h_c", "degC"), ("t_out_3h_c", "degC"), ("t_out_6h_c", "degC"),
    ("ghi_w_m2", "W/m2"), ("price_per_kwh", "currency/kWh"),
)  # fmt: skip
#: The same (the name observations use for the site block).
GLOBAL_FEATURES = SITE_FEATURES
#: Physical bounds of each site feature (for observation spaces).
SITE_BOUNDS: tuple[tuple[float, float], ...] = (
    (-1.0, 1.0), (-1.0, 1.0), (-1.0, 1.0), (-1.0, 1.0), (-60.0, 80.0), (-60.0, 80.0),
    (-60.0, 80.0), (-60.0, 80.0), (0.0, 2000.0), (0.0, 1000.0),
)  # fmt: skip


class World:
    """``n_envs`` copies of a scenario stepped together (see the module docstring).

    Args:
        scenario: a validated scenario whose venue has a plugin (:mod:`twin.venues`).
        n_envs: number of copies.
        shared_weather: every copy stands under copy 0's sky (e.g. the homes of one
            neighbourhood); its arrays then keep one column, broadcast to every copy,
            which matters for memory at thousands of copies. Off, copy ``i`` equals a
            one-copy World seeded ``s_i``.
    """

    def __init__(self, scenario: Scenario, n_envs: int = 1, shared_weather: bool = False) -> None:
        venue_cls = venue_class(scenario.venue)
        self.scenario = scenario
        self.n_envs = n_envs
        self.building: Building = build_building(scenario)
        self.calendar = Calendar(scenario.simulation.start)
        self.nz = self.building.n_zones
        self.dt = scenario.simulation.dt_s
        self.dt_h = self.dt / 3600.0
        self.n_steps = scenario.simulation.n_steps
        self.substeps = scenario.hvac.substeps
        self.forecast_steps = int(np.ceil(FORECAST_H / self.dt_h))
        # Per-zone parameter arrays with a leading environment axis (identical copies
        # unless the venue or domain randomisation replaces them at reset).
        self._reset_parameters()
        self.shared_weather = shared_weather
        self.seeds: list[int] = []
        self.t = 0
        #: Whether commands go through the priority array (venues with occupant overrides).
        self.arbitrated = venue_cls.arbitrated
        self.arbitration: dict[str, PriorityArray] | None = None
        self.venue: Venue = venue_cls(self)

    # ------------------------------------------------------------------ reset
    def reset(self, seeds: Sequence[int]) -> None:
        """Start every copy afresh from its own root seed."""
        if len(seeds) != self.n_envs:
            raise ValueError(f"reset needs {self.n_envs} seeds, got {len(seeds)}")
        s, ne, nz = self.scenario, self.n_envs, self.nz
        b_ = self.building
        self.seeds = [int(x) for x in seeds]
        self.t = 0
        self._reset_parameters()
        # One SimPy clock for every copy: copies never share a resource, and each copy's
        # events keep their relative order (time, priority, then scheduling order), so
        # copy i runs exactly as it would alone while all events go through one loop.
        self.sim = simpy.Environment()
        self.streams = [spawn_streams(seed) for seed in self.seeds]
        self.variants = []
        for e, streams in enumerate(self.streams):
            own = self.venue.copy_building(e, streams)
            self._set_building(e, own if own is not None else b_)
            self.variants.append(self._randomize(e, streams["randomization"], own))
        n_weather = self.n_steps + self.forecast_steps + 1
        # Copies under one sky share copy 0's weather: one column, broadcast to all.
        skies = self.streams[:1] if self.shared_weather else self.streams
        weathers: list[Weather] = [
            build_weather(s.weather, s.site, s.simulation.start, n_weather, self.dt, r["physics"])
            for r in skies
        ]
        w0 = weathers[0]
        self.times = w0.times
        self.hours = local_hours(w0.times)

        def per_copy(a: np.ndarray) -> np.ndarray:
            a = np.ascontiguousarray(a)
            return a if a.shape[1] == ne else np.broadcast_to(a, (a.shape[0], ne, *a.shape[2:]))

        self.t_out = per_copy(np.stack([w.t_out for w in weathers], axis=1))
        self.facade_irr = per_copy(np.stack([w.facade_irr for w in weathers], axis=1))
        self.outdoor_lux = per_copy(np.stack([w.illuminance_lux for w in weathers], axis=1))
        self.ghi = per_copy(np.stack([w.ghi for w in weathers], axis=1))
        inv_h, inv_c = heat_pump_arrays(s, np.stack([w.t_out for w in weathers], axis=1))
        self.inv_cop_h, self.inv_cop_c = per_copy(inv_h), per_copy(inv_c)
        self.price = tariff_per_step(s.tariff, self.hours)
        self.schedule_occupied = in_window(self.hours, s.thermostat.occupied_hours)
        th = s.thermostat
        self.theta_m = np.full((ne, nz), th.heating_setpoint_c)
        self.energy_hvac = np.zeros((ne, nz))
        self.setpoint = np.full((ne, nz), th.heating_setpoint_c)
        self.cool_setpoint = np.full((ne, nz), th.cooling_setpoint_c)
        air = np.full((ne, nz), th.heating_setpoint_c)
        self.out = ZoneOutputs(
            air=air, op=air.copy(), q_hvac=np.zeros((ne, nz)), p_hvac=np.zeros((ne, nz)),
            lux=np.zeros((ne, nz)), cct=np.full((ne, nz), th.light_cct_k),
            p_light=np.zeros((ne, nz)), occupied=np.zeros((ne, nz), dtype=bool),
            excess=np.zeros((ne, nz)), zone_power=np.zeros((ne, nz)),
        )  # fmt: skip
        self.count = np.zeros((ne, nz))
        self.state = ZoneState(self.theta_m, self.energy_hvac)
        self.arrays = BuildingArrays(
            light=self.light, equipment_w=self.equipment_w, coef=self.coef, inv_a_a=self.inv_a_a,
            aperture=self.aperture, q_heat_max=self.q_heat_max, q_cool_max=self.q_cool_max,
            dt_sub=b_.dt, substeps=self.substeps,
        )  # fmt: skip
        c = s.comfort
        self.band = np.array([c.lower_c, c.upper_c, c.unoccupied_lower_c, c.unoccupied_upper_c])
        self.step_price = float(self.price[0])
        # Building KPI accumulators per copy: rows of one array (the ACC_* of passes).
        self.acc = np.zeros((N_ACC, ne))
        self._delay = np.array([int(v["sensor_delay_steps"]) for v in self.variants])
        self._air_hist = np.repeat(self.out.air[None], int(self._delay.max()) + 1, axis=0)
        self._sensor_noise = np.empty((ne, NOISE_BLOCK, nz))
        self._sensor_block = -1
        self._site = self._site_table(len(weathers))
        if self.arbitrated:
            defaults = (th.heating_setpoint_c, th.cooling_setpoint_c, th.light_lux, th.light_cct_k)
            self.arbitration = {
                k: PriorityArray((ne, nz), d) for k, d in zip(ZONE_COMMANDS, defaults, strict=True)
            }
            self.command_source = {k: np.zeros((ne, nz), np.int8) for k in ZONE_COMMANDS}
        self.venue.reset(self.streams, self.variants)

    def _randomize(
        self, e: int, rng: np.random.Generator, own: Building | None = None
    ) -> dict[str, float]:
        """Draw copy ``e``'s building, occupant and sensor variant (identity when disabled).

        The building variant scales copy ``e``'s own building (``own``, from the venue) or
        else the scenario's.
        """
        rz, b = self.scenario.randomization, own if own is not None else self.building
        names = ("envelope", "ventilation", "thermal_mass", "hvac_capacity", "preference_spread")
        if not rz.enabled:
            return {**dict.fromkeys(names, 1.0), "sensor_noise_k": 0.0, "sensor_delay_steps": 0}
        v = {
            "envelope": rng.uniform(*rz.envelope_scale),
            "ventilation": rng.uniform(*rz.ventilation_scale),
            "thermal_mass": rng.uniform(*rz.thermal_mass_scale),
            "hvac_capacity": rng.uniform(*rz.hvac_capacity_scale),
            "preference_spread": rng.uniform(*rz.preference_spread_scale),
            "sensor_noise_k": rz.sensor_noise_k,
            "sensor_delay_steps": int(
                rng.integers(rz.sensor_delay_steps[0], rz.sensor_delay_steps[1] + 1)
            ),
        }
        rc = b.rc
        scaled = RCParams(
            H_ve=rc.H_ve * v["ventilation"], H_tr_is=rc.H_tr_is, H_tr_w=rc.H_tr_w * v["envelope"],
            H_tr_ms=rc.H_tr_ms, H_tr_em=rc.H_tr_em * v["envelope"], C_m=rc.C_m * v["thermal_mass"],
            A_m=rc.A_m, A_t=rc.A_t, A_f=rc.A_f,
        )  # fmt: skip
        self.coef[e] = affine_coefficients(scaled, b.dt)
        self.inv_a_a[e] = 1.0 / self.coef[e, 6]
        self.q_heat_max[e] = b.q_heat_max * v["hvac_capacity"]
        self.q_cool_max[e] = b.q_cool_max * v["hvac_capacity"]
        return v

    def _reset_parameters(self) -> None:
        """Back to the scenario's own building (before drawing new variants)."""
        b, ne = self.building, self.n_envs
        self.coef = np.repeat(b.coef[None], ne, axis=0)  # a writable copy per environment
        self.inv_a_a = np.ascontiguousarray(1.0 / self.coef[:, 6])
        self.q_heat_max = np.tile(b.q_heat_max, (ne, 1))
        self.q_cool_max = np.tile(b.q_cool_max, (ne, 1))
        self.aperture = np.repeat(b.aperture[None], ne, axis=0)
        self.equipment_w = np.tile(b.equipment_w, (ne, 1))
        self.light = np.repeat(_light_rows(b)[None], ne, axis=0)

    def _set_building(self, e: int, b: Building) -> None:
        """Copy ``e`` stands in building ``b`` (the scenario's, or the venue's for it)."""
        if b is self.building:
            return  # already there (see _reset_parameters)
        if b.n_zones != self.nz:
            raise ScenarioError(
                f"copy {e}'s building has {b.n_zones} zones; the scenario's has {self.nz}"
            )
        self.coef[e] = b.coef
        self.inv_a_a[e] = b.inv_a_a
        self.q_heat_max[e] = b.q_heat_max
        self.q_cool_max[e] = b.q_cool_max
        self.aperture[e] = b.aperture
        self.equipment_w[e] = b.equipment_w
        self.light[e] = _light_rows(b)

    # ------------------------------------------------------------------ step
    @property
    def now_s(self) -> float:
        """Run time at the start of the current step (s)."""
        return self.t * self.dt

    @property
    def done(self) -> bool:
        """Whether the scenario horizon has been reached."""
        return self.t >= self.n_steps

    def step(self, commands: Commands, disclosed: np.ndarray | None = None) -> None:
        """Advance every copy by one control step under ``commands``.

        Args:
            commands: physical commands, used as given (an env maps its normalised action
                space onto physical ranges; only a cooling set-point too close to the
                heating one is raised, by :data:`MIN_DEADBAND_K`).
            disclosed: which occupants' personal data the policy saw this step (in the
                venue's shape), for the ``personal_data_used`` KPI.
        """
        ne, nz, t = self.n_envs, self.nz, self.t
        self.setpoint = np.array(commands.heat_setpoint_c, dtype=np.float64).reshape(ne, nz)
        self.cool_setpoint = np.array(commands.cool_setpoint_c, dtype=np.float64).reshape(ne, nz)
        target = np.ascontiguousarray(commands.light_lux, dtype=np.float64).reshape(ne, nz)
        cct_cmd = np.ascontiguousarray(commands.light_cct_k, dtype=np.float64).reshape(ne, nz)
        if self.arbitration is not None and not self.venue.arbitration_in_kernel:
            self._arbitrate(t, (self.setpoint, self.cool_setpoint, target, cct_cmd))
        self.step_price = float(self.price[t])
        weather = StepWeather(
            self.outdoor_lux[t], self.t_out[t], self.facade_irr[t], self.inv_cop_h[t],
            self.inv_cop_c[t],
        )  # fmt: skip
        cmd = ZoneCommands(self.setpoint, self.cool_setpoint, target, cct_cmd)
        self.venue.advance(cmd, weather, commands.venue, disclosed)
        if self._air_hist.shape[0] > 1:
            self._air_hist[1:] = self._air_hist[:-1]
        self._air_hist[0] = self.out.air

        # Discrete events up to the end of the step. Stepping the SimPy environment
        # directly avoids run(until=...)'s per-call machinery.
        self.t += 1
        until = self.t * self.dt
        sim = self.sim
        while sim.peek() < until:
            sim.step()
        self.venue.settle()

    def _arbitrate(self, t: int, policy: tuple[np.ndarray, ...]) -> None:
        """Resolve who commands each zone: override > policy > the thermostat's schedule.

        The policy's commands are written at the ``policy`` level (a NaN relinquishes that
        point to the schedule); the schedule level holds the thermostat's program for this
        step; overrides are whatever the venue wrote (:meth:`override`). The values in
        force replace ``policy`` in place; :attr:`command_source` says who set each. A venue
        with ``arbitration_in_kernel`` does exactly this inside its step kernel instead,
        on the same priority arrays.
        """
        assert self.arbitration is not None
        th = self.scenario.thermostat
        occupied = bool(self.schedule_occupied[t])
        schedule = (
            th.heating_setpoint_c if occupied else th.setback_heating_c,
            th.cooling_setpoint_c if occupied else th.setback_cooling_c,
            th.light_lux if occupied else 0.0,
            th.light_cct_k,
        )
        for (name, arr), values, sched in zip(
            self.arbitration.items(), policy, schedule, strict=True
        ):
            arr.write("schedule", np.full(values.shape, sched))
            arr.write("policy", values)
            values[...], self.command_source[name][...] = arr.resolve()

    def override(self, quantity: str, values: np.ndarray, where: np.ndarray) -> None:
        """An occupant or operator takes over ``quantity`` of the zones ``where``.

        ``quantity`` is a ``ZONE_COMMANDS`` name, ``where`` ``(ne, nz)`` bool; the override
        holds from the next step until :meth:`release`.
        """
        if self.arbitration is None:
            raise RuntimeError(f"venue {self.venue.name!r} does not arbitrate commands")
        self.arbitration[quantity].write("override", values, where)

    def release(self, quantity: str, where: np.ndarray | None = None) -> None:
        """End the overrides of ``quantity`` at the zones ``where`` (all by default)."""
        if self.arbitration is not None:
            self.arbitration[quantity].relinquish("override", where)

    def sync_agents(self) -> None:
        """Move every Mesa agent to the cell its current state puts it in."""
        self.venue.sync_agents()

    # ------------------------------------------------------------------ sensing
    def measurements(self) -> Measurements:
        """What the zones' sensors report now (the only World state an encoder sees)."""
        return Measurements(
            time_s=float(min(self.t, self.n_steps) * self.dt),
            temperature_c=self.sensed_temperature(),
            presence=self.out.occupied,
            count=self.count,
            illuminance_lux=self.out.lux,
            heat_setpoint_c=self.setpoint,
            cool_setpoint_c=self.cool_setpoint,
            site=self.site_features(),
        )

    def site_features(self) -> np.ndarray:
        """``(n_envs, len(SITE_FEATURES))``: time, weather now and forecast, price."""
        return self._site[min(self.t, self.n_steps)]

    def _site_table(self, skies: int) -> np.ndarray:
        """Site features of every step ``(n_steps + 1, n_envs, G)``, built once at reset.

        They depend on the clock and the weather only, never on the policy; with one sky
        for all copies the table has one column, broadcast to every copy.
        """
        n, ne = self.n_steps + 1, skies
        t = np.arange(n)
        hour = self.hours[t]
        day = (
            self.scenario.simulation.start.weekday() + (t * self.dt + self.hours[0] * 3600) // 86400
        ) % 7
        k = self.forecast_steps
        steps_1h = max(1, int(round(1.0 / self.dt_h)))
        table = np.empty((n, ne, len(SITE_FEATURES)))
        table[:, :, 0] = np.sin(2 * np.pi * hour / 24)[:, None]
        table[:, :, 1] = np.cos(2 * np.pi * hour / 24)[:, None]
        table[:, :, 2] = np.sin(2 * np.pi * day / 7)[:, None]
        table[:, :, 3] = np.cos(2 * np.pi * day / 7)[:, None]
        t_out, ghi = self.t_out[:, :ne], self.ghi[:, :ne]
        table[:, :, 4] = t_out[t]
        table[:, :, 5] = t_out[np.minimum(t + steps_1h, t + k)]
        table[:, :, 6] = t_out[np.minimum(t + 3 * steps_1h, t + k)]
        table[:, :, 7] = t_out[t + k]
        table[:, :, 8] = ghi[t]
        table[:, :, 9] = self.price[np.minimum(t, self.n_steps - 1)][:, None]
        return (
            table if ne == self.n_envs else np.broadcast_to(table, (n, self.n_envs, table.shape[2]))
        )

    def sensed_temperature(self) -> np.ndarray:
        """Zone air temperature as the sensors report it: delayed and noisy when randomised."""
        if self._air_hist.shape[0] == 1:
            reading = self._air_hist[0]
        else:
            reading = self._air_hist[self._delay, np.arange(self.n_envs)]
        rz = self.scenario.randomization
        if not rz.enabled or rz.sensor_noise_k == 0:
            return reading
        # Noise comes in blocks drawn once per block index, however often this is called.
        block = self.t // NOISE_BLOCK
        if block != self._sensor_block:
            for e, streams in enumerate(self.streams):
                streams["sensors"].standard_normal(out=self._sensor_noise[e])
            self._sensor_block = block
        noise = self._sensor_noise[:, self.t % NOISE_BLOCK]
        return reading + rz.sensor_noise_k * noise

    # ------------------------------------------------------------------ results
    def building_kpis(self, e: int) -> dict[str, float]:
        """Energy, cost, peak and thermal discomfort of copy ``e`` so far (unrounded)."""
        energy_hvac = float(self.energy_hvac[e].sum()) / 3.6e6
        energy_light = float(self.acc[ACC_ENERGY_LIGHT_J, e]) / 3.6e6
        return {
            "energy_kwh": energy_hvac + energy_light,
            "hvac_energy_kwh": energy_hvac,
            "lighting_energy_kwh": energy_light,
            "cost": float(self.acc[ACC_COST, e]),
            "peak_kw": float(self.acc[ACC_PEAK_W, e]) / 1000.0,
            "discomfort_kh": float(self.acc[ACC_DISCOMFORT_KH, e]),
        }

    def kpis(self, e: int) -> dict[str, float]:
        """Flat KPIs of copy ``e`` so far: the building's and the venue's, rounded."""
        return rounded({**self.building_kpis(e), **self.venue.kpis(e)})

    def records(self, e: int) -> list[dict[str, Any]]:
        """The venue's pseudonymous occupant records of copy ``e``."""
        return self.venue.records(e)

    # Read-only views of the outputs, by the names the rest of the code reads.
    air = property(lambda self: self.out.air, doc="Step-mean air temperature (deg C).")
    op = property(lambda self: self.out.op, doc="Step-mean operative temperature (deg C).")
    lux = property(lambda self: self.out.lux, doc="Illuminance (lx).")
    cct = property(lambda self: self.out.cct, doc="Colour temperature seen (K).")
    q_hvac = property(lambda self: self.out.q_hvac, doc="HVAC heat to the air (W).")
    p_hvac = property(lambda self: self.out.p_hvac, doc="HVAC electricity (W).")
    p_light = property(lambda self: self.out.p_light, doc="Lighting electricity (W).")
    zone_occupied = property(lambda self: self.out.occupied, doc="Zone occupancy (bool).")
    step_excess = property(lambda self: self.out.excess, doc="K outside the comfort band.")
    step_zone_power = property(lambda self: self.out.zone_power, doc="Zone electricity (W).")


def _light_rows(b: Building) -> np.ndarray:
    """``(6, nz)``: daylight factor, max lux, installed W, min power, CCT min and max."""
    return np.stack(
        [b.daylight_factor, b.max_lux, b.installed_light_w, b.min_power_fraction, b.cct_min,
         b.cct_max]
    )  # fmt: skip
