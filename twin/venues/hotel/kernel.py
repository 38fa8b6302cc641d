"""The hotel's control step as one Numba call over every copy.

:func:`hotel_step` runs, per copy, the building's lighting pass, adds the guests' and the
front desk's heat to the gains, runs the zone pass; then the guests' update over every
copy (:func:`agents.hotel.guest_kernel.guest_step`); then, per copy, the hotel's
occupancy (rooms by their guests' presence, the lobby always, other zones by the
thermostat's schedule), the guest accumulators and the building's KPI pass. The
discrete events (arrivals, the desk, housekeeping) stay in SimPy.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from agents.hotel.guest_kernel import guest_step
from agents.kernels import ASLEEP, AWAKE
from twin.physics.passes import (
    BuildingArrays,
    StepWeather,
    ZoneCommands,
    ZoneOutputs,
    ZoneState,
    kpi_pass,
    lighting_pass,
    zone_pass,
)

#: Sensible heat per person (W) awake and asleep (ISO 7730 / ASHRAE activity tables).
HEAT_AWAKE_W, HEAT_ASLEEP_W = 75.0, 60.0
#: Extra equipment (TV, chargers, kettle) while a guest is awake in the room (W).
EQUIPMENT_AWAKE_W = 60.0

# Rows of the hotel's per-copy accumulator (guest KPIs of the step).
ACC_PPD_H, ACC_PRESENT_H, ACC_DISCLOSED_H, ACC_IN_HOUSE_H = 0, 1, 2, 3
N_ACC = 4


class GuestArrays(NamedTuple):
    """The guest slots the step reads and writes (see :class:`agents.hotel.slots.GuestSlots`)."""

    active: np.ndarray
    routine: np.ndarray
    prefs: np.ndarray
    party: np.ndarray
    state: np.ndarray
    sat: np.ndarray
    acc: np.ndarray
    tcl: np.ndarray
    feedback: np.ndarray
    ppd_now: np.ndarray
    at_desk: np.ndarray


class HotelLayout(NamedTuple):
    """Zone indices of the guest rooms (room order), the lobby and the scheduled zones."""

    room_zone: np.ndarray
    lobby_zones: np.ndarray
    other_zones: np.ndarray


@njit(cache=True, error_model="numpy")
def hotel_step(
    hour: float,
    dt_h: float,
    price: float,
    others_occupied: bool,
    p: np.ndarray,
    b: BuildingArrays,
    wx: StepWeather,
    cmd: ZoneCommands,
    st: ZoneState,
    out: ZoneOutputs,
    count: np.ndarray,
    band: np.ndarray,
    acc: np.ndarray,
    g: GuestArrays,
    lay: HotelLayout,
    noise: np.ndarray,
    disclosed: np.ndarray,
    hacc: np.ndarray,
) -> None:
    """Advance every copy of the hotel by one control step.

    Args:
        hour: local hour of day at the start of the step.
        dt_h: control step (h).
        price: electricity price of this step (per kWh).
        others_occupied: whether the scheduled zones are in their occupied hours.
        p: the guests' parameter vector (``agents.kernels.P_*``).
        b, wx, cmd, st, out: the World's building arrays, this step's weather, the
            commands in force, the physics state and the zone outputs
            (:mod:`twin.physics.passes`).
        count: ``(ne, nz)`` out: people per zone (guests present per room, parties at
            the desk shared over the lobby zones).
        band: the comfort band (occupied lower, upper; unoccupied lower, upper).
        acc: the World's building KPI accumulator.
        g: the guest slots; ``noise`` ``(ne, R)`` uniform draws deciding feedback.
        lay: where the rooms, lobby and scheduled zones are.
        disclosed: ``(ne, R)`` rooms whose guest's data the policy saw this step.
        hacc: ``(N_ACC, ne)`` the hotel's accumulators (the ``ACC_*`` rows above).
    """
    ne, nz = cmd.heat_sp.shape
    room_zone, lobby_zones, other_zones = lay.room_zone, lay.lobby_zones, lay.other_zones
    n_rooms = room_zone.shape[0]
    n_lobby = lobby_zones.shape[0]
    state, party = g.state, g.party
    room_in = np.empty((4, ne, n_rooms))
    gains = np.empty(nz)
    rec = np.empty((4, nz))
    for e in range(ne):
        # Lighting, then internal gains from the guests' previous state.
        lighting_pass(e, b, wx, cmd, out, gains)
        for r in range(n_rooms):
            s = state[e, r]
            if s == AWAKE:
                gains[room_zone[r]] += party[e, r] * HEAT_AWAKE_W + EQUIPMENT_AWAKE_W
            elif s == ASLEEP:
                gains[room_zone[r]] += party[e, r] * HEAT_ASLEEP_W
        for i in range(n_lobby):
            gains[lobby_zones[i]] += HEAT_AWAKE_W * g.at_desk[e] / n_lobby
        zone_pass(e, b, wx, cmd, st, out, gains, rec)
        for r in range(n_rooms):
            z = room_zone[r]
            room_in[0, e, r] = out.air[e, z]
            room_in[1, e, r] = out.op[e, z]
            room_in[2, e, r] = out.lux[e, z]
            room_in[3, e, r] = out.cct[e, z]

    guest_step(
        np.full(ne, hour), dt_h, p, g.active, g.routine, g.prefs, room_in[0], room_in[1],
        room_in[2], room_in[3], noise, state, g.sat, g.acc, g.tcl, g.feedback, g.ppd_now,
    )  # fmt: skip

    # Occupancy, the guests' share of the step's KPIs, then the building's.
    for e in range(ne):
        occ, cnt = out.occupied[e], count[e]
        for z in range(nz):
            occ[z] = False
            cnt[z] = 0.0
        for i in range(n_lobby):
            occ[lobby_zones[i]] = True
            cnt[lobby_zones[i]] = g.at_desk[e] / n_lobby
        for i in range(other_zones.shape[0]):
            occ[other_zones[i]] = others_occupied
        present_h = 0.0
        ppd_h = 0.0
        in_house_h = 0.0
        disclosed_h = 0.0
        for r in range(n_rooms):
            s = state[e, r]
            here = s == AWAKE or s == ASLEEP
            occ[room_zone[r]] = here
            if here:
                cnt[room_zone[r]] = party[e, r]
                present_h += dt_h
                ppd_h += g.ppd_now[e, r] * dt_h
            if g.active[e, r] == 1:
                in_house_h += dt_h
                if disclosed[e, r]:
                    disclosed_h += dt_h
        hacc[ACC_PPD_H, e] += ppd_h
        hacc[ACC_PRESENT_H, e] += present_h
        hacc[ACC_IN_HOUSE_H, e] += in_house_h
        hacc[ACC_DISCLOSED_H, e] += disclosed_h
        kpi_pass(e, out, band, price, dt_h, acc)
