"""The hotel as a Mesa model driven by SimPy events.

One :class:`HotelModel` is one hotel in one environment. It owns the guests (Mesa agents
in a layout of rooms, lobby and the outside world) and runs the hotel's discrete events
on the World's SimPy clock:

* bookings: at every local midnight the day's arrivals are drawn (Poisson with the
  weekday and hour-of-day profile) and each is given a room drawn uniformly from the
  rooms free at its arrival time; no room means turned away;
* stays: arrival, queue at the front desk (the desk staff as
  :class:`~agents.hotel.servers.Servers`), check-in service, waiting for a clean room,
  the stay, check-out at the desk;
* housekeeping: cleaning a room after check-out within working hours (staff as
  :class:`~agents.hotel.servers.Servers`); a guest whose room is not clean yet waits.

Each stage of a stay is a callback on a SimPy event (a :class:`Stay` moves on when its
timeout fires or a server takes it) rather than a generator process, which would add a
start and an end event per process and a generator resume per event. A stay costs
four or five events: its arrival, the ends of its check-in, check-out and cleaning
services, and a wait for the housekeeping shift when it checks out outside it; guests
leaving at the same time (the check-out hour) share one departure timeout. Staff are
pools of servers with a FIFO queue (``simpy.Resource``'s discipline without its request
and release events, which were six of a stay's ten). A guest's service times and
review noise are drawn with its profile at booking.

Guest state lives in the World's :class:`~agents.hotel.slots.GuestSlots` (row
``env_index``); this model writes a slot at check-in and reads it back at check-out,
when the guest's review and return probability are fixed (both slot writes are small
Numba kernels, :mod:`agents.hotel.kernels`). Records are turned into dictionaries only
when :attr:`HotelModel.records` is read. ``GuestSlots.at_desk[env_index]`` counts the
parties at the front desk: one more when a party joins the desk's queue (arrival,
departure), one fewer when its service there ends, so it always equals
``len(desk.queue) + desk.count``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from typing import Any, NamedTuple

import mesa
import networkx as nx
import numpy as np
import simpy
from mesa.discrete_space import Network

from agents.hotel.agents import Guest
from agents.hotel.kernels import (
    COL_ARRIVAL_S,
    COL_CHECKIN_S,
    COL_CHECKOUT_S,
    COL_CLEAN_S,
    COL_DEPARTURE_S,
    COL_EXPERIENCE,
    COL_REVIEW_NOISE,
    N_U,
    N_Z,
    STAY_COLUMNS,
    book_day,
    draw_guests,
    write_check_in,
    write_check_out,
)
from agents.hotel.population import (
    COL_CONSENT,
    COL_NIGHTS,
    COL_PARTY,
    COL_RETURN_BASE,
    COL_SEGMENT,
    SegmentTable,
    inverse_cdf,
    segment_shares,
)
from agents.hotel.servers import Servers
from agents.hotel.slots import GuestSlots
from agents.kernels import OUT
from twin.calendar import Calendar
from twin.scenario import Normal, Scenario

#: Satisfaction a guest arrives with (a prior from the booking experience).
INITIAL_SATISFACTION = 0.8


class Outcome(NamedTuple):
    """What one guest experienced and concluded (the KPI-relevant part of a record)."""

    segment: str
    checked_out: bool
    mean_satisfaction: float
    final_satisfaction: float
    mean_ppd: float
    present_h: float
    review: int | None  # checked-out guests only
    return_probability: float | None  # checked-out guests only


def review_score(mean_sat: float, noise: float) -> int:
    """Review (1-5 stars) from stay-average satisfaction plus the guest's noise."""
    return int(min(5, max(1, round(1.0 + 4.0 * mean_sat + noise))))


def return_probability(mean_sat: float, base: float, slope: float) -> float:
    """Loyalty: the segment's base return rate, scaled down for dissatisfied guests."""
    return float(min(0.95, base * 2.0 / (1.0 + math.exp(-slope * (mean_sat - 0.75)))))


class Stay:
    """One guest party's way through the hotel, as callbacks on SimPy events.

    Arrival -> desk queue -> check-in service -> (wait for a clean room) -> check-in ->
    stay -> check-out -> desk queue -> check-out service -> cleaning within working
    hours -> room ready. The guest's numbers are row ``i`` of ``guests``
    (:data:`STAY_COLUMNS`).
    """

    __slots__ = ("model", "guests", "i", "room", "wait_min", "guest_id")

    def __init__(self, model: HotelModel, guests: np.ndarray, i: int, room: int) -> None:
        self.model = model
        self.guests = guests
        self.i = i
        self.room = room
        self.wait_min: float | None = None  # desk wait; None for guests already in house
        self.guest_id = -1

    @property
    def arrival_s(self) -> float:
        """Arrival (s since the run started; at most 0 for guests already in house)."""
        return self.guests.item(self.i, COL_ARRIVAL_S)

    @property
    def departure_s(self) -> float:
        """Planned departure (s since the run started)."""
        return self.guests.item(self.i, COL_DEPARTURE_S)

    @property
    def segment(self) -> int:
        """Index of the guest's segment."""
        return int(self.guests.item(self.i, COL_SEGMENT))

    # ---------------------------------------------------------------- check-in
    def arrive(self, _event: simpy.Event | None = None) -> None:
        """At the hotel: join the front desk's queue."""
        self.model.join_desk(self.start_checkin)

    def start_checkin(self) -> None:
        """A clerk is free: the check-in service starts."""
        sim = self.model.sim
        self.wait_min = (sim.now - self.arrival_s) / 60.0
        sim.timeout(self.guests.item(self.i, COL_CHECKIN_S)).callbacks.append(self.end_checkin)

    def end_checkin(self, _event: simpy.Event) -> None:
        """Service done: into the room if it is ready, else wait for housekeeping."""
        m = self.model
        m.leave_desk()
        if m.ready[self.room]:  # cleaned after its last guest left
            m.check_in(self)
        else:
            m.waiting[self.room] = self

    # ---------------------------------------------------------------- check-out
    def depart(self, _event: simpy.Event | None = None) -> None:
        """Leave the room at the planned departure and join the desk's queue."""
        m = self.model
        m.check_out(self)
        m.join_desk(self.start_checkout)

    def start_checkout(self) -> None:
        """A clerk is free: the check-out service starts."""
        delay = self.guests.item(self.i, COL_CHECKOUT_S)
        self.model.sim.timeout(delay).callbacks.append(self.end_checkout)

    def end_checkout(self, _event: simpy.Event) -> None:
        """Checked out: the room goes to housekeeping (at the next shift if outside it)."""
        m = self.model
        m.leave_desk()
        start_h, end_h = m.housekeeping_hours
        hour = m.hour_of(m.sim.now)
        if start_h <= hour < end_h:
            self.request_cleaning()
        else:
            wait_h = (start_h - hour) % 24.0
            m.sim.timeout(wait_h * 3600.0).callbacks.append(self.request_cleaning)

    # ---------------------------------------------------------------- cleaning
    def request_cleaning(self, _event: simpy.Event | None = None) -> None:
        """Queue for a housekeeper."""
        self.model.housekeepers.request(self.start_cleaning)

    def start_cleaning(self) -> None:
        """A housekeeper is free: cleaning starts."""
        delay = self.guests.item(self.i, COL_CLEAN_S)
        self.model.sim.timeout(delay).callbacks.append(self.end_cleaning)

    def end_cleaning(self, _event: simpy.Event) -> None:
        """The room is clean: a guest waiting for it checks in."""
        m = self.model
        m.housekeepers.release()
        m.room_ready(self.room)


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
        self.hotel = hotel = scenario.hotel
        self.sim = sim
        self.env_index = env_index
        self.slots = slots
        self.room_names = room_names
        self.n_rooms = len(room_names)
        self.events_rng = events_rng
        self.preference_spread = preference_spread
        self.calendar = Calendar(scenario.simulation.start)
        self._start_s = self.calendar.start_s

        graph = nx.Graph()
        graph.add_nodes_from(range(self.n_rooms + 2))
        self.lobby, self.outside = self.n_rooms, self.n_rooms + 1
        graph.add_edges_from((r, self.lobby) for r in range(self.n_rooms))
        graph.add_edge(self.lobby, self.outside)
        self.space = Network(graph, random=self.random)
        self._cells = [self.space[i] for i in range(self.n_rooms + 2)]
        self._all_rooms = np.arange(self.n_rooms)

        self.desk = Servers(hotel.front_desk.staff)
        self.housekeepers = Servers(hotel.housekeeping.staff)
        self.ready = [True] * self.n_rooms  # room cleaned since its last guest
        self.waiting: dict[int, Stay] = {}  # room -> checked-in guest waiting for it
        self.guests: dict[int, Guest] = {}
        self.stays: dict[int, Stay] = {}  # room -> stay of its current guest
        self._departures: dict[float, list[Stay]] = {}  # departure time -> guests due
        self._records: list[dict[str, Any]] = []
        # Checked-out guests not yet turned into records, as (guests, i, room,
        # wait_min, guest_id): see check_out.
        self._checked_out: list[tuple[np.ndarray, int, int, float | None, int]] = []
        self.checkin_waits_min: list[float] = []
        self.turned_away = 0
        self.arrivals = 0
        self._next_id = 0
        self._day = 0

        # Booking draws: inverse CDFs of the hour profile and segment mixes, and the
        # segments' and services' distribution parameters as arrays.
        arrivals = hotel.arrivals
        self._hour_cdf = inverse_cdf(np.array(arrivals.hour_profile, dtype=np.float64))
        self._segment_cdf = [inverse_cdf(segment_shares(hotel, w)) for w in (False, True)]
        self._table = SegmentTable.of(hotel)
        self._segment_names = [s.name for s in hotel.segments]
        services: tuple[Normal, ...] = (
            hotel.front_desk.checkin_min,
            hotel.front_desk.checkout_min,
            hotel.housekeeping.clean_min,
        )
        # Rows mean, sd, low, high; columns check-in, check-out, cleaning (min).
        self._service = np.array(
            [[getattr(d, f) for d in services] for f in ("mean", "sd", "low", "high")]
        )
        self._sd_scale = np.where(self._table.spread, preference_spread, 1.0)
        self._review_sd = hotel.satisfaction.review_noise_sd
        self._checkout_s = hotel.checkout_h * 3600.0
        self.housekeeping_hours = (hotel.housekeeping.start_h, hotel.housekeeping.end_h)

        self.datacollector = mesa.DataCollector(
            model_reporters={
                "in_house": lambda m: len(m.agents),
                "mean_satisfaction": lambda m: m.mean_satisfaction(),
                "queue": lambda m: len(m.desk.queue),
            }
        )
        self._at_desk[env_index] = 0  # nobody at the desk yet
        self._initial_guests()
        sim.timeout(0.0).callbacks.append(self._midnight)

    # ------------------------------------------------------------------ slots
    @property
    def slots(self) -> GuestSlots:
        """The World's guest slots (this model writes row ``env_index``)."""
        return self._slots

    @slots.setter
    def slots(self, slots: GuestSlots) -> None:
        self._slots = s = slots
        e = self.env_index
        # Row views (one room per element) for cheap scalar reads and writes.
        self._active, self._state, self._sat = s.active[e], s.state[e], s.sat[e]
        self._segment, self._consent, self._guest_id = s.segment[e], s.consent[e], s.guest_id[e]
        self._departure_s = s.departure_s[e]
        self._next_arrival_s, self._next_consent = s.next_arrival_s[e], s.next_consent[e]
        self._next_prefs, self._acc, self._feedback = (
            s.next_prefs[:, e],
            s.acc[:, e],
            s.feedback[:, e],
        )
        self._at_desk = s.at_desk
        self._check_in_arrays = s.check_in_arrays()
        self._check_out_arrays = s.check_out_arrays()

    # ------------------------------------------------------------------ calendar
    def hour_of(self, t: float) -> float:
        """Local hour of day at run time ``t`` (s)."""
        return self.calendar.hour_of(t)

    def day_start(self, day: int) -> float:
        """Run time (s) of local midnight starting day ``day`` (day 0 holds the start)."""
        return self.calendar.day_start(day)

    def weekday(self, day: int) -> int:
        """Weekday (0 = Monday) of day ``day``."""
        return self.calendar.weekday(day)

    # ------------------------------------------------------------------ bookings
    def _midnight(self, _event: simpy.Event) -> None:
        """Daily: sync the agents' cells, collect data, book the day's arrivals."""
        day = self._day
        self.sync_cells(self._all_rooms)
        self.datacollector.collect(self)
        self._book_day(day)
        self._day = day + 1
        self.sim.timeout(self.day_start(day + 1) - self.sim.now).callbacks.append(self._midnight)

    def _draw_guests(self, segments: np.ndarray, u: np.ndarray) -> np.ndarray:
        """A guest table (:data:`STAY_COLUMNS`) of ``segments``, times not yet set.

        ``u`` holds two uniforms per guest (party size, consent).
        """
        n = len(segments)
        z = self.events_rng.standard_normal((n, N_Z))
        guests = np.empty((n, len(STAY_COLUMNS)))
        draw_guests(
            self._table.params, self._sd_scale, self._service, self._review_sd, segments, z, u,
            guests,
        )  # fmt: skip
        return guests

    def _book_day(self, day: int) -> None:
        """Draw the day's arrivals and book each into a room free when it arrives."""
        arrivals, rng = self.hotel.arrivals, self.events_rng
        weekday = self.weekday(day)
        n = int(rng.poisson(arrivals.rate_per_day * arrivals.day_of_week[weekday]))
        if n == 0:
            return
        u, z = rng.random((n, N_U)), rng.standard_normal((n, N_Z))
        guests = np.empty((n, len(STAY_COLUMNS)))
        now = self.sim.now
        rooms, n_arrived = book_day(
            self.day_start(day), now, self._checkout_s, self._hour_cdf,
            self._segment_cdf[weekday >= 4], self._table.params, self._sd_scale, self._service,
            self._review_sd, u, z, self._active, self._departure_s, self._next_arrival_s,
            self._next_consent, self._next_prefs, guests,
        )  # fmt: skip
        self.arrivals += n_arrived
        self.turned_away += n_arrived - rooms.size
        if rooms.size:
            self._schedule_arrival(guests, rooms.tolist(), 0)

    def _schedule_arrival(self, guests: np.ndarray, rooms: list[int], i: int) -> None:
        """One pending event per day's bookings, for the next to arrive (in time order).

        Scheduling all of a day's arrivals at midnight kept some 20 events and their
        guests per hotel alive for hours, long enough for the garbage collector to
        promote them to its oldest generation and run full passes (67 ms each at 32
        hotels) more often; a guest now exists from its arrival.
        """
        t = guests.item(i, COL_ARRIVAL_S)
        timeout = self.sim.timeout(t - self.sim.now)
        timeout.callbacks.append(partial(self._arrival, guests, rooms, i))

    def _arrival(self, guests: np.ndarray, rooms: list[int], i: int, _event: simpy.Event) -> None:
        if i + 1 < len(rooms):
            self._schedule_arrival(guests, rooms, i + 1)
        Stay(self, guests, i, rooms[i]).arrive()

    # ------------------------------------------------------------------ front desk
    def join_desk(self, served: Callable[[], None]) -> None:
        """A guest party queues at the front desk; ``served()`` runs when a clerk is free."""
        self._at_desk[self.env_index] += 1
        self.desk.request(served)

    def leave_desk(self) -> None:
        """A guest party's desk service has ended."""
        self._at_desk[self.env_index] -= 1
        self.desk.release()

    def room_ready(self, room: int) -> None:
        """Housekeeping has cleaned ``room``; a guest waiting for it checks in."""
        self.ready[room] = True
        stay = self.waiting.pop(room, None)
        if stay is not None:
            self.check_in(stay)

    # ------------------------------------------------------------------ guests
    def _initial_guests(self) -> None:
        """Guests already in the house when the run starts (``initial_occupancy``)."""
        rng = self.events_rng
        n = int(round(self.hotel.arrivals.initial_occupancy * self.n_rooms))
        rooms = rng.choice(self.n_rooms, size=n, replace=False)
        u = rng.random((n, 3))  # segment, party size, consent
        segments = np.searchsorted(self._segment_cdf[False], u[:, 0], side="right")
        guests = self._draw_guests(segments, u[:, 1:])
        nights = guests[:, COL_NIGHTS].astype(np.int64)
        left = rng.integers(1, nights + 1)  # nights still to go
        arrived = (left - nights) * 86400.0 - self._start_s + self.hotel.checkin_h * 3600.0
        guests[:, COL_ARRIVAL_S] = np.minimum(arrived, 0.0)
        guests[:, COL_DEPARTURE_S] = left * 86400.0 - self._start_s + self._checkout_s
        for i, room in enumerate(rooms.tolist()):
            self.check_in(Stay(self, guests, i, room))

    def check_in(self, stay: Stay) -> None:
        """Write the guest's slot, add its Mesa agent and schedule its departure."""
        room, departure_s = stay.room, stay.departure_s
        gid = stay.guest_id = self._next_id
        self._next_id = gid + 1
        write_check_in(
            self.env_index, room, stay.guests, stay.i, stay.arrival_s, departure_s, gid,
            INITIAL_SATISFACTION, *self._check_in_arrays,
        )  # fmt: skip
        agent = Guest(self, room, gid, self._segment_names[stay.segment])
        agent.cell = self._cells[room]
        agent.checkin_wait_min = stay.wait_min
        self.guests[room] = agent
        self.stays[room] = stay
        self.ready[room] = False
        if stay.wait_min is not None:
            self.checkin_waits_min.append(stay.wait_min)
        if departure_s > self.sim.now:
            self._schedule_departure(stay, departure_s)
        else:
            stay.depart()

    def _schedule_departure(self, stay: Stay, departure_s: float) -> None:
        """Guests leave at the check-out hour: one event per departure time, not per guest.

        They depart in the order they checked in, as they would with one event each.
        """
        due = self._departures.get(departure_s)
        if due is None:
            due = self._departures[departure_s] = []
            timeout = self.sim.timeout(departure_s - self.sim.now)
            timeout.callbacks.append(partial(self._depart, departure_s))
        due.append(stay)

    def _depart(self, departure_s: float, _event: simpy.Event) -> None:
        for stay in self._departures.pop(departure_s):
            stay.depart()

    def check_out(self, stay: Stay) -> None:
        """Keep the guest's experience, free its slot and remove its Mesa agent."""
        room = stay.room
        write_check_out(
            self.env_index, room, stay.guests, stay.i, COL_EXPERIENCE, *self._check_out_arrays
        )
        # A plain tuple of the guest table and numbers, not the Stay: CPython stops
        # tracking such tuples in the cyclic garbage collector, so an episode's past
        # guests do not make its full passes (67 ms each at 32 hotels) more frequent.
        self._checked_out.append((stay.guests, stay.i, room, stay.wait_min, stay.guest_id))
        del self.stays[room]
        self.guests.pop(room).remove()

    # ------------------------------------------------------------------ records
    @property
    def records(self) -> list[dict[str, Any]]:
        """Records of the checked-out guests, in check-out order (see :meth:`record`)."""
        if self._checked_out:
            self._records.extend(self.record(*kept, True) for kept in self._checked_out)
            self._checked_out.clear()
        return self._records

    def record(
        self,
        guests: np.ndarray,
        i: int,
        room: int,
        wait_min: float | None,
        guest_id: int,
        checked_out: bool,
    ) -> dict[str, Any]:
        """A guest's pseudonymous record; review and return only when checked out.

        The guest is row ``i`` of its booking table ``guests``, staying in ``room``. A
        checked-out guest is described by what :meth:`check_out` kept, a guest still
        in the house by its slot's current state.
        """
        row = guests[i].tolist()
        out = self._outcome(row, room, checked_out)
        return {
            "guest": f"G{self.env_index:02d}-{guest_id:05d}",
            "segment": out.segment,
            "party": int(row[COL_PARTY]),
            "consent": bool(row[COL_CONSENT]),
            "room": self.room_names[room],
            "arrival_h": round(row[COL_ARRIVAL_S] / 3600.0, 4),
            "departure_h": round(row[COL_DEPARTURE_S] / 3600.0, 4),
            "checked_out": checked_out,
            "checkin_wait_min": wait_min,
            "mean_satisfaction": out.mean_satisfaction,
            "final_satisfaction": out.final_satisfaction,
            "mean_ppd": out.mean_ppd,
            "present_h": out.present_h,
            "pref_temp_c": row[0],
            "pref_lux": row[2],
            "pref_cct_k": row[3],
            "review": out.review,
            "return_probability": out.return_probability,
        }

    def _outcome(self, row: list[float], room: int, checked_out: bool) -> Outcome:
        """What a guest (booking-table ``row``, in ``room``) experienced and concluded."""
        if checked_out:
            sat_h, house_h, ppd_h, present_h, sat = row[COL_EXPERIENCE : COL_EXPERIENCE + 5]
        else:
            sat_h, house_h, ppd_h, present_h = self._acc[:, room].tolist()
            sat = float(self._sat[room])
        mean_sat = sat_h / house_h if house_h > 0 else sat
        review = back = None
        if checked_out:
            review = review_score(mean_sat, row[COL_REVIEW_NOISE])
            back = return_probability(
                mean_sat, row[COL_RETURN_BASE], self.hotel.satisfaction.return_slope
            )
        return Outcome(
            self._segment_names[int(row[COL_SEGMENT])], checked_out, mean_sat, sat,
            ppd_h / present_h if present_h > 0 else np.nan, present_h, review, back,
        )  # fmt: skip

    def outcomes(self) -> list[Outcome]:
        """:meth:`records` then :meth:`in_house_records` reduced to what the KPIs need.

        A full record costs about 4 us (identifiers, names, rounding); KPIs at the end
        of every episode of every copy would otherwise build some 15,000 per 32 hotels.
        """
        done = [
            Outcome(
                r["segment"], True, r["mean_satisfaction"], r["final_satisfaction"],
                r["mean_ppd"], r["present_h"], r["review"], r["return_probability"],
            )
            for r in self._records
        ]  # fmt: skip
        done += [self._outcome(g[i].tolist(), room, True) for g, i, room, *_ in self._checked_out]
        for room in sorted(self.guests):
            s = self.stays[room]
            done.append(self._outcome(s.guests[s.i].tolist(), room, False))
        return done

    def guest_record(self, room: int) -> dict[str, Any]:
        """The record of the guest now in ``room`` (no review yet)."""
        s = self.stays[room]
        return self.record(s.guests, s.i, room, s.wait_min, s.guest_id, False)

    def in_house_records(self) -> list[dict[str, Any]]:
        """Records of the guests still in the house (no review yet)."""
        return [self.guest_record(room) for room in sorted(self.guests)]

    def mean_satisfaction(self) -> float:
        """Mean current satisfaction of the guests in the house (NaN when empty)."""
        in_house = self._active == 1
        return float(self._sat[in_house].mean()) if in_house.any() else np.nan

    def sync_cells(self, changed: np.ndarray) -> None:
        """Move the agents whose routine state changed to their room or the outside."""
        guests = self.guests
        if not guests:
            return
        if len(changed) < self.n_rooms:
            guests = {r: guests[r] for r in np.asarray(changed).tolist() if r in guests}
        state, cells, outside = self._state.tolist(), self._cells, self.outside
        for room, agent in guests.items():
            cell = cells[outside if state[room] == OUT else room]
            if agent.cell is not cell:
                agent.cell = cell
