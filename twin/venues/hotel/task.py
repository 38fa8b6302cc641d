"""The hotel as an RL task: observation encoder, action decoder and reward.

The observation is encoded from :class:`~twin.interface.Measurements` plus the hotel's
:class:`~twin.venues.hotel.venue.HotelContext` (the property-management system) by
:class:`HotelEncoder`, and nothing else: the same encoder, with the same consent rule,
runs on readings from real hardware. Everything is batched over the World's copies, so
the single env and the native vector env share one implementation.

Observation (float32, length ``n_zones * len(ZONE_FEATURES) + len(SITE_FEATURES)``): a
block of per-zone features, zone-major (``obs[z * F + j]`` is feature ``j`` of zone
``z``), followed by the site features. Room features are zero for zones that are not
guest rooms (``is_room = 0``). Action (float32 in [-1, 1], length ``4 * n_zones``),
zone-major: ``action[4 z]`` heating set-point, ``action[4 z + 1]`` cooling set-point,
``action[4 z + 2]`` light level, ``action[4 z + 3]`` light colour temperature, each
mapped linearly onto its physical range.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from agents.kernels import ASLEEP, AWAKE
from twin.interface import Commands, Measurements
from twin.venues.actions import action_batch, decode_actions, normalise
from twin.venues.hotel.task_kernels import encode_observation, zone_rewards
from twin.venues.hotel.venue import HotelContext, HotelVenue
from twin.venues.layout import ZoneLayout
from twin.world import SITE_BOUNDS, SITE_FEATURES

if TYPE_CHECKING:
    from twin.world import World

GLOBAL_FEATURES = SITE_FEATURES
GLOBAL_BOUNDS = SITE_BOUNDS
#: Per-zone observation features (name, unit, what it is).
ZONE_FEATURES: tuple[tuple[str, str, str], ...] = (
    ("temp_c", "degC", "zone air temperature (sensor)"),
    ("occupied", "0/1", "people present (presence sensor; lobby always, others by schedule)"),
    ("heat_setpoint_c", "degC", "heating set-point applied in the last step"),
    ("cool_setpoint_c", "degC", "cooling set-point applied in the last step"),
    ("lux", "lx", "illuminance in the zone in the last step"),
    ("is_room", "0/1", "the zone is a guest room"),
    ("sold", "0/1", "a guest is checked in (property-management system)"),
    ("present", "0/1", "the guest is in the room (awake or asleep)"),
    ("hours_to_arrival", "h", "until the next booked arrival, capped at 24"),
    ("hours_to_departure", "h", "until the current guest's departure, capped at 24"),
    ("pref_known", "0/1", "a consented stated preference is shown below"),
    ("pref_temp_c", "degC", "consented preferred temperature, else the house default"),
    ("pref_lux", "lx", "consented preferred light level, else the house default"),
    ("pref_cct_k", "K", "consented preferred colour temperature, else the house default"),
    ("feedback_thermal", "-", "recent thermal feedback, + wants warmer (decays over hours)"),
    ("feedback_light", "-", "recent light feedback, + wants brighter"),
)
#: Physical bounds of each zone feature (for the observation space).
ZONE_BOUNDS: tuple[tuple[float, float], ...] = (
    (-60.0, 80.0), (0.0, 1.0), (-60.0, 80.0), (-60.0, 80.0), (0.0, 2e5), (0.0, 1.0), (0.0, 1.0),
    (0.0, 1.0), (0.0, 24.0), (0.0, 24.0), (0.0, 1.0), (-60.0, 80.0), (0.0, 2e5),
    (1000.0, 20000.0), (-10.0, 10.0), (-10.0, 10.0),
)  # fmt: skip
F_ZONE = len(ZONE_FEATURES)
F_GLOBAL = len(GLOBAL_FEATURES)
ZONE_INDEX = {name: j for j, (name, _, _) in enumerate(ZONE_FEATURES)}
_ROOM_KEYS = (
    ("sold", "room_sold"), ("present", "room_present"),
    ("hours_to_arrival", "room_hours_to_arrival"),
    ("hours_to_departure", "room_hours_to_departure"), ("pref_known", "room_pref_known"),
    ("pref_temp_c", "room_pref_temp_c"), ("pref_lux", "room_pref_lux"),
    ("pref_cct_k", "room_pref_cct_k"), ("feedback_thermal", "room_feedback_thermal"),
    ("feedback_light", "room_feedback_light"),
)  # fmt: skip
ACTION_KINDS = ("heat_setpoint_c", "cool_setpoint_c", "light_lux", "light_cct_k")
N_ACT = len(ACTION_KINDS)
REWARD_TERMS = ("satisfaction", "discomfort", "energy_cost", "unsafe", "oscillation")


def reference_observation(
    meas: Measurements, ctx: HotelContext, personal_data: bool, defaults: np.ndarray
) -> dict[str, np.ndarray]:
    """The observation as named arrays, in plain NumPy (the readable reference).

    Personal preferences appear only for guests who consented, and only when
    ``personal_data`` is true (the policy is allowed to use them); everything else is
    what sensors, the thermostat and the property-management system know. The true
    preferences of non-consenting guests are never read here. ``defaults`` are the
    house temperature, light level and colour shown otherwise.

    Returns:
        ``zone_*`` arrays ``(n_envs, n_zones)``, ``room_*`` arrays ``(n_envs, n_rooms)``
        and ``global`` ``(n_envs, len(SITE_FEATURES))``.
    """
    now = meas.time_s
    sold = ctx.active == 1
    if personal_data:
        known_now = sold & (ctx.consent == 1)
        soon = (ctx.next_arrival_s - now) <= 24 * 3600.0
        known_next = ~sold & (ctx.next_consent == 1) & soon
    else:
        known_now = known_next = np.zeros_like(sold)
    known = known_now | known_next
    current = ctx.prefs[[0, 2, 3]]  # only read where known_now (consented)
    dflt = np.asarray(defaults, dtype=np.float64)[:, None, None]
    prefs = np.where(known_now, current, np.where(known_next, ctx.next_prefs, dflt))
    to_arrival = np.clip((ctx.next_arrival_s - now) / 3600.0, 0.0, 24.0)
    to_departure = np.where(sold, np.clip((ctx.departure_s - now) / 3600.0, 0.0, 24.0), 0.0)
    present = (ctx.state == AWAKE) | (ctx.state == ASLEEP)
    return {
        "zone_temp_c": np.array(meas.temperature_c),
        "zone_occupied": np.asarray(meas.presence).astype(np.float64),
        "zone_heat_setpoint_c": np.array(meas.heat_setpoint_c),
        "zone_cool_setpoint_c": np.array(meas.cool_setpoint_c),
        "zone_lux": np.array(meas.illuminance_lux),
        "room_sold": sold.astype(np.float64),
        "room_present": present.astype(np.float64),
        "room_hours_to_arrival": to_arrival,
        "room_hours_to_departure": to_departure,
        "room_pref_known": known.astype(np.float64),
        "room_pref_temp_c": prefs[0],
        "room_pref_lux": prefs[1],
        "room_pref_cct_k": prefs[2],
        "room_feedback_thermal": np.array(ctx.feedback[0]),
        "room_feedback_light": np.array(ctx.feedback[1]),
        "global": meas.site,
    }


class HotelEncoder:
    """Flat observations from Measurements plus the hotel's context, with the consent rule.

    Args:
        n_zones: zones of the building.
        room_zone: zone index of each guest room.
        defaults: the house temperature (deg C), light level (lx) and colour (K) shown
            where no consented preference may be.
    """

    def __init__(self, n_zones: int, room_zone: np.ndarray, defaults: np.ndarray) -> None:
        self.nz = n_zones
        self.room_zone = np.asarray(room_zone, dtype=np.int64)
        self.defaults = np.asarray(defaults, dtype=np.float64)
        self.obs_size = n_zones * F_ZONE + F_GLOBAL
        low = np.concatenate(
            [np.tile([b[0] for b in ZONE_BOUNDS], n_zones), [b[0] for b in SITE_BOUNDS]]
        )
        high = np.concatenate(
            [np.tile([b[1] for b in ZONE_BOUNDS], n_zones), [b[1] for b in SITE_BOUNDS]]
        )
        self.low, self.high = low.astype(np.float32), high.astype(np.float32)
        self.is_room = np.zeros(n_zones)
        self.is_room[self.room_zone] = 1.0

    def encode(
        self,
        meas: Measurements,
        ctx: HotelContext,
        personal_data: bool,
        out: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Flat observations ``(n_envs, obs_size)`` and the rooms whose data they disclose.

        One Numba pass (:func:`~twin.venues.hotel.task_kernels.encode_observation`),
        equal to :meth:`encode_reference` of :func:`reference_observation`. Written into
        ``out`` (C-contiguous float32 of that shape, e.g. shared memory) when given.
        """
        ne = meas.temperature_c.shape[0]
        if out is None:
            out = np.empty((ne, self.obs_size), np.float32)
        known = np.zeros((ne, self.room_zone.shape[0]), np.bool_)
        encode_observation(
            out, known, meas.temperature_c, meas.presence, meas.heat_setpoint_c,
            meas.cool_setpoint_c, meas.illuminance_lux, ctx.room_zone, ctx.active, ctx.state,
            ctx.consent, ctx.next_consent, ctx.next_arrival_s, ctx.departure_s, ctx.prefs,
            ctx.next_prefs, ctx.feedback, meas.site, self.defaults, self.low, self.high,
            meas.time_s, bool(personal_data),
        )  # fmt: skip
        return out, known

    def encode_reference(self, obs: dict[str, np.ndarray]) -> np.ndarray:
        """:func:`reference_observation`'s arrays -> flat float32 ``(n_envs, obs_size)``."""
        ne = obs["zone_temp_c"].shape[0]
        z = np.zeros((ne, self.nz, F_ZONE))
        z[:, :, 0] = obs["zone_temp_c"]
        z[:, :, 1] = obs["zone_occupied"]
        z[:, :, 2] = obs["zone_heat_setpoint_c"]
        z[:, :, 3] = obs["zone_cool_setpoint_c"]
        z[:, :, 4] = obs["zone_lux"]
        z[:, :, 5] = self.is_room
        for name, key in _ROOM_KEYS:
            z[:, self.room_zone, ZONE_INDEX[name]] = obs[key]
        flat = np.concatenate([z.reshape(ne, -1), obs["global"]], axis=1).astype(np.float32)
        return np.clip(flat, self.low, self.high)


class HotelTask:
    """Observation, action mapping and reward for a hotel World's copies.

    Args:
        world: a World of a hotel scenario.
        personal_data: whether consented stated preferences may be observed.
    """

    reward_terms: tuple[str, ...] = REWARD_TERMS

    def __init__(self, world: World, personal_data: bool = True) -> None:
        self.world = world
        self.personal_data = personal_data
        venue = world.venue
        assert isinstance(venue, HotelVenue), f"a hotel task needs a hotel World, not {venue.name}"
        self.venue = venue
        b = world.building
        c = world.scenario.control
        th = world.scenario.thermostat
        self.nz = world.nz
        self.encoder = HotelEncoder(
            self.nz, venue.room_zone,
            np.array([th.heating_setpoint_c, th.light_lux, th.light_cct_k]),
        )  # fmt: skip
        self.obs_size = self.encoder.obs_size
        self.obs_low, self.obs_high = self.encoder.low, self.encoder.high
        self.act_size = N_ACT * self.nz
        sp_lo, sp_hi = np.full(self.nz, c.setpoint_min_c), np.full(self.nz, c.setpoint_max_c)
        self.low = np.stack([sp_lo, sp_lo, np.zeros(self.nz), b.cct_min], 1)
        self.high = np.stack([sp_hi, sp_hi, b.max_lux, b.cct_max], 1)
        self.zone_reward = np.zeros((world.n_envs, self.nz))
        bounds = (*ZONE_BOUNDS, *SITE_BOUNDS)
        self.zone_layout = ZoneLayout.zone_major_layout(
            self.nz, F_ZONE, F_GLOBAL, N_ACT,
            np.array([lo for lo, _ in bounds], np.float32),
            np.array([hi for _, hi in bounds], np.float32),
        )  # fmt: skip
        self._prev_sp: tuple[np.ndarray, np.ndarray] | None = None

    # ------------------------------------------------------------------ spaces
    def observe(self, out: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The flat observation ``(n_envs, obs_size)`` and the rooms it discloses."""
        meas = self.world.measurements()
        return self.encoder.encode(meas, self.venue.context(), self.personal_data, out)

    def reference(self) -> dict[str, np.ndarray]:
        """:func:`reference_observation` of the World now (for tests and baselines)."""
        return reference_observation(
            self.world.measurements(), self.venue.context(), self.personal_data,
            self.encoder.defaults,
        )  # fmt: skip

    def decode(self, action: np.ndarray) -> Commands:
        """Normalised actions ``(n_envs, 4 n_zones)`` in [-1, 1] -> physical commands."""
        ne = self.world.n_envs
        phys = np.empty((N_ACT, ne, self.nz))
        decode_actions(action_batch(action, ne, self.act_size), self.low, self.high, phys)
        return Commands(*phys)

    def normalise(
        self, heat_c: np.ndarray, cool_c: np.ndarray, lux: np.ndarray, cct_k: np.ndarray
    ) -> np.ndarray:
        """Physical commands ``(..., n_zones)`` -> normalised action ``(..., 4 n_zones)``.

        Values outside the physical range raise (see :func:`twin.venues.actions.normalise`).
        """
        phys = np.stack(np.broadcast_arrays(heat_c, cool_c, lux, cct_k), axis=-1)
        return normalise(phys, self.low, self.high, ACTION_KINDS)

    def disclosed(self, obs: dict[str, np.ndarray]) -> np.ndarray:
        """Rooms whose guest's personal preference a reference observation shows."""
        return obs["room_pref_known"] > 0.5

    # ------------------------------------------------------------------ reward
    def reset_reward(self) -> None:
        """Forget the previous set-points (start of an episode)."""
        self._prev_sp = None

    def reward(self, commands: Commands) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Per-environment reward of the step just taken and its (weighted) terms.

        The reward is a sum over zones; the per-zone rewards (``self.zone_reward``,
        ``(n_envs, n_zones)``) add up to it exactly, so a policy shared by all zones can
        be trained on each zone's own consequences.
        """
        w, c = self.world, self.world.scenario.control
        wt = c.reward
        weights = np.array(
            [wt.satisfaction, wt.discomfort, wt.energy_cost, wt.unsafe, wt.oscillation]
        )
        self.zone_reward = np.empty((w.n_envs, self.nz))
        totals = np.empty((len(REWARD_TERMS), w.n_envs))
        prev = self._prev_sp if self._prev_sp is not None else (w.setpoint, w.cool_setpoint)
        slots = self.venue.slots
        zone_rewards(
            self.zone_reward, totals, slots.sat, slots.active, self.encoder.room_zone,
            w.step_excess, w.step_zone_power, w.setpoint, w.cool_setpoint, prev[0], prev[1],
            w.zone_occupied, weights, float(w.step_price), w.dt_h,
            c.safe_min_c, c.safe_max_c, wt.oscillation_tolerance_k, self._prev_sp is not None,
        )  # fmt: skip
        self._prev_sp = (w.setpoint.copy(), w.cool_setpoint.copy())
        terms = {k: totals[j] for j, k in enumerate(REWARD_TERMS)}
        return totals.sum(axis=0), terms
