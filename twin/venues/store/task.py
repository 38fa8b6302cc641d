"""The store as an RL task: observation encoder, action decoder and reward.

The observation is encoded from :class:`~twin.interface.Measurements` plus the store's
:class:`~twin.venues.store.venue.StoreContext` by :class:`StoreEncoder`, and nothing
else, with the consent rule: only shoppers who consented (and only when the policy may
use personal data) contribute their stated preferences; everybody else is a count.

Observation (float32), three blocks:

* per zone ``z`` (``F_Z = 7 + G + 5 + G + C`` features at ``obs[z F_Z + j]``): air
  temperature (sensor), presence, people counted, heating and cooling set-points,
  illuminance, music volume (dB), the genre playing (one-hot over the G genres), then the
  consented shoppers in the zone: their number, mean preferred temperature, light level,
  colour temperature and volume (the house defaults when there is nobody), their mean
  liking of each genre and mean affinity to each of the C categories;
* per display ``d`` (``F_D = C + 2 + C``): the category it shows (one-hot), shoppers near
  it (anonymous count), consented shoppers near it and their mean affinity to each
  category;
* the site (time, weather, forecast, price; see ``twin.world.SITE_FEATURES``), shoppers
  in the store, the checkout queue, minutes to opening, minutes to closing, open (0/1).

Action (float32 in [-1, 1]): per zone ``5 + G`` values (heating and cooling set-points,
light level, colour temperature and music volume mapped linearly onto their ranges, then
one score per genre: the highest plays), then per display ``C`` scores (the highest
category is promoted).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from twin.calendar import in_window
from twin.interface import Commands, Measurements
from twin.venues.actions import decode_actions
from twin.venues.layout import ONE, ZERO, ZoneLayout
from twin.venues.rewards import building_zone_terms
from twin.venues.store.task_kernels import N_Z_CONSENT, N_Z_HEAD, encode_store
from twin.venues.store.venue import StoreContext, StoreVenue
from twin.world import SITE_BOUNDS, SITE_FEATURES

if TYPE_CHECKING:
    from twin.world import World

#: Continuous zone commands, in action order (then the genre scores).
ZONE_ACTIONS = ("heat_setpoint_c", "cool_setpoint_c", "light_lux", "light_cct_k", "music_volume_db")
REWARD_TERMS = (
    "revenue", "satisfaction", "diversity", "discomfort", "energy_cost", "unsafe", "oscillation",
)  # fmt: skip
#: Store features after the site block: in store, queue, to opening, to closing, open.
STORE_FEATURES = (
    ("in_store", "people"), ("queue", "people"), ("minutes_to_open", "min"),
    ("minutes_to_close", "min"), ("open", "0/1"),
)  # fmt: skip
#: Normalised score a rule gives its chosen genre or category (the others get minus
#: this): small enough that a residual policy can change the choice.
CHOICE_MARGIN = 0.1


def zone_feature_names(genres: tuple[str, ...], categories: tuple[str, ...]) -> list[str]:
    """Names of the per-zone features, in order."""
    return [
        "temp_c", "occupied", "count", "heat_setpoint_c", "cool_setpoint_c", "lux",
        "volume_db", *(f"genre_{g}" for g in genres), "consented", "pref_temp_c", "pref_lux",
        "pref_cct_k", "pref_volume_db", *(f"liking_{g}" for g in genres),
        *(f"affinity_{c}" for c in categories),
    ]  # fmt: skip


def display_feature_names(categories: tuple[str, ...]) -> list[str]:
    """Names of the per-display features, in order."""
    return [
        *(f"shows_{c}" for c in categories), "near", "near_consented",
        *(f"near_affinity_{c}" for c in categories),
    ]  # fmt: skip


class StoreEncoder:
    """Flat observations from Measurements plus the store's context, with the consent rule.

    Args:
        n_zones, genres, categories, n_displays: the store's sizes and names.
        defaults: house temperature (deg C), lux, CCT (K) and volume (dB) shown where no
            consented shopper is.
        max_shoppers: bound of the people counts.
    """

    def __init__(
        self,
        n_zones: int,
        genres: tuple[str, ...],
        categories: tuple[str, ...],
        n_displays: int,
        defaults: np.ndarray,
        max_shoppers: int,
    ) -> None:
        self.nz, self.n_d = n_zones, n_displays
        self.n_g, self.n_c = len(genres), len(categories)
        self.zone_features = zone_feature_names(genres, categories)
        self.display_features = display_feature_names(categories)
        self.defaults = np.asarray(defaults, dtype=np.float64)
        self.f_z, self.f_d = len(self.zone_features), len(self.display_features)
        assert self.f_z == N_Z_HEAD + self.n_g + N_Z_CONSENT + self.n_g + self.n_c
        self.obs_size = (
            n_zones * self.f_z + n_displays * self.f_d + len(SITE_FEATURES) + len(STORE_FEATURES)
        )
        people = float(max_shoppers)
        bounds_z = {
            "temp_c": (-60.0, 80.0), "occupied": (0.0, 1.0), "count": (0.0, people),
            "heat_setpoint_c": (-60.0, 80.0), "cool_setpoint_c": (-60.0, 80.0),
            "lux": (0.0, 2e5), "volume_db": (0.0, 140.0), "consented": (0.0, people),
            "pref_temp_c": (-60.0, 80.0), "pref_lux": (0.0, 2e5), "pref_cct_k": (1000.0, 20000.0),
            "pref_volume_db": (0.0, 140.0),
        }  # fmt: skip
        zone = [bounds_z.get(n, (0.0, 1.0)) for n in self.zone_features]
        disp = [(0.0, people) if n.startswith("near") and "affinity" not in n else (0.0, 1.0)
                for n in self.display_features]  # fmt: skip
        glob = [*SITE_BOUNDS, (0.0, people), (0.0, people), (0.0, 1440.0), (0.0, 1440.0), (0, 1)]
        bounds = zone * n_zones + disp * n_displays + glob
        self.low = np.array([b[0] for b in bounds], np.float32)
        self.high = np.array([b[1] for b in bounds], np.float32)

    def encode(
        self,
        meas: Measurements,
        ctx: StoreContext,
        personal_data: bool,
        out: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Flat observations ``(n_envs, obs_size)`` and the shoppers whose data they use."""
        ne = meas.temperature_c.shape[0]
        if out is None:
            out = np.empty((ne, self.obs_size), np.float32)
        known = np.zeros(ctx.stage.shape, np.bool_)
        minute = (np.arctan2(meas.site[:, 0], meas.site[:, 1]) * 1440.0 / (2 * np.pi)) % 1440.0
        lo, hi = ctx.open_min
        open_now = (minute >= lo) & (minute < hi)
        extra = np.stack(
            [np.where(minute < lo, lo - minute, np.where(minute >= hi, 1440.0 - minute + lo, 0.0)),
             np.where(open_now, hi - minute, 0.0), open_now.astype(np.float64)], axis=1,
        )  # fmt: skip
        encode_store(
            out, known, meas.temperature_c, meas.presence, meas.count, meas.heat_setpoint_c,
            meas.cool_setpoint_c, meas.illuminance_lux, meas.site, ctx.genre, ctx.volume_db,
            ctx.display, ctx.stage, ctx.place, ctx.target, ctx.zone, ctx.consent, ctx.prefs,
            ctx.liking, ctx.affinity, ctx.display_sees, ctx.queue, extra, self.defaults,
            self.low, self.high, bool(personal_data),
        )  # fmt: skip
        return out, known


class StoreTask:
    """Observation, action mapping and reward for a store World's copies.

    Args:
        world: a World of a store scenario.
        personal_data: whether consented shoppers' preferences may be observed.
    """

    reward_terms: tuple[str, ...] = REWARD_TERMS

    def __init__(self, world: World, personal_data: bool = True) -> None:
        self.world = world
        self.personal_data = personal_data
        venue = world.venue
        assert isinstance(venue, StoreVenue), f"a store task needs a store World, not {venue.name}"
        self.venue = venue
        s, b = world.scenario, world.building
        store, th, c = s.store, s.thermostat, s.control
        assert store is not None
        self.nz, self.n_g, self.n_c, self.n_d = (
            world.nz,
            venue.n_genres,
            venue.n_categories,
            venue.n_displays,
        )
        genres = tuple(g.name for g in store.music)
        self.encoder = StoreEncoder(
            self.nz, genres, store.category_names, self.n_d,
            np.array([th.heating_setpoint_c, th.light_lux, th.light_cct_k, venue.house_volume]),
            store.max_shoppers,
        )  # fmt: skip
        self.obs_size = self.encoder.obs_size
        self.obs_low, self.obs_high = self.encoder.low, self.encoder.high
        self.k_z = len(ZONE_ACTIONS) + self.n_g
        self.act_size = self.nz * self.k_z + self.n_d * self.n_c
        vlo, vhi = store.volume_range_db
        sp_lo, sp_hi = np.full(self.nz, c.setpoint_min_c), np.full(self.nz, c.setpoint_max_c)
        self.low = np.stack([sp_lo, sp_lo, np.zeros(self.nz), b.cct_min, np.full(self.nz, vlo)], 1)
        self.high = np.stack([sp_hi, sp_hi, b.max_lux, b.cct_max, np.full(self.nz, vhi)], 1)
        self.open_hours = store.opening_hours
        self.zone_reward = np.zeros((world.n_envs, self.nz))
        self.zone_layout = self._zone_layout(venue.tables.geometry.display_zone)
        self._prev_sp: tuple[np.ndarray, np.ndarray] | None = None

    def _zone_layout(self, display_zone: np.ndarray) -> ZoneLayout:
        """Each zone's view: its block, its displays' blocks (padded), the global block.

        A zone's action is its climate, light and music commands and the category scores
        of its displays, padded to the zone with the most displays (a padded display
        reads as zeros with a presence flag of 0, and its scores go nowhere).
        """
        enc, nz, kz, n_c = self.encoder, self.nz, self.k_z, self.n_c
        mine = [np.flatnonzero(display_zone == z) for z in range(nz)]
        k_max = max((len(d) for d in mine), default=0)
        d0 = nz * enc.f_z
        g = np.arange(d0 + self.n_d * enc.f_d, enc.obs_size)
        gather, scatter = [], []
        for z in range(nz):
            view = [z * enc.f_z + np.arange(enc.f_z)]
            act = [z * kz + np.arange(kz)]
            for k in range(k_max):
                if k < len(mine[z]):
                    d = mine[z][k]
                    view += [d0 + d * enc.f_d + np.arange(enc.f_d), np.array([ONE])]
                    act.append(nz * kz + d * n_c + np.arange(n_c))
                else:
                    view += [np.full(enc.f_d + 1, ZERO)]
                    act.append(np.full(n_c, -1))
            gather.append(np.concatenate([*view, g]))
            scatter.append(np.concatenate(act))
        low = np.concatenate([enc.low[: enc.f_z], *([enc.low[d0 : d0 + enc.f_d], [0.0]] * k_max),
                              enc.low[g]]).astype(np.float32)  # fmt: skip
        high = np.concatenate([enc.high[: enc.f_z], *([enc.high[d0 : d0 + enc.f_d], [1.0]] * k_max),
                               enc.high[g]]).astype(np.float32)  # fmt: skip
        return ZoneLayout(
            nz, np.array(gather, np.int64), np.array(scatter, np.int64), self.act_size, low, high
        )

    # ------------------------------------------------------------------ spaces
    def observe(self, out: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The flat observation ``(n_envs, obs_size)`` and the shoppers it discloses."""
        w = self.world
        return self.encoder.encode(w.measurements(), self.venue.context(), self.personal_data, out)

    def decode(self, action: np.ndarray) -> Commands:
        """Normalised actions ``(n_envs, act_size)`` -> physical commands and choices."""
        ne = self.world.n_envs
        a = np.asarray(action, dtype=np.float64).reshape(ne, self.act_size)
        nz, kz = self.nz, self.k_z
        zone = a[:, : nz * kz].reshape(ne, nz, kz)
        cont = np.ascontiguousarray(zone[:, :, : len(ZONE_ACTIONS)].reshape(ne, -1))
        phys = np.empty((len(ZONE_ACTIONS), ne, nz))
        decode_actions(cont, self.low, self.high, phys)
        genre = zone[:, :, len(ZONE_ACTIONS) :].argmax(axis=2)
        display = a[:, nz * kz :].reshape(ne, self.n_d, self.n_c).argmax(axis=2)
        return Commands(
            phys[0], phys[1], phys[2], phys[3],
            venue={"music_volume_db": phys[4], "music_genre": genre, "display_category": display},
        )  # fmt: skip

    def normalise(
        self,
        heat_c: np.ndarray,
        cool_c: np.ndarray,
        lux: np.ndarray,
        cct_k: np.ndarray,
        volume_db: np.ndarray,
        genre: np.ndarray,
        display: np.ndarray,
    ) -> np.ndarray:
        """Physical commands and choices ``(n, ...)`` -> normalised actions ``(n, act_size)``.

        Continuous values outside their range raise (no silent clipping); a chosen genre
        or category gets :data:`CHOICE_MARGIN`, the others minus it.
        """
        from twin.venues.actions import normalise

        phys = np.stack(np.broadcast_arrays(heat_c, cool_c, lux, cct_k, volume_db), axis=-1)
        cont = normalise(phys, self.low, self.high, ZONE_ACTIONS).reshape(*phys.shape[:-1], -1)
        n = cont.shape[0]
        g = np.where(np.arange(self.n_g) == np.asarray(genre)[..., None], 1.0, -1.0)
        d = np.where(np.arange(self.n_c) == np.asarray(display)[..., None], 1.0, -1.0)
        zone = np.concatenate([cont, CHOICE_MARGIN * g], axis=-1).reshape(n, -1)
        return np.concatenate([zone, CHOICE_MARGIN * d.reshape(n, -1)], axis=1).astype(np.float32)

    # ------------------------------------------------------------------ reward
    def reset_reward(self) -> None:
        """Forget the previous set-points (start of an episode)."""
        self._prev_sp = None

    def reward(self, commands: Commands) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Per-copy reward of the step just taken and its weighted terms.

        ``revenue`` x (basket value added - baskets abandoned), ``satisfaction`` x
        shopper-hours of comfort, ``diversity`` x promotions noticed outside favourites
        (``[store.reward]``), plus the building's discomfort, energy cost, unsafe
        set-points and oscillation (``[control.reward]``). Every term is also kept per
        zone (``self.zone_reward``, ``(n_envs, n_zones)``, adding up to the reward): sales
        by the zone of the section, comfort by the shopper's zone, exposures by the
        display's zone, abandoned baskets at the checkout's zone.
        """
        from agents.store.shopper_kernel import S_BASKET, S_COMFORT_H, S_EXPOSED_OUT

        w, v = self.world, self.venue
        c, wt = w.scenario.control, w.scenario.control.reward
        sw = w.scenario.store.reward  # type: ignore[union-attr]
        prev = self._prev_sp if self._prev_sp is not None else (w.setpoint, w.cool_setpoint)
        sales = v.sacc[S_BASKET].copy()
        sales[:, v.checkout_zone] -= v.step_abandoned()
        per_zone = {
            "revenue": sw.revenue * sales,
            "satisfaction": sw.satisfaction * v.sacc[S_COMFORT_H],
            "diversity": sw.diversity * v.sacc[S_EXPOSED_OUT],
        }
        building = building_zone_terms(
            w.step_excess, w.step_zone_power, w.setpoint, w.cool_setpoint, prev[0], prev[1],
            w.zone_occupied, np.array([wt.discomfort, wt.energy_cost, wt.unsafe, wt.oscillation]),
            float(w.step_price), w.dt_h, c.safe_min_c, c.safe_max_c, wt.oscillation_tolerance_k,
            self._prev_sp is not None,
        )  # fmt: skip
        for j, key in enumerate(("discomfort", "energy_cost", "unsafe", "oscillation")):
            per_zone[key] = building[j]
        self._prev_sp = (w.setpoint.copy(), w.cool_setpoint.copy())
        self.zone_reward = sum(per_zone.values())  # type: ignore[assignment]
        terms = {k: v_.sum(axis=1) for k, v_ in per_zone.items()}
        return self.zone_reward.sum(axis=1), terms

    def is_open(self, hour: np.ndarray) -> np.ndarray:
        """Whether the store is open at each local hour."""
        return in_window(hour, self.open_hours)
