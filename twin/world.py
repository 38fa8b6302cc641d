"""The World: SimPy events, Mesa guests and Numba physics on one clock.

A :class:`World` simulates ``n_envs`` independent copies of a hotel scenario in lock
step. The copies share one SimPy ``Environment`` (the master clock; each copy has its
own discrete events: arrivals, front desk, housekeeping) and each has its own Mesa
:class:`~agents.hotel.model.HotelModel` (guests and layout); the physics and the
guests' per-step update run as one Numba call over all copies
(:func:`twin.world_kernels.world_step`), so a batch costs little more than one copy.

A control step of ``dt`` seconds:

1. applies the action (per-zone air set-point, light level and colour temperature);
2. computes lighting (daylight harvesting) and internal gains from the guests' states;
3. advances the 5R1C zones with ideal capacity-limited HVAC (``hvac.substeps`` steps);
4. updates every guest (routine, clothing, PPD, satisfaction, feedback) from the room;
5. runs the SimPy clock to ``now + dt``: check-ins and check-outs happen at their times.

Randomness: one root seed per copy is split into physics (weather), events (SimPy) and
agents (Mesa) streams (:func:`twin.seeding.spawn_streams`); copy ``i`` of a World seeded
``[s0, s1, ...]`` equals a one-copy World seeded ``[s_i]``, byte for byte.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import simpy

from agents.hotel.model import HotelModel, Outcome
from agents.hotel.slots import GuestSlots
from agents.kernels import (
    ASLEEP,
    AWAKE,
    N_PARAMS,
    P_CCT_TOL,
    P_FEEDBACK,
    P_FEEDBACK_DECAY_H,
    P_LUX_TOL,
    P_MEMORY_H,
    P_RH,
    P_SLEEP_OFFSET,
    P_VR,
    P_W_C,
    P_W_L,
    P_W_T,
)
from twin.building import Building, build_building
from twin.errors import ScenarioError
from twin.kpi import tariff_per_step
from twin.physics.network import RCParams, affine_coefficients
from twin.scenario import Scenario
from twin.seeding import spawn_streams
from twin.simulate import heat_pump_arrays, in_hours, local_hours
from twin.weather import Weather, build_weather
from twin.world_kernels import (
    ACC_COST,
    ACC_DISCLOSED_H,
    ACC_DISCOMFORT_KH,
    ACC_ENERGY_LIGHT_J,
    ACC_IN_HOUSE_H,
    ACC_PEAK_W,
    ACC_PPD_H,
    ACC_PRESENT_H,
    N_ACC,
    world_step,
)

#: Forecast horizon kept beyond the run for weather forecasts in observations (h).
FORECAST_H = 6.0
#: Feedback decays with this time constant (h).
FEEDBACK_DECAY_H = 3.0
NOISE_BLOCK = 256


@dataclass(frozen=True, slots=True)
class Action:
    """Physical per-zone commands, each ``(n_envs, n_zones)``.

    The HVAC heats below ``heat_setpoint_c`` and cools above ``cool_setpoint_c``; a
    cooling set-point less than :data:`~twin.world_kernels.MIN_DEADBAND_K` above the
    heating one is raised to it (a thermostat cannot heat and cool towards two targets at once).
    """

    heat_setpoint_c: np.ndarray
    cool_setpoint_c: np.ndarray
    light_lux: np.ndarray
    light_cct_k: np.ndarray


class World:
    """``n_envs`` copies of a hotel scenario stepped together."""

    def __init__(self, scenario: Scenario, n_envs: int = 1) -> None:
        if scenario.venue != "hotel" or scenario.hotel is None:
            raise ScenarioError(
                f"scenario '{scenario.name}' has venue = {scenario.venue!r}; the World runs "
                "hotel scenarios (use `twin simulate` for a building alone)"
            )
        self.scenario = scenario
        self.n_envs = n_envs
        self.building: Building = build_building(scenario)
        b = self.building
        self.nz = b.n_zones
        self.room_zone = b.zones_of_kind("guest_room")
        self.n_rooms = len(self.room_zone)
        self.room_names = tuple(b.zone_names[z] for z in self.room_zone)
        self.lobby_zones = b.zones_of_kind("lobby")
        # Zones that are neither guest rooms nor lobby follow the thermostat's schedule.
        self.other_zones = np.setdiff1d(np.arange(self.nz), np.r_[self.room_zone, self.lobby_zones])
        self.dt = scenario.simulation.dt_s
        self.dt_h = self.dt / 3600.0
        self.n_steps = scenario.simulation.n_steps
        self.substeps = scenario.hvac.substeps
        self.forecast_steps = int(np.ceil(FORECAST_H / self.dt_h))
        sat = scenario.hotel.satisfaction
        comfort = scenario.comfort
        p = np.zeros(N_PARAMS)
        p[[P_MEMORY_H, P_W_T, P_W_L, P_W_C, P_LUX_TOL, P_CCT_TOL, P_SLEEP_OFFSET, P_FEEDBACK]] = (
            sat.memory_h, sat.weight_thermal, sat.weight_light, sat.weight_cct,
            sat.lux_tolerance_rel, sat.cct_tolerance_k, sat.sleep_temp_offset_k,
            sat.feedback_per_h,
        )  # fmt: skip
        p[[P_RH, P_VR, P_FEEDBACK_DECAY_H]] = (
            comfort.relative_humidity_pct,
            comfort.air_speed_m_s,
            FEEDBACK_DECAY_H,
        )
        self.params = p
        # Per-zone parameter arrays with a leading environment axis (identical copies
        # unless domain randomisation replaces them at reset).
        self.aperture = np.ascontiguousarray(
            np.broadcast_to(b.aperture[None], (n_envs, 4, self.nz))
        )
        self._reset_parameters()
        self.seeds: list[int] = []

    # ------------------------------------------------------------------ reset
    def reset(self, seeds: Sequence[int]) -> None:
        """Start every copy afresh from its own root seed."""
        if len(seeds) != self.n_envs:
            raise ValueError(f"reset needs {self.n_envs} seeds, got {len(seeds)}")
        s, ne, nz = self.scenario, self.n_envs, self.nz
        b_ = self.building
        sim_cfg = s.simulation
        self.seeds = [int(x) for x in seeds]
        self.t = 0
        self.variants: list[dict[str, float]] = []
        self.slots = GuestSlots.allocate(ne, self.n_rooms)
        self._reset_parameters()
        # One SimPy clock for every copy: copies never share a resource, and each copy's
        # events keep their relative order (time, priority, then scheduling order), so
        # copy i runs exactly as it would alone while all events go through one loop.
        self.sim = simpy.Environment()
        self.hotels: list[HotelModel] = []
        weathers: list[Weather] = []
        self._rngs = []
        n_weather = self.n_steps + self.forecast_steps + 1
        for e, seed in enumerate(self.seeds):
            rngs = spawn_streams(seed)
            self._rngs.append(rngs)
            variant = self._randomize(e, rngs["randomization"])
            self.variants.append(variant)
            weathers.append(
                build_weather(s.weather, s.site, sim_cfg.start, n_weather, self.dt, rngs["physics"])
            )
            self.hotels.append(
                HotelModel(
                    s,
                    self.sim,
                    self.slots,
                    e,
                    self.room_names,
                    rngs["events"],
                    rngs["agents"],
                    preference_spread=variant["preference_spread"],
                )  # fmt: skip
            )
        w0 = weathers[0]
        self.times = w0.times
        self.hours = local_hours(w0.times)
        self.t_out = np.ascontiguousarray(np.stack([w.t_out for w in weathers], axis=1))
        self.facade_irr = np.ascontiguousarray(np.stack([w.facade_irr for w in weathers], axis=1))
        self.outdoor_lux = np.stack([w.illuminance_lux for w in weathers], axis=1)
        self.ghi = np.stack([w.ghi for w in weathers], axis=1)
        self.inv_cop_h, self.inv_cop_c = heat_pump_arrays(s, self.t_out)
        self.price = tariff_per_step(s.tariff, self.hours)
        self.other_occupied = in_hours(self.hours, s.thermostat.occupied_hours)
        th = s.thermostat
        self.theta_m = np.full((ne, nz), th.heating_setpoint_c)
        self.energy_hvac = np.zeros((ne, nz))
        self.air = np.full((ne, nz), th.heating_setpoint_c)
        self.op = self.air.copy()
        self.lux = np.zeros((ne, nz))
        self.cct = np.full((ne, nz), th.light_cct_k)
        self.setpoint = np.full((ne, nz), th.heating_setpoint_c)
        self.cool_setpoint = np.full((ne, nz), th.cooling_setpoint_c)
        self.zone_occupied = np.zeros((ne, nz), dtype=bool)
        self.q_hvac = np.zeros((ne, nz))
        self.p_hvac = np.zeros((ne, nz))
        self.p_light = np.zeros((ne, nz))
        self.step_excess = np.zeros((ne, nz))  # K outside the comfort band, per zone
        self.step_zone_power = np.zeros((ne, nz))  # W of electricity, per zone
        self.step_price = float(self.price[0])
        self._light = np.stack(
            [b_.daylight_factor, b_.max_lux, b_.installed_light_w, b_.min_power_fraction,
             b_.cct_min, b_.cct_max]
        )  # fmt: skip
        c = s.comfort
        self._band = np.array([c.lower_c, c.upper_c, c.unoccupied_lower_c, c.unoccupied_upper_c])
        # Uniform draws deciding guest feedback, a block of steps at a time, each copy's
        # drawn straight into its own rows.
        self._noise = np.empty((ne, NOISE_BLOCK, self.n_rooms))
        self._noise_block = -1
        self._none_disclosed = np.zeros((ne, self.n_rooms), dtype=bool)
        # KPI accumulators per environment: rows of one array, named views below.
        self.acc = np.zeros((N_ACC, ne))
        self.acc_energy_light = self.acc[ACC_ENERGY_LIGHT_J]
        self.acc_cost = self.acc[ACC_COST]
        self.acc_peak = self.acc[ACC_PEAK_W]
        self.acc_discomfort = self.acc[ACC_DISCOMFORT_KH]
        self.acc_ppd = self.acc[ACC_PPD_H]
        self.acc_present_h = self.acc[ACC_PRESENT_H]
        self.acc_disclosed_h = self.acc[ACC_DISCLOSED_H]
        self.acc_in_house_h = self.acc[ACC_IN_HOUSE_H]
        self._delay = np.array([int(v["sensor_delay_steps"]) for v in self.variants])
        self._air_hist = np.repeat(self.air[None], int(self._delay.max()) + 1, axis=0)
        self._sensor_noise = np.empty((ne, NOISE_BLOCK, nz))
        self._sensor_block = -1
        self._global = self._global_table()

    def _randomize(self, e: int, rng: np.random.Generator) -> dict[str, float]:
        """Draw copy ``e``'s building, guest and sensor variant (identity when disabled)."""
        rz, b = self.scenario.randomization, self.building
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

    # ------------------------------------------------------------------ step
    @property
    def now_s(self) -> float:
        """Run time at the start of the current step (s)."""
        return self.t * self.dt

    @property
    def done(self) -> bool:
        """Whether the scenario horizon has been reached."""
        return self.t >= self.n_steps

    def step(self, action: Action, disclosed: np.ndarray | None = None) -> None:
        """Advance every copy by one control step under ``action``.

        Args:
            action: physical commands, used as given (the env maps its normalised action
                space onto physical ranges; only a cooling set-point too close to the
                heating one is raised, see :class:`Action`).
            disclosed: ``(n_envs, n_rooms)`` bool, rooms whose guest's personal data the
                policy saw this step (for the ``personal_data_used`` KPI).
        """
        ne, nz, t, s = self.n_envs, self.nz, self.t, self.slots
        self.setpoint = np.array(action.heat_setpoint_c, dtype=np.float64).reshape(ne, nz)
        self.cool_setpoint = np.array(action.cool_setpoint_c, dtype=np.float64).reshape(ne, nz)
        target = np.ascontiguousarray(action.light_lux, dtype=np.float64).reshape(ne, nz)
        cct_cmd = np.ascontiguousarray(action.light_cct_k, dtype=np.float64).reshape(ne, nz)
        if t // NOISE_BLOCK != self._noise_block:
            for e, rngs in enumerate(self._rngs):
                rngs["agents"].random(out=self._noise[e])
            self._noise_block = t // NOISE_BLOCK
        self.step_price = float(self.price[t])
        # Lighting, gains, physics, guests and KPIs: one compiled pass over every copy.
        world_step(
            float(self.hours[t]), self.dt_h, self.substeps, self.setpoint, self.cool_setpoint,
            target, cct_cmd, self.outdoor_lux[t], self._light, self.building.equipment_w,
            self.room_zone, self.lobby_zones, self.other_zones, s.at_desk, self.coef,
            self.inv_a_a, self.aperture, self.q_heat_max, self.q_cool_max, self.t_out[t],
            self.facade_irr[t], self.inv_cop_h[t], self.inv_cop_c[t], self.building.dt,
            self.theta_m, self.energy_hvac, self.params, s.active, s.routine, s.prefs,
            s.party, self._noise[:, t % NOISE_BLOCK], s.state, s.sat, s.acc, s.tcl, s.feedback,
            s.ppd_now, bool(self.other_occupied[t]), self._band, self.step_price,
            self._none_disclosed if disclosed is None else disclosed, self.air, self.op,
            self.q_hvac, self.p_hvac, self.lux, self.cct, self.p_light, self.zone_occupied,
            self.step_excess, self.step_zone_power, self.acc,
        )  # fmt: skip
        if self._air_hist.shape[0] > 1:
            self._air_hist[1:] = self._air_hist[:-1]
        self._air_hist[0] = self.air

        # Discrete events up to the end of the step. Stepping the SimPy environment
        # directly avoids run(until=...)'s per-call machinery.
        self.t += 1
        until = self.t * self.dt
        sim = self.sim
        while sim.peek() < until:
            sim.step()

    def sync_agents(self) -> None:
        """Move every Mesa guest to the cell its current state puts it in.

        Positions are structure, not dynamics (the kernel holds the state), so they are
        synced at each day's data collection and on demand rather than every step.
        """
        for hotel in self.hotels:
            hotel.sync_cells(np.arange(self.n_rooms))

    # ------------------------------------------------------------------ observation
    def observe(self, personal_data: bool) -> dict[str, np.ndarray]:
        """What a real deployment could sense, batched over environments.

        Personal preferences appear only for guests who consented, and only when
        ``personal_data`` is true (the policy is allowed to use them); everything else
        is what sensors, the thermostat and the property-management system know. The
        true preferences of non-consenting guests are never read here.

        Returns:
            ``zone_*`` arrays ``(n_envs, n_zones)``, ``room_*`` arrays
            ``(n_envs, n_rooms)`` and ``global`` ``(n_envs, len(GLOBAL_FEATURES))``.
        """
        s, t = self.slots, min(self.t, self.n_steps)
        now = t * self.dt
        sold = s.active == 1
        th = self.scenario.thermostat
        if personal_data:
            known_now = sold & (s.consent == 1)
            soon = (s.next_arrival_s - now) <= 24 * 3600.0
            known_next = ~sold & (s.next_consent == 1) & soon
        else:
            known_now = known_next = np.zeros_like(sold)
        known = known_now | known_next
        current = s.prefs[[0, 2, 3]]  # only read where known_now (consented)
        defaults = np.array([th.heating_setpoint_c, th.light_lux, th.light_cct_k])[:, None, None]
        prefs = np.where(known_now, current, np.where(known_next, s.next_prefs, defaults))
        to_arrival = np.clip((s.next_arrival_s - now) / 3600.0, 0.0, 24.0)
        to_departure = np.where(sold, np.clip((s.departure_s - now) / 3600.0, 0.0, 24.0), 0.0)
        present = (s.state == AWAKE) | (s.state == ASLEEP)
        glob = self.global_features()
        return {
            "zone_temp_c": np.array(self._sensed_temperature()),
            "zone_occupied": self.zone_occupied.astype(np.float64),
            "zone_heat_setpoint_c": self.setpoint.copy(),
            "zone_cool_setpoint_c": self.cool_setpoint.copy(),
            "zone_lux": self.lux.copy(),
            "room_sold": sold.astype(np.float64),
            "room_present": present.astype(np.float64),
            "room_hours_to_arrival": to_arrival,
            "room_hours_to_departure": to_departure,
            "room_pref_known": known.astype(np.float64),
            "room_pref_temp_c": prefs[0],
            "room_pref_lux": prefs[1],
            "room_pref_cct_k": prefs[2],
            "room_feedback_thermal": s.feedback[0].copy(),
            "room_feedback_light": s.feedback[1].copy(),
            "global": glob,
        }

    def global_features(self) -> np.ndarray:
        """``(n_envs, len(GLOBAL_FEATURES))``: time, weather now and forecast, price."""
        return self._global[min(self.t, self.n_steps)]

    def _global_table(self) -> np.ndarray:
        """Global features of every step ``(n_steps + 1, n_envs, G)``, built once at reset.

        They depend on the clock and the weather only, never on the policy.
        """
        n, ne = self.n_steps + 1, self.n_envs
        t = np.arange(n)
        hour = self.hours[t]
        day = (
            self.scenario.simulation.start.weekday() + (t * self.dt + self.hours[0] * 3600) // 86400
        ) % 7
        k = self.forecast_steps
        steps_1h = max(1, int(round(1.0 / self.dt_h)))
        table = np.empty((n, ne, len(GLOBAL_FEATURES)))
        table[:, :, 0] = np.sin(2 * np.pi * hour / 24)[:, None]
        table[:, :, 1] = np.cos(2 * np.pi * hour / 24)[:, None]
        table[:, :, 2] = np.sin(2 * np.pi * day / 7)[:, None]
        table[:, :, 3] = np.cos(2 * np.pi * day / 7)[:, None]
        table[:, :, 4] = self.t_out[t]
        table[:, :, 5] = self.t_out[np.minimum(t + steps_1h, t + k)]
        table[:, :, 6] = self.t_out[np.minimum(t + 3 * steps_1h, t + k)]
        table[:, :, 7] = self.t_out[t + k]
        table[:, :, 8] = self.ghi[t]
        table[:, :, 9] = self.price[np.minimum(t, self.n_steps - 1)][:, None]
        return table

    def _sensed_temperature(self) -> np.ndarray:
        """Zone air temperature as the sensors report it: delayed and noisy when randomised."""
        if self._air_hist.shape[0] == 1:
            reading = self._air_hist[0]
        else:
            reading = self._air_hist[self._delay, np.arange(self.n_envs)]
        if (
            not self.scenario.randomization.enabled
            or self.scenario.randomization.sensor_noise_k == 0
        ):
            return reading
        # Noise comes in blocks drawn once per block index, however often this is called.
        block = self.t // NOISE_BLOCK
        if block != self._sensor_block:
            for e, rngs in enumerate(self._rngs):
                rngs["sensors"].standard_normal(out=self._sensor_noise[e])
            self._sensor_block = block
        noise = self._sensor_noise[:, self.t % NOISE_BLOCK]
        return reading + self.scenario.randomization.sensor_noise_k * noise

    # ------------------------------------------------------------------ results
    def guest_records(self, e: int) -> list[dict]:
        """Checked-out guests and, at the end of a run, those still in the house."""
        return self.hotels[e].records + self.hotels[e].in_house_records()

    def guest_outcomes(self, e: int) -> list[Outcome]:
        """:meth:`guest_records` of copy ``e`` reduced to what the KPIs need, cheaply."""
        return self.hotels[e].outcomes()

    def kpis(self, e: int) -> dict[str, float]:
        """Flat KPIs of copy ``e`` so far (building and hotel)."""
        from twin.kpi import hotel_kpis

        return hotel_kpis(self, e)


#: Names of the columns of ``observe()["global"]``, with units.
GLOBAL_FEATURES = (
    ("hour_sin", "-"), ("hour_cos", "-"), ("weekday_sin", "-"), ("weekday_cos", "-"),
    ("t_out_c", "degC"), ("t_out_1h_c", "degC"), ("t_out_3h_c", "degC"), ("t_out_6h_c", "degC"),
    ("ghi_w_m2", "W/m2"), ("price_per_kwh", "currency/kWh"),
)  # fmt: skip
