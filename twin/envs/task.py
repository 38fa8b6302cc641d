"""What turns a World into an RL task: observation layout, action mapping, reward.

Everything here is batched over the World's environments, so the single env
(:class:`twin.envs.hotel.HotelEnv`) and the native vector env share one implementation.

Observation (float32, length ``n_zones * len(ZONE_FEATURES) + len(GLOBAL_FEATURES)``): a
block of per-zone features, zone-major (``obs[z * F + j]`` is feature ``j`` of zone
``z``), followed by the global features. Room features are zero for zones that are not
guest rooms (``is_room = 0``). Action (float32 in [-1, 1], length ``4 * n_zones``),
zone-major: ``action[4 z]`` heating set-point, ``action[4 z + 1]`` cooling set-point,
``action[4 z + 2]`` light level, ``action[4 z + 3]`` light colour temperature, each
mapped linearly onto its physical range.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twin.envs.kernels import decode_actions, encode_observation, zone_rewards
from twin.world import GLOBAL_FEATURES, Action, World

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
#: Bounds of the global features, in the order of ``twin.world.GLOBAL_FEATURES``.
GLOBAL_BOUNDS: tuple[tuple[float, float], ...] = (
    (-1.0, 1.0), (-1.0, 1.0), (-1.0, 1.0), (-1.0, 1.0), (-60.0, 80.0), (-60.0, 80.0),
    (-60.0, 80.0), (-60.0, 80.0), (0.0, 2000.0), (0.0, 1000.0),
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


@dataclass
class HotelTask:
    """Observation encoding, action decoding and reward for a World's environments."""

    world: World
    personal_data: bool = True

    def __post_init__(self) -> None:
        w = self.world
        b = w.building
        c = w.scenario.control
        self.nz = w.nz
        self.obs_size = self.nz * F_ZONE + F_GLOBAL
        self.act_size = N_ACT * self.nz
        sp_lo, sp_hi = np.full(self.nz, c.setpoint_min_c), np.full(self.nz, c.setpoint_max_c)
        self.low = np.stack([sp_lo, sp_lo, np.zeros(self.nz), b.cct_min], 1)
        self.high = np.stack([sp_hi, sp_hi, b.max_lux, b.cct_max], 1)
        low = np.concatenate(
            [np.tile([b[0] for b in ZONE_BOUNDS], self.nz), [b[0] for b in GLOBAL_BOUNDS]]
        )
        high = np.concatenate(
            [np.tile([b[1] for b in ZONE_BOUNDS], self.nz), [b[1] for b in GLOBAL_BOUNDS]]
        )
        self.obs_low, self.obs_high = low.astype(np.float32), high.astype(np.float32)
        th = w.scenario.thermostat
        self._defaults = np.array([th.heating_setpoint_c, th.light_lux, th.light_cct_k])
        self.is_room = np.zeros(self.nz)
        self.is_room[w.room_zone] = 1.0
        self._prev_sp: tuple[np.ndarray, np.ndarray] | None = None

    # ------------------------------------------------------------------ spaces
    def encode(self, obs: dict[str, np.ndarray]) -> np.ndarray:
        """World observation -> flat float32 array ``(n_envs, obs_size)``."""
        ne = self.world.n_envs
        z = np.zeros((ne, self.nz, F_ZONE))
        z[:, :, 0] = obs["zone_temp_c"]
        z[:, :, 1] = obs["zone_occupied"]
        z[:, :, 2] = obs["zone_heat_setpoint_c"]
        z[:, :, 3] = obs["zone_cool_setpoint_c"]
        z[:, :, 4] = obs["zone_lux"]
        z[:, :, 5] = self.is_room
        rz = self.world.room_zone
        for name, key in _ROOM_KEYS:
            z[:, rz, ZONE_INDEX[name]] = obs[key]
        flat = np.concatenate([z.reshape(ne, -1), obs["global"]], axis=1).astype(np.float32)
        return np.clip(flat, self.obs_low, self.obs_high)

    def observe(self, out: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The World's flat observation ``(n_envs, obs_size)`` and the disclosed rooms.

        One Numba pass (:func:`twin.envs.kernels.encode_observation`), equal to
        ``encode(world.observe(personal_data))``. Written into ``out`` (C-contiguous
        float32 of that shape, e.g. shared memory) when given, else a new array.
        """
        w, s = self.world, self.world.slots
        if out is None:
            out = np.empty((w.n_envs, self.obs_size), np.float32)
        known = np.zeros((w.n_envs, w.n_rooms), np.bool_)
        encode_observation(
            out, known, w._sensed_temperature(), w.zone_occupied,
            w.setpoint, w.cool_setpoint, w.lux, w.room_zone, s.active, s.state, s.consent,
            s.next_consent, s.next_arrival_s, s.departure_s, s.prefs, s.next_prefs,
            s.feedback, w.global_features(), self._defaults, self.obs_low, self.obs_high,
            float(min(w.t, w.n_steps) * w.dt), bool(self.personal_data),
        )  # fmt: skip
        return out, known

    def decode(self, action: np.ndarray) -> Action:
        """Normalised actions ``(n_envs, 4 n_zones)`` in [-1, 1] -> physical commands."""
        a = np.asarray(action)
        ne = self.world.n_envs
        if a.shape != (ne, self.act_size):
            a = a.reshape(ne, self.act_size)
        if a.dtype != np.float32 and a.dtype != np.float64:
            a = a.astype(np.float64)
        phys = np.empty((N_ACT, ne, self.nz))
        decode_actions(np.ascontiguousarray(a), self.low, self.high, phys)
        return Action(*phys)

    def normalise(
        self, heat_c: np.ndarray, cool_c: np.ndarray, lux: np.ndarray, cct_k: np.ndarray
    ) -> np.ndarray:
        """Physical commands ``(..., n_zones)`` -> normalised action ``(..., 4 n_zones)``.

        Values outside the physical range raise: a controller asking for what the
        action space cannot express is a bug, and silently clipping would hide it.
        """
        phys = np.stack(np.broadcast_arrays(heat_c, cool_c, lux, cct_k), axis=-1)
        span = self.high - self.low
        a = 2.0 * (phys - self.low) / np.where(span > 0, span, 1.0) - 1.0
        if np.any(np.abs(a) > 1.0 + 1e-9):
            bad = np.unravel_index(np.argmax(np.abs(a)), a.shape)
            raise ValueError(
                f"command {phys[bad]:.4g} of kind {ACTION_KINDS[bad[-1]]} is "
                f"outside the action range [{self.low[bad[-2:]]:.4g}, {self.high[bad[-2:]]:.4g}]"
            )
        return np.clip(a, -1.0, 1.0).reshape(*a.shape[:-2], -1).astype(np.float32)

    def disclosed(self, obs: dict[str, np.ndarray]) -> np.ndarray:
        """Rooms whose guest's personal preference this observation shows."""
        return obs["room_pref_known"] > 0.5

    # ------------------------------------------------------------------ reward
    def reset_reward(self) -> None:
        """Forget the previous set-points (start of an episode)."""
        self._prev_sp = None

    def reward(self, action: Action) -> tuple[np.ndarray, dict[str, np.ndarray]]:
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
        zone_rewards(
            self.zone_reward, totals, w.slots.sat, w.slots.active, w.room_zone, w.step_excess,
            w.step_zone_power, w.setpoint, w.cool_setpoint, prev[0], prev[1],
            w.zone_occupied, weights, float(w.step_price), w.dt_h,
            c.safe_min_c, c.safe_max_c, wt.oscillation_tolerance_k, self._prev_sp is not None,
        )  # fmt: skip
        self._prev_sp = (w.setpoint.copy(), w.cool_setpoint.copy())
        terms = {k: totals[j] for j, k in enumerate(REWARD_TERMS)}
        return totals.sum(axis=0), terms
