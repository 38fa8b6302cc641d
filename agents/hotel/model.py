"""The hotel as a Mesa model driven by SimPy processes.

One :class:`HotelModel` is one hotel in one environment. It owns the guests (Mesa agents
in a layout of rooms, lobby and the outside world) and runs the hotel's discrete events
as SimPy processes on the World's clock:

* bookings: at every local midnight the day's arrivals are drawn (Poisson with the
  weekday and hour-of-day profile) and given a free room; no room means turned away;
* stays: arrival, queue at the front desk (a ``simpy.Resource`` with the desk staff),
  check-in service, waiting for a clean room, the stay, check-out at the desk;
* housekeeping: cleaning a room after check-out within working hours (staff as a
  ``simpy.Resource``); a guest whose room is not clean yet waits.

Guest state lives in the World's :class:`~agents.hotel.slots.GuestSlots` (row
``env_index``); this model writes a slot at check-in and reads it back at check-out,
when the guest's review and return probability are drawn.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from datetime import datetime
from typing import Any

import mesa
import networkx as nx
import numpy as np
import simpy
from mesa.discrete_space import Network

from agents.hotel.agents import Guest
from agents.hotel.population import GuestProfile, sample_profiles, segment_shares
from agents.hotel.slots import GuestSlots
from agents.kernels import OUT, VACANT
from twin.scenario import Normal, Scenario

#: Satisfaction a guest arrives with (a prior from the booking experience).
INITIAL_SATISFACTION = 0.8

Process = Generator[simpy.Event, Any, None]


def review_score(mean_sat: float, noise: float) -> int:
    """Review (1-5 stars) from stay-average satisfaction plus the guest's noise."""
    return int(min(5, max(1, round(1.0 + 4.0 * mean_sat + noise))))


def return_probability(mean_sat: float, base: float, slope: float) -> float:
    """Loyalty: the segment's base return rate, scaled down for dissatisfied guests."""
    return float(min(0.95, base * 2.0 / (1.0 + math.exp(-slope * (mean_sat - 0.75)))))


class HotelModel(mesa.Model):
    """Guests, rooms and the hotel's operations in one environment."""

    def __init__(
        self,
        scenario: Scenario,
        sim: simpy.Environment,
        slots: GuestSlots,
        env_index: int,
        room_names: tuple[str, ...],
        events_rng: np.random.Generator,
        agents_rng: np.random.Generator,
        preference_spread: float = 1.0,
    ) -> None:
        super().__init__(rng=agents_rng)
        assert scenario.hotel is not None
        self.scenario = scenario
        self.hotel = scenario.hotel
        self.sim = sim
        self.slots = slots
        self.env_index = env_index
        self.room_names = room_names
        self.n_rooms = len(room_names)
        self.events_rng = events_rng
        self.preference_spread = preference_spread
        self.start: datetime = scenario.simulation.start
        self._start_s = self.start.hour * 3600 + self.start.minute * 60 + self.start.second
        self.step_inputs: dict[str, Any] = {}

        graph = nx.Graph()
        graph.add_nodes_from(range(self.n_rooms + 2))
        self.lobby, self.outside = self.n_rooms, self.n_rooms + 1
        graph.add_edges_from((r, self.lobby) for r in range(self.n_rooms))
        graph.add_edge(self.lobby, self.outside)
        self.space = Network(graph, random=self.random)

        self.desk = simpy.Resource(sim, capacity=self.hotel.front_desk.staff)
        self.housekeepers = simpy.Resource(sim, capacity=self.hotel.housekeeping.staff)
        self.ready = np.ones(self.n_rooms, dtype=bool)
        self._ready_events: dict[int, simpy.Event] = {}
        self.guests: dict[int, Guest] = {}
        self.records: list[dict[str, Any]] = []
        self.checkin_waits_min: list[float] = []
        self.turned_away = 0
        self.arrivals = 0
        self._next_id = 0
        self._normals = np.zeros(0)
        self._normal_i = 0
        self.datacollector = mesa.DataCollector(
            model_reporters={
                "in_house": lambda m: len(m.agents),
                "mean_satisfaction": lambda m: (
                    m.agents.agg("satisfaction", np.mean) if len(m.agents) else np.nan
                ),
                "queue": lambda m: len(m.desk.queue),
            }
        )
        self._initial_guests()
        sim.process(self._bookings())

    # ------------------------------------------------------------------ calendar
    def hour_of(self, t: float) -> float:
        """Local hour of day at run time ``t`` (s)."""
        return ((self._start_s + t) / 3600.0) % 24.0

    def day_start(self, day: int) -> float:
        """Run time (s) of local midnight starting day ``day`` (day 0 holds the start)."""
        return day * 86400.0 - self._start_s

    def weekday(self, day: int) -> int:
        """Weekday (0 = Monday) of day ``day``."""
        return (self.start.weekday() + day) % 7

    # ------------------------------------------------------------------ processes
    def _bookings(self) -> Process:
        arrivals, rng = self.hotel.arrivals, self.events_rng
        profile = np.array(arrivals.hour_profile)
        profile = profile / profile.sum()
        day = 0
        while True:
            day_start = self.day_start(day)
            weekday = self.weekday(day)
            self.sync_cells(np.arange(self.n_rooms))
            self.datacollector.collect(self)
            n = int(rng.poisson(arrivals.rate_per_day * arrivals.day_of_week[weekday]))
            t_arrs = day_start + (rng.choice(24, size=n, p=profile) + rng.random(n)) * 3600.0
            segs = rng.choice(
                len(self.hotel.segments), size=n, p=segment_shares(self.hotel, weekday >= 4)
            )
            for t_arr, guest in zip(
                np.sort(t_arrs),
                sample_profiles(self.hotel, segs, rng, self.preference_spread),
                strict=True,
            ):
                if t_arr < self.sim.now:
                    continue  # the part of the first day before the run started
                self.arrivals += 1
                t_dep = self.day_start(day + guest.nights) + self.hotel.checkout_h * 3600.0
                room = self._free_room(t_arr)
                if room is None:
                    self.turned_away += 1
                    continue
                self._book(room, guest, t_arr)
                self.sim.process(self._stay(room, guest, t_arr, t_dep))
            yield self.sim.timeout(self.day_start(day + 1) - self.sim.now)
            day += 1

    def _draw(self, dist: Normal) -> float:
        """A clipped-normal service time from a pre-drawn block of standard normals."""
        if self._normal_i >= self._normals.size:
            self._normals = self.events_rng.standard_normal(256)
            self._normal_i = 0
        z = self._normals[self._normal_i]
        self._normal_i += 1
        return min(max(dist.mean + dist.sd * z, dist.low), dist.high)

    def _free_room(self, t_arr: float) -> int | None:
        s, e = self.slots, self.env_index
        free = (s.next_arrival_s[e] == np.inf) & ((s.active[e] == 0) | (s.departure_s[e] <= t_arr))
        candidates = np.flatnonzero(free)
        if candidates.size == 0:
            return None
        return int(self.events_rng.choice(candidates))

    def _book(self, room: int, guest: GuestProfile, t_arr: float) -> None:
        s, e = self.slots, self.env_index
        s.next_arrival_s[e, room] = t_arr
        s.next_consent[e, room] = guest.consent
        stated = (
            (guest.prefs[0], guest.prefs[2], guest.prefs[3]) if guest.consent else (np.nan,) * 3
        )
        s.next_prefs[:, e, room] = stated

    def _stay(self, room: int, guest: GuestProfile, t_arr: float, t_dep: float) -> Process:
        yield self.sim.timeout(t_arr - self.sim.now)
        queued = self.sim.now
        with self.desk.request() as turn:
            yield turn
            wait_min = (self.sim.now - queued) / 60.0
            yield self.sim.timeout(60.0 * self._draw(self.hotel.front_desk.checkin_min))
        while not self.ready[room] or self.slots.active[self.env_index, room]:
            yield self._ready_event(room)
        self.checkin_waits_min.append(wait_min)
        self._check_in(room, guest, t_arr, t_dep, wait_min)
        yield from self._depart(room, guest, t_dep)

    def _depart(self, room: int, guest: GuestProfile, t_dep: float) -> Process:
        if t_dep > self.sim.now:
            yield self.sim.timeout(t_dep - self.sim.now)
        self._check_out(room, guest)
        with self.desk.request() as turn:
            yield turn
            yield self.sim.timeout(60.0 * self._draw(self.hotel.front_desk.checkout_min))
        self.sim.process(self._clean(room))

    def _clean(self, room: int) -> Process:
        hk = self.hotel.housekeeping
        hour = self.hour_of(self.sim.now)
        if not hk.start_h <= hour < hk.end_h:
            wait_h = (hk.start_h - hour) % 24.0
            yield self.sim.timeout(wait_h * 3600.0)
        with self.housekeepers.request() as turn:
            yield turn
            yield self.sim.timeout(60.0 * self._draw(hk.clean_min))
        self.ready[room] = True
        event = self._ready_events.pop(room, None)
        if event is not None:
            event.succeed()

    def _ready_event(self, room: int) -> simpy.Event:
        if room not in self._ready_events:
            self._ready_events[room] = self.sim.event()
        return self._ready_events[room]

    # ------------------------------------------------------------------ slots
    def _initial_guests(self) -> None:
        """Guests already in the house when the run starts (``initial_occupancy``)."""
        rng = self.events_rng
        n = int(round(self.hotel.arrivals.initial_occupancy * self.n_rooms))
        rooms = rng.choice(self.n_rooms, size=n, replace=False)
        segs = rng.choice(len(self.hotel.segments), size=n, p=segment_shares(self.hotel, False))
        for room, guest in zip(
            rooms, sample_profiles(self.hotel, segs, rng, self.preference_spread), strict=True
        ):
            left = int(rng.integers(1, guest.nights + 1))
            t_dep = self.day_start(left) + self.hotel.checkout_h * 3600.0
            t_arr = self.day_start(left - guest.nights) + self.hotel.checkin_h * 3600.0
            self._check_in(int(room), guest, min(t_arr, 0.0), t_dep, None)
            self.sim.process(self._depart(int(room), guest, t_dep))

    def _check_in(
        self, room: int, guest: GuestProfile, t_arr: float, t_dep: float, wait_min: float | None
    ) -> None:
        s, e = self.slots, self.env_index
        s.active[e, room] = 1
        s.routine[:, e, room] = guest.routine
        s.prefs[:, e, room] = guest.prefs
        s.party[e, room] = guest.party
        s.segment[e, room] = guest.segment
        s.consent[e, room] = guest.consent
        s.state[e, room] = VACANT
        s.sat[e, room] = INITIAL_SATISFACTION
        s.acc[:, e, room] = 0.0
        s.tcl[e, room] = np.nan
        s.feedback[:, e, room] = 0.0
        s.arrival_s[e, room] = t_arr
        s.departure_s[e, room] = t_dep
        s.next_arrival_s[e, room] = np.inf
        s.next_consent[e, room] = 0
        s.next_prefs[:, e, room] = np.nan
        gid = self._next_id
        self._next_id += 1
        s.guest_id[e, room] = gid
        agent = Guest(self, room, gid, self.hotel.segments[guest.segment].name)
        agent.cell = self.space[room]
        agent.checkin_wait_min = wait_min
        agent.profile = guest
        self.guests[room] = agent
        self.ready[room] = False

    def _check_out(self, room: int, guest: GuestProfile) -> None:
        self.records.append(self.guest_record(room, checked_out=True))
        s, e = self.slots, self.env_index
        s.active[e, room] = 0
        s.state[e, room] = VACANT
        s.guest_id[e, room] = -1
        s.segment[e, room] = -1
        s.consent[e, room] = 0
        s.feedback[:, e, room] = 0.0  # a departed guest's complaints are not the room's
        agent = self.guests.pop(room)
        agent.remove()

    def guest_record(self, room: int, checked_out: bool) -> dict[str, Any]:
        """The guest's pseudonymous record; review and return only when checked out."""
        s, e = self.slots, self.env_index
        agent = self.guests[room]
        sat_h, house_h, ppd_h, present_h = s.acc[:, e, room]
        mean_sat = sat_h / house_h if house_h > 0 else float(s.sat[e, room])
        sat_cfg = self.hotel.satisfaction
        guest = agent.profile
        record: dict[str, Any] = {
            "guest": f"G{e:02d}-{agent.guest_id:05d}",
            "segment": agent.segment,
            "party": guest.party,
            "consent": guest.consent,
            "room": self.room_names[room],
            "arrival_h": round(float(s.arrival_s[e, room]) / 3600.0, 4),
            "departure_h": round(float(s.departure_s[e, room]) / 3600.0, 4),
            "checked_out": checked_out,
            "checkin_wait_min": agent.checkin_wait_min,
            "mean_satisfaction": float(mean_sat),
            "final_satisfaction": float(s.sat[e, room]),
            "mean_ppd": float(ppd_h / present_h) if present_h > 0 else np.nan,
            "present_h": float(present_h),
            "pref_temp_c": guest.prefs[0],
            "pref_lux": guest.prefs[2],
            "pref_cct_k": guest.prefs[3],
            "review": None,
            "return_probability": None,
        }
        if checked_out:
            noise = float(self.events_rng.normal(0.0, sat_cfg.review_noise_sd))
            record["review"] = review_score(mean_sat, noise)
            record["return_probability"] = return_probability(
                mean_sat, guest.return_base, sat_cfg.return_slope
            )
        return record

    def in_house_records(self) -> list[dict[str, Any]]:
        """Records of the guests still in the house (no review yet)."""
        return [self.guest_record(room, checked_out=False) for room in sorted(self.guests)]

    def sync_cells(self, changed: np.ndarray) -> None:
        """Move the agents whose routine state changed to their room or the outside."""
        state = self.slots.state[self.env_index]
        for room in changed:
            agent = self.guests.get(int(room))
            if agent is not None:
                target = self.outside if state[room] == OUT else int(room)
                if agent.cell is not self.space[target]:
                    agent.cell = self.space[target]
