"""The hotel venue: guests in rooms, a front desk and housekeeping, on the World's clock.

Zone roles come from the zone groups' ``kind``: ``guest_room`` zones are the rooms (one
guest party each), ``lobby`` zones are always staffed, every other zone follows the
thermostat's schedule. Each copy's guests are an :class:`agents.hotel.model.HotelModel`
(Mesa agents, SimPy events) writing one row of the shared
:class:`agents.hotel.slots.GuestSlots`; :func:`twin.venues.hotel.kernel.hotel_step` is
the fused step.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

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
from twin.errors import ScenarioError
from twin.venues.base import Streams, Venue
from twin.venues.hotel.kernel import (
    ACC_DISCLOSED_H,
    ACC_IN_HOUSE_H,
    ACC_PPD_H,
    ACC_PRESENT_H,
    N_ACC,
    GuestArrays,
    HotelLayout,
    hotel_step,
)

if TYPE_CHECKING:
    from twin.physics.passes import StepWeather, ZoneCommands
    from twin.venues.hotel.task import HotelTask
    from twin.world import World

#: Feedback decays with this time constant (h).
FEEDBACK_DECAY_H = 3.0
#: Feedback draws are made this many steps at a time, each copy's into its own rows.
NOISE_BLOCK = 256


class HotelContext(NamedTuple):
    """What the hotel knows beside its sensors: the property-management system per room.

    Arrays ``(ne, R)`` unless noted, in room order; the consent rule of the observation
    encoder decides which preferences a policy may see.
    """

    room_zone: np.ndarray  # (R,) zone index of each room
    active: np.ndarray  # 1 while a guest is checked in
    state: np.ndarray  # VACANT / AWAKE / ASLEEP / OUT (room key card)
    consent: np.ndarray  # 1 if the guest consented to the use of their personal data
    next_consent: np.ndarray  # 1 if the next booked guest consented
    next_arrival_s: np.ndarray  # next booked arrival (run time, s), inf when none
    departure_s: np.ndarray  # current guest's planned departure (s)
    prefs: np.ndarray  # (6, ne, R) stated preferences (read only with consent)
    next_prefs: np.ndarray  # (3, ne, R) next guest's stated temp / lux / CCT (NaN unless consented)
    feedback: np.ndarray  # (2, ne, R) recent thermal / light feedback


class HotelVenue(Venue):
    """Guests, rooms and the hotel's operations in every copy of a World."""

    name = "hotel"
    report = "twin.venues.hotel.report"
    zone_layout = True
    headline_kpis = (
        "mean_satisfaction", "discomfort_kh", "energy_kwh", "cost", "fairness_gap",
        "personal_data_used", "mean_review", "return_rate", "mean_ppd",
    )  # fmt: skip

    def __init__(self, world: World) -> None:
        super().__init__(world)
        s = world.scenario
        if s.hotel is None:
            raise ScenarioError(f"scenario '{s.name}': venue = 'hotel' needs a [hotel] section")
        b = world.building
        self.room_zone = b.zones_of_kind("guest_room")
        self.n_rooms = len(self.room_zone)
        self.room_names = tuple(b.zone_names[z] for z in self.room_zone)
        self.lobby_zones = b.zones_of_kind("lobby")
        # Zones that are neither guest rooms nor lobby follow the thermostat's schedule.
        self.other_zones = np.setdiff1d(
            np.arange(world.nz), np.r_[self.room_zone, self.lobby_zones]
        )
        self.layout = HotelLayout(self.room_zone, self.lobby_zones, self.other_zones)
        sat, comfort = s.hotel.satisfaction, s.comfort
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

    # ------------------------------------------------------------------ reset / step
    def reset(self, streams: Sequence[Streams], variants: Sequence[Mapping[str, float]]) -> None:
        """New guests in every copy: a HotelModel per copy on the World's new clock."""
        w, ne, n_rooms = self.world, self.world.n_envs, self.n_rooms
        self.slots = slots = GuestSlots.allocate(ne, n_rooms)
        self.hotels = [
            HotelModel(
                w.scenario,
                w.sim,
                slots,
                e,
                self.room_names,
                streams[e]["events"],
                streams[e]["agents"],
                preference_spread=variants[e]["preference_spread"],
            )  # fmt: skip
            for e in range(ne)
        ]
        self._agents_rngs = [r["agents"] for r in streams]
        self._noise = np.empty((ne, NOISE_BLOCK, n_rooms))
        self._noise_block = -1
        self._none_disclosed = np.zeros((ne, n_rooms), dtype=bool)
        self.acc = np.zeros((N_ACC, ne))
        self._guests = GuestArrays(
            slots.active, slots.routine, slots.prefs, slots.party, slots.state, slots.sat,
            slots.acc, slots.tcl, slots.feedback, slots.ppd_now, slots.at_desk,
        )  # fmt: skip

    def advance(
        self,
        cmd: ZoneCommands,
        weather: StepWeather,
        venue_commands: Mapping[str, np.ndarray],
        disclosed: np.ndarray | None,
    ) -> None:
        """One call of :func:`hotel_step` for every copy."""
        w = self.world
        t = w.t
        if t // NOISE_BLOCK != self._noise_block:
            for e, rng in enumerate(self._agents_rngs):
                rng.random(out=self._noise[e])
            self._noise_block = t // NOISE_BLOCK
        hotel_step(
            float(w.hours[t]), w.dt_h, w.step_price, bool(w.schedule_occupied[t]), self.params,
            w.arrays, weather, cmd, w.state, w.out, w.count, w.band, w.acc, self._guests,
            self.layout, self._noise[:, t % NOISE_BLOCK],
            self._none_disclosed if disclosed is None else disclosed, self.acc,
        )  # fmt: skip

    def task(self, personal_data: bool = True) -> HotelTask:
        """The hotel task over this World (see :mod:`twin.venues.hotel.task`)."""
        from twin.venues.hotel.task import HotelTask

        return HotelTask(self.world, personal_data)

    def context(self) -> HotelContext:
        """The property-management system's view of every room, for the encoder."""
        s = self.slots
        return HotelContext(
            self.room_zone, s.active, s.state, s.consent, s.next_consent, s.next_arrival_s,
            s.departure_s, s.prefs, s.next_prefs, s.feedback,
        )  # fmt: skip

    def snapshot(self, e: int) -> dict[str, np.ndarray]:
        """Copy ``e``'s rooms now: guest preference, presence, sale, segment, satisfaction."""
        s = self.slots
        sold = s.active[e] == 1
        return {
            "room_pref_temp": np.where(sold, s.prefs[0, e], np.nan),
            "room_present": ((s.state[e] == AWAKE) | (s.state[e] == ASLEEP)).astype(np.int8),
            "room_sold": s.active[e].copy(),
            "room_segment": s.segment[e].copy(),
            "room_sat": np.where(sold, s.sat[e], np.nan),
            "queue": np.array([len(self.hotels[e].desk.queue)]),
        }

    def sync_agents(self) -> None:
        """Move every Mesa guest to the cell its current state puts it in.

        Positions are structure, not dynamics (the kernel holds the state), so they are
        synced at each day's data collection and on demand rather than every step.
        """
        for hotel in self.hotels:
            hotel.sync_cells(np.arange(self.n_rooms))

    # ------------------------------------------------------------------ results
    def records(self, e: int) -> list[dict[str, Any]]:
        """Checked-out guests and, at the end of a run, those still in the house."""
        return self.hotels[e].records + self.hotels[e].in_house_records()

    def outcomes(self, e: int) -> list[Outcome]:
        """:meth:`records` of copy ``e`` reduced to what the KPIs need, cheaply."""
        return self.hotels[e].outcomes()

    def kpis(self, e: int) -> dict[str, float]:
        """Guest KPIs of copy ``e`` (flat; per-segment keys suffixed).

        Guest KPIs weigh every guest party equally: ``mean_satisfaction`` averages each
        guest's stay-average satisfaction (checked-out and still in-house guests);
        ``mean_review`` and ``return_rate`` cover checked-out guests; ``fairness_gap`` is
        the gap in mean satisfaction between the best- and worst-served segment;
        ``personal_data_used`` counts guest-hours of consented personal preferences the
        policy was shown; ``mean_ppd`` is ISO 7730 PPD over present guest-hours.
        """
        hotel = self.hotels[e]
        outcomes = self.outcomes(e)
        present_h = float(self.acc[ACC_PRESENT_H, e])
        kpis: dict[str, float] = {
            "mean_ppd": float(self.acc[ACC_PPD_H, e]) / present_h if present_h > 0 else np.nan,
        }
        stayed = [g for g in outcomes if g.present_h > 0 or g.checked_out]
        out = [g for g in outcomes if g.checked_out]
        sats = np.array([g.mean_satisfaction for g in stayed])
        reviews = np.array([g.review for g in out], dtype=float)
        kpis["mean_satisfaction"] = float(sats.mean()) if sats.size else np.nan
        kpis["mean_review"] = float(reviews.mean()) if reviews.size else np.nan
        for star in range(1, 6):
            kpis[f"review_{star}_share"] = float(np.mean(reviews == star)) if reviews.size else 0.0
        kpis["return_rate"] = float(np.mean([g.return_probability for g in out])) if out else np.nan
        seg_means = {}
        for seg in self.world.scenario.hotel.segments:  # type: ignore[union-attr]
            vals = [g.mean_satisfaction for g in stayed if g.segment == seg.name]
            if vals:
                seg_means[seg.name] = float(np.mean(vals))
                kpis[f"satisfaction_{seg.name}"] = seg_means[seg.name]
        kpis["fairness_gap"] = (
            max(seg_means.values()) - min(seg_means.values()) if seg_means else np.nan
        )
        kpis["personal_data_used"] = float(self.acc[ACC_DISCLOSED_H, e])
        waits = hotel.checkin_waits_min
        kpis["checkin_wait_min"] = float(np.mean(waits)) if waits else 0.0
        kpis["turned_away"] = float(hotel.turned_away)
        kpis["arrivals"] = float(hotel.arrivals)
        kpis["guests"] = float(len(stayed))
        hours = self.world.t * self.world.dt_h
        in_house = float(self.acc[ACC_IN_HOUSE_H, e])
        kpis["occupancy"] = in_house / (self.n_rooms * hours) if hours else 0.0
        return kpis
