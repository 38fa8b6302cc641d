"""Numba kernels of the hotel's discrete events: a day's bookings, check-in, check-out.

Pure functions over arrays in the style of :mod:`agents.kernels`: randomness comes in
as arrays, results are written in place or returned as arrays. They keep the Python
work of :class:`agents.hotel.model.HotelModel` per event (and per day) small.

A day's guests live in one table, one row per guest party, columns
:data:`STAY_COLUMNS`: the profile drawn from its segment, the service times and review
noise drawn with it, the stay's times and, from check-out on, what the guest
experienced (kept for its record).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from agents.hotel.population import (
    COL_CONSENT,
    COL_NIGHTS,
    COL_PARTY,
    COL_SEGMENT,
    N_NORMALS,
    PROFILE_COLUMNS,
    draw_profiles,
)
from agents.kernels import VACANT

STAY_COLUMNS = (
    *PROFILE_COLUMNS,
    "checkin_s",
    "checkout_s",
    "clean_s",
    "review_noise",
    "arrival_s",
    "departure_s",
    "sat_h",
    "in_house_h",
    "ppd_h",
    "present_h",
    "final_satisfaction",
)
COL_CHECKIN_S, COL_CHECKOUT_S, COL_CLEAN_S, COL_REVIEW_NOISE = range(15, 19)
COL_ARRIVAL_S, COL_DEPARTURE_S, COL_EXPERIENCE = 19, 20, 21
assert STAY_COLUMNS[COL_CHECKIN_S] == "checkin_s" and STAY_COLUMNS[COL_EXPERIENCE] == "sat_h"
#: Standard normals per guest (profile, three service times, review noise) and
#: uniforms per guest (hour, time in the hour, segment, room, party size, consent).
N_Z, N_U = N_NORMALS + 4, 6


@njit(cache=True, error_model="numpy")
def draw_guests(
    params: np.ndarray,
    sd_scale: np.ndarray,
    service: np.ndarray,
    review_sd: float,
    segments: np.ndarray,
    z: np.ndarray,
    u: np.ndarray,
    out: np.ndarray,
) -> None:
    """Guests of ``segments``: profiles, service times (s) and review noise into ``out``.

    Args:
        params, sd_scale: segment table and sd factors (see :func:`draw_profiles`).
        service: ``(4, 3)`` mean, sd, low and high (min) of the check-in, check-out and
            cleaning times.
        review_sd: sd of the review noise.
        segments: ``(n,)`` segment of each guest.
        z: ``(n, N_Z)`` standard normals.
        u: ``(n, 2)`` uniforms for the party size and the consent.
        out: ``(n, len(STAY_COLUMNS))`` guest table.
    """
    draw_profiles(params, sd_scale, segments, z[:, :N_NORMALS], u, out)
    for r in range(segments.size):
        for k in range(3):
            v = service[0, k] + service[1, k] * z[r, N_NORMALS + k]
            out[r, COL_CHECKIN_S + k] = 60.0 * min(max(v, service[2, k]), service[3, k])
        out[r, COL_REVIEW_NOISE] = review_sd * z[r, N_NORMALS + 3]


@njit(cache=True, error_model="numpy")
def book_day(
    day_start: float,
    now: float,
    checkout_s: float,
    hour_cdf: np.ndarray,
    segment_cdf: np.ndarray,
    params: np.ndarray,
    sd_scale: np.ndarray,
    service: np.ndarray,
    review_sd: float,
    u: np.ndarray,
    z: np.ndarray,
    active: np.ndarray,
    departure: np.ndarray,
    next_arrival: np.ndarray,
    next_consent: np.ndarray,
    next_prefs: np.ndarray,
    out: np.ndarray,
) -> tuple[np.ndarray, int]:
    """A day's arrivals: draw them, book each into a room free when it arrives.

    Arrival hours follow ``hour_cdf`` (uniform within the hour) and segments
    ``segment_cdf`` (see :func:`agents.hotel.population.inverse_cdf`); rooms come from
    :func:`assign_rooms`. The booked guests fill the first rows of ``out`` in arrival
    order, with their arrival and departure (``checkout_s`` after local midnight
    ``nights`` days on); their rooms' bookings (``next_*``, stated preferences only
    with consent) are written into the environment's slot rows.

    Args:
        day_start, now: run time (s) of the day's local midnight and of now (arrivals
            before now, on the first day of a run, are dropped).
        u: ``(n, N_U)`` uniforms, ``z``: ``(n, N_Z)`` standard normals, for ``n``
            arrivals.
        active, departure, next_arrival, next_consent: ``(R,)`` slot rows;
            ``next_prefs`` ``(3, R)``.
        out: ``(n, len(STAY_COLUMNS))`` guest table.

    Returns:
        The booked guests' rooms and the number of arrivals on or after ``now``.
    """
    n = u.shape[0]
    t_arr = np.empty(n)
    for i in range(n):
        t_arr[i] = day_start + (np.searchsorted(hour_cdf, u[i, 0], side="right") + u[i, 1]) * 3600.0
    t_arr.sort()
    first = int(np.searchsorted(t_arr, now, side="left"))
    segments = np.searchsorted(segment_cdf, u[:, 2], side="right")
    draw_guests(params, sd_scale, service, review_sd, segments, z, u[:, 4:], out)

    free_from = np.where(active == 0, -np.inf, departure)
    for r in range(free_from.size):
        if next_arrival[r] != np.inf:
            free_from[r] = np.inf
    assigned = assign_rooms(free_from, t_arr[first:], u[first:, 3])
    rooms = np.empty(n, dtype=np.int64)
    m = 0
    for j in range(assigned.size):
        room = assigned[j]
        if room < 0:
            continue
        i = first + j
        if m != i:
            out[m] = out[i]
        out[m, COL_ARRIVAL_S] = t_arr[i]
        out[m, COL_DEPARTURE_S] = day_start + out[m, COL_NIGHTS] * 86400.0 + checkout_s
        next_arrival[room] = t_arr[i]
        consented = out[m, COL_CONSENT] == 1.0
        next_consent[room] = 1 if consented else 0
        for k, col in enumerate((0, 2, 3)):  # stated temperature, lux, CCT
            next_prefs[k, room] = out[m, col] if consented else np.nan
        rooms[m] = room
        m += 1
    return rooms[:m], n - first


@njit(cache=True, error_model="numpy")
def assign_rooms(free_from: np.ndarray, t_arr: np.ndarray, pick: np.ndarray) -> np.ndarray:
    """Book arrivals into rooms, each drawn uniformly from the rooms free when it arrives.

    Args:
        free_from: ``(R,)`` time (s) from which each room can take a new guest: ``-inf``
            when vacant, its guest's departure when occupied, ``inf`` when booked.
        t_arr: ``(n,)`` arrival times (s), ascending.
        pick: ``(n,)`` uniform draws in [0, 1), one per arrival.

    Returns:
        ``(n,)`` room of each arrival, ``-1`` when no room is free (turned away).
    """
    order = np.argsort(free_from, kind="mergesort")
    n, n_rooms = t_arr.size, free_from.size
    pool = np.empty(n_rooms, dtype=np.int64)
    rooms = np.full(n, -1, dtype=np.int64)
    size = 0  # rooms in the pool
    joined = 0  # rooms of ``order`` that have joined the pool
    for i in range(n):
        while joined < n_rooms and free_from[order[joined]] <= t_arr[i]:
            pool[size] = order[joined]
            size += 1
            joined += 1
        if size > 0:
            k = min(int(pick[i] * size), size - 1)
            rooms[i] = pool[k]
            size -= 1
            pool[k] = pool[size]
    return rooms


@njit(cache=True, error_model="numpy")
def write_check_in(
    e: int,
    room: int,
    guests: np.ndarray,
    i: int,
    arrival_s: float,
    departure_s: float,
    guest_id: int,
    satisfaction: float,
    active: np.ndarray,
    routine: np.ndarray,
    prefs: np.ndarray,
    party: np.ndarray,
    segment: np.ndarray,
    consent: np.ndarray,
    state: np.ndarray,
    sat: np.ndarray,
    acc: np.ndarray,
    tcl: np.ndarray,
    feedback: np.ndarray,
    arrival: np.ndarray,
    departure: np.ndarray,
    next_arrival: np.ndarray,
    next_consent: np.ndarray,
    next_prefs: np.ndarray,
    guest_ids: np.ndarray,
) -> None:
    """Write guest ``guests[i]`` (columns ``PROFILE_COLUMNS``) into slot ``(e, room)``.

    The slot's experience starts afresh (``satisfaction``, empty accumulators, no
    feedback, vacant until the next step's routine) and its booking is cleared. The
    arrays are the :class:`~agents.hotel.slots.GuestSlots` fields of the same names,
    in the order of :meth:`~agents.hotel.slots.GuestSlots.check_in_arrays`.
    """
    g = guests[i]
    active[e, room] = 1
    for k in range(6):
        prefs[k, e, room] = g[k]
    for k in range(4):
        routine[k, e, room] = g[6 + k]
    party[e, room] = g[COL_PARTY]
    segment[e, room] = np.int64(g[COL_SEGMENT])
    consent[e, room] = np.int8(g[COL_CONSENT])
    state[e, room] = VACANT
    sat[e, room] = satisfaction
    for k in range(4):
        acc[k, e, room] = 0.0
    tcl[e, room] = np.nan
    feedback[0, e, room] = 0.0
    feedback[1, e, room] = 0.0
    arrival[e, room] = arrival_s
    departure[e, room] = departure_s
    next_arrival[e, room] = np.inf
    next_consent[e, room] = 0
    for k in range(3):
        next_prefs[k, e, room] = np.nan
    guest_ids[e, room] = guest_id


@njit(cache=True, error_model="numpy")
def write_check_out(
    e: int,
    room: int,
    guests: np.ndarray,
    i: int,
    col: int,
    active: np.ndarray,
    segment: np.ndarray,
    consent: np.ndarray,
    state: np.ndarray,
    sat: np.ndarray,
    acc: np.ndarray,
    feedback: np.ndarray,
    guest_ids: np.ndarray,
) -> None:
    """Keep slot ``(e, room)``'s experience in ``guests[i, col : col + 5]`` and free it.

    The kept values are the four accumulators (satisfaction-h, in-house h, PPD-h,
    present h) and the final satisfaction. The slot becomes vacant; a departed guest's
    feedback is not the room's. The arrays are the
    :class:`~agents.hotel.slots.GuestSlots` fields of the same names, in the order of
    :meth:`~agents.hotel.slots.GuestSlots.check_out_arrays`.
    """
    for k in range(4):
        guests[i, col + k] = acc[k, e, room]
    guests[i, col + 4] = sat[e, room]
    active[e, room] = 0
    segment[e, room] = -1
    consent[e, room] = 0
    state[e, room] = VACANT
    feedback[0, e, room] = 0.0
    feedback[1, e, room] = 0.0
    guest_ids[e, room] = -1
