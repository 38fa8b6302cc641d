"""A home as an RL task: observation encoder, action decoder and reward.

Each copy is one home, and the observation is that home alone, so one policy serves
every home of the stock. It is encoded from :class:`~twin.interface.Measurements`, the
thermostat's context (:class:`~twin.venues.home.venue.HomeContext`: who commands each
zone, the program, consent) and what the thermostat learned from them
(:mod:`twin.venues.home.learning`, updated here at every new reading), and nothing else:
the same encoder, with the same consent rule, runs on a real thermostat's readings.

Observation (float32, ``n_zones * len(ZONE_FEATURES) + len(HOME_FEATURES) +
len(SITE_FEATURES)``): zone-major blocks (``obs[z * F + j]`` is feature ``j`` of zone
``z``), then the home's features, then the site's. Action (float32 in [-1, 1], ``2 *
n_zones``), zone-major: ``action[2 z]`` the heating and ``action[2 z + 1]`` the cooling
set-point of zone ``z``, each mapped linearly onto ``[control.setpoint_min_c,
control.setpoint_max_c]``. Lights are the residents' (they switch them), colour the
program's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from twin.calendar import Calendar
from twin.interface import Commands
from twin.venues.actions import action_batch, decode_actions, normalise
from twin.venues.home.learning import ThermostatLearning
from twin.venues.home.task_kernels import F_HOME, F_ZONE, encode_observation, zone_rewards
from twin.venues.layout import ZoneLayout
from twin.world import SITE_BOUNDS, SITE_FEATURES

if TYPE_CHECKING:
    from twin.interface import Measurements
    from twin.venues.home.venue import HomeContext, HomeVenue
    from twin.world import World

#: Per-zone observation features (name, unit, what it is).
ZONE_FEATURES: tuple[tuple[str, str, str], ...] = (
    ("temp_c", "degC", "zone air temperature (sensor)"),
    ("occupied", "0/1", "somebody is in the zone (presence sensor)"),
    ("heat_setpoint_c", "degC", "heating set-point in force in the last step"),
    ("cool_setpoint_c", "degC", "cooling set-point in force in the last step"),
    ("is_bedroom", "0/1", "the zone is a night zone"),
    ("override", "0/1", "a resident's override holds the heating set-point (thermostat log)"),
    ("program_heat_c", "degC", "the heating set-point of the thermostat's program now"),
    ("learned_setpoint_c", "degC", "set-point learned from residents' overrides (consented)"),
    ("p_occupied_now", "0-1", "learned chance the zone is occupied now (consented)"),
    ("p_occupied_1h", "0-1", "learned chance the zone is occupied in an hour (consented)"),
    ("hours_to_occupied", "h", "until the zone is next predicted occupied, capped at 24"),
    ("hours_to_empty", "h", "until the zone is next predicted empty, capped at 24"),
    ("absent_h", "h", "empty while the routine said occupied, since last seen (consented)"),
    ("heat_rate_k_h", "K/h", "learned rise of the temperature while heating catches up"),
)
ZONE_BOUNDS: tuple[tuple[float, float], ...] = (
    (-60.0, 80.0), (0.0, 1.0), (-60.0, 80.0), (-60.0, 80.0), (0.0, 1.0), (0.0, 1.0),
    (-60.0, 80.0), (-60.0, 80.0), (0.0, 1.0), (0.0, 1.0), (0.0, 24.0), (0.0, 24.0),
    (0.0, 24.0), (0.0, 100.0),
)  # fmt: skip
#: Home features (after the zone blocks).
HOME_FEATURES: tuple[tuple[str, str, str], ...] = (
    ("learning_allowed", "0/1", "the household consented and the policy may use it"),
    ("confidence", "0-1", "how much of the routine at this time of day is learned"),
    ("weekend", "0/1", "today is Saturday or Sunday"),
)
HOME_BOUNDS: tuple[tuple[float, float], ...] = ((0.0, 1.0), (0.0, 1.0), (0.0, 1.0))
ZONE_INDEX = {name: j for j, (name, _, _) in enumerate(ZONE_FEATURES)}
HOME_INDEX = {name: j for j, (name, _, _) in enumerate(HOME_FEATURES)}
ACTION_KINDS = ("heat_setpoint_c", "cool_setpoint_c")
N_ACT = len(ACTION_KINDS)
REWARD_TERMS = ("comfort", "discomfort", "energy_cost", "overrides", "unsafe", "oscillation")
assert len(ZONE_FEATURES) == F_ZONE and len(HOME_FEATURES) == F_HOME


class HomeTask:
    """Observation, action mapping and reward for a home World's copies.

    Args:
        world: a World of a home scenario.
        personal_data: whether the thermostat may learn (and show) consenting
            households' routines and set-points.
    """

    reward_terms: tuple[str, ...] = REWARD_TERMS

    def __init__(self, world: World, personal_data: bool = True) -> None:
        self.world = world
        self.personal_data = personal_data
        s = world.scenario
        self.venue: HomeVenue = world.venue  # type: ignore[assignment]
        self.nz = world.nz
        self.calendar = Calendar(s.simulation.start)
        th, c = s.thermostat, s.control
        # Before any override: the program's comfort value by day, its setback by night.
        self.prior_sp = np.where(
            self.venue.is_bedroom == 1, th.setback_heating_c, th.heating_setpoint_c
        )
        self.learning = ThermostatLearning(world.n_envs, self.nz, world.dt_h, self.prior_sp)
        bounds = (*ZONE_BOUNDS, *HOME_BOUNDS, *SITE_BOUNDS)
        zone_lo = np.tile([lo for lo, _ in ZONE_BOUNDS], self.nz)
        zone_hi = np.tile([hi for _, hi in ZONE_BOUNDS], self.nz)
        rest = (*HOME_BOUNDS, *SITE_BOUNDS)
        self.obs_low = np.concatenate([zone_lo, [lo for lo, _ in rest]]).astype(np.float32)
        self.obs_high = np.concatenate([zone_hi, [hi for _, hi in rest]]).astype(np.float32)
        self.obs_size = self.obs_low.size
        self.act_size = N_ACT * self.nz
        self.low = np.full((self.nz, N_ACT), c.setpoint_min_c)
        self.high = np.full((self.nz, N_ACT), c.setpoint_max_c)
        self.zone_layout = ZoneLayout.zone_major_layout(
            self.nz, F_ZONE, F_HOME + len(SITE_FEATURES), N_ACT,
            np.array([lo for lo, _ in bounds], np.float32),
            np.array([hi for _, hi in bounds], np.float32),
        )  # fmt: skip
        self.zone_reward = np.zeros((world.n_envs, self.nz))
        self._sim: object = None
        self._last_t = -1.0
        self._known = np.zeros(world.n_envs, np.bool_)
        self._prev: tuple[np.ndarray, np.ndarray] | None = None

    # ------------------------------------------------------------------ observation
    def allowed(self) -> np.ndarray:
        """``(ne,)``: homes whose routine the thermostat may learn and show."""
        return (self.venue.slots.consent == 1) & bool(self.personal_data)

    def observe(self, out: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The flat observation ``(n_envs, obs_size)`` and the homes whose routine it used.

        A new episode (the World was reset) starts a new learned model; the World's
        Measurements and context then go through :meth:`encode`.
        """
        w = self.world
        if w.sim is not self._sim:
            self.learning.reset()
            self._sim, self._last_t = w.sim, -1.0
        return self.encode(w.measurements(), self.venue.context(), self.personal_data, out)

    def encode(
        self,
        meas: Measurements,
        ctx: HomeContext,
        personal_data: bool,
        out: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Encode ``meas`` and ``ctx`` (the twin's, or a real thermostat's) with the consent rule.

        Public so that a deployment (:mod:`hw_adapters.venues.home`) runs exactly this
        encoder on a site's readings. A new reading (later than the last) is first added
        to the learned model.
        """
        hour = self.calendar.hour_of(meas.time_s)
        weekday = self.calendar.weekday_of(meas.time_s)
        allowed = (np.asarray(ctx.consent) == 1) & bool(personal_data)
        if meas.time_s > self._last_t:
            self._known = self.learning.learn(
                hour, weekday, allowed, meas.presence, meas.temperature_c, meas.heat_setpoint_c,
                ctx.heat_source,
            ).copy()  # fmt: skip
            self._last_t = meas.time_s
        if out is None:
            out = np.empty((meas.temperature_c.shape[0], self.obs_size), np.float32)
        ln = self.learning
        encode_observation(
            out, meas.temperature_c, meas.presence, meas.heat_setpoint_c, meas.cool_setpoint_c,
            ctx.heat_source, ctx.is_bedroom.astype(np.float64), float(ctx.program[0]), allowed,
            self.prior_sp, ln.sp, ln.rate, ln.since, ln.n_obs, ln.n_occ, ln.slot_of(hour), weekday,
            self.world.dt_h, np.ascontiguousarray(meas.site), self.obs_low, self.obs_high,
        )  # fmt: skip
        return out, self._known

    # ------------------------------------------------------------------ actions
    def decode(self, action: np.ndarray) -> Commands:
        """Normalised actions ``(n_envs, 2 n_zones)`` in [-1, 1] -> physical commands.

        Light level and colour are relinquished (NaN, new arrays every step: the step
        writes the values in force into them): residents switch the lights, the
        program sets the colour.
        """
        ne = self.world.n_envs
        phys = np.empty((N_ACT, ne, self.nz))
        decode_actions(action_batch(action, ne, self.act_size), self.low, self.high, phys)
        nan = np.full((ne, self.nz), np.nan)
        return Commands(phys[0], phys[1], nan, nan.copy())

    def normalise(self, heat_c: np.ndarray, cool_c: np.ndarray) -> np.ndarray:
        """Physical set-points ``(..., n_zones)`` -> normalised action ``(..., 2 n_zones)``."""
        phys = np.stack(np.broadcast_arrays(heat_c, cool_c), axis=-1)
        return normalise(phys, self.low, self.high, ACTION_KINDS)

    # ------------------------------------------------------------------ reward
    def reset_reward(self) -> None:
        """Forget the previous set-points (start of an episode)."""
        self._prev = None

    def reward(self, commands: Commands) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Per-home reward of the step just taken and its (weighted) terms.

        A sum over zones; the per-zone rewards (``self.zone_reward``) add up to it, so a
        policy shared by the zones can learn from each zone's own consequences.
        """
        w, c, v = self.world, self.world.scenario.control, self.venue
        wt = c.reward
        weights = np.array([
            wt.satisfaction, wt.discomfort, wt.energy_cost,
            w.scenario.home.reward.override,  # type: ignore[union-attr]
            wt.unsafe, wt.oscillation,
        ])  # fmt: skip
        heat = np.asarray(commands.heat_setpoint_c, dtype=np.float64).reshape(w.n_envs, self.nz)
        cool = np.asarray(commands.cool_setpoint_c, dtype=np.float64).reshape(w.n_envs, self.nz)
        prev = self._prev if self._prev is not None else (heat, cool)
        self.zone_reward = np.empty((w.n_envs, self.nz))
        totals = np.empty((len(REWARD_TERMS), w.n_envs))
        rs = v.slots
        zone_rewards(
            self.zone_reward, totals, rs.state, rs.thermal_now, rs.excess_now, rs.bed, v.living,
            w.step_zone_power, v.state.n_over, heat, cool, prev[0], prev[1], w.zone_occupied,
            weights, float(w.step_price), w.dt_h, c.safe_min_c, c.safe_max_c,
            wt.oscillation_tolerance_k, self._prev is not None,
        )  # fmt: skip
        self._prev = (heat.copy(), cool.copy())
        return totals.sum(axis=0), {k: totals[j] for j, k in enumerate(REWARD_TERMS)}
