"""The homes' control step as one Numba call over every home of every copy.

:func:`home_step` runs, per block of homes: per home, command arbitration over the
World's priority arrays (:func:`resolve`: a resident's override beats the policy,
which beats the thermostat's program; a resident's hold ends at the program's next
change), the building's lighting pass, the residents' heat, the zone pass; then the
residents' update for the block (:func:`agents.home.kernels.resident_update`); then,
per home, occupancy, the residents' light switches for the next step, the pre-heat
timeliness of arrivals and the building's KPI pass. Blocks are independent, so
:data:`home_step_parallel` runs them on all cores for large neighbourhoods and gives
the same numbers as :data:`home_step`.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit, prange

from agents.home.kernels import resident_update
from agents.home.slots import T_LUX, T_PREF, T_TOL, Residents
from agents.kernels import ASLEEP, AWAKE
from twin.arbitration import DEFAULT
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

#: Sensible heat per resident awake and asleep (W; ISO 7730 / ASHRAE activity tables).
HEAT_AWAKE_W, HEAT_ASLEEP_W = 75.0, 55.0
#: Household appliances while someone is awake at home (cooking, TV, computers; W).
APPLIANCES_AWAKE_W = 150.0
#: Homes per block of the step (the unit of work of the parallel kernel).
BLOCK = 128
#: A pre-heat event that has not reached comfort after this long counts this long (h).
PREHEAT_CAP_H = 4.0
# Priority levels of the World's arbitration (twin.arbitration.SOURCES order).
_OVERRIDE, _POLICY, _SCHEDULE = 0, 1, 2
# Rows of the homes' accumulator ``hacc`` (per home).
H_HOME_H, H_OVERRIDES, H_EVENTS, H_LATE_H, H_DISCLOSED_H = range(5)
N_HACC = 5
# Rows of the pre-heat state ``pre`` (per home): pending, hours so far, threshold (deg C).
P_PENDING, P_ELAPSED_H, P_THRESHOLD = range(3)


class Arbitration(NamedTuple):
    """The World's priority arrays, as the kernel reads and writes them.

    ``*_slots`` are the :class:`twin.arbitration.PriorityArray` slots ``(3, ne, nz)``
    (override, policy, schedule; NaN relinquished), ``*_default`` their relinquish
    defaults and ``*_source`` the World's ``command_source`` (which level is in force).
    """

    heat_slots: np.ndarray
    cool_slots: np.ndarray
    lux_slots: np.ndarray
    cct_slots: np.ndarray
    heat_default: np.ndarray
    cool_default: np.ndarray
    lux_default: np.ndarray
    cct_default: np.ndarray
    heat_source: np.ndarray
    cool_source: np.ndarray
    lux_source: np.ndarray
    cct_source: np.ndarray


class HomeState(NamedTuple):
    """The homes' own per-step state and accumulators."""

    held: np.ndarray  # (ne, nz) bool: a resident's override holds the zone
    n_over: np.ndarray  # (ne, nz) overrides made this step
    pre: np.ndarray  # (3, ne) pre-heat event state (the P_* rows)
    hacc: np.ndarray  # (N_HACC, ne) the H_* accumulators
    disclosed: np.ndarray  # (ne,) bool: the thermostat learned the home's occupancy this step


class StepInputs(NamedTuple):
    """What changes from step to step besides the arrays."""

    step: int  # index of the step (counter of the override draws)
    hour: float  # local hour at its start
    dt_h: float
    price: float  # per kWh
    program: np.ndarray  # (4,) the thermostat program's heat, cool, lux and CCT now
    program_changed: bool  # the program changed since the previous step: holds end


@njit(cache=True, inline="always", error_model="numpy")
def resolve(slots, default, source, e: int, z: int, policy: float, schedule: float) -> float:
    """Write the policy and schedule levels of point ``(e, z)``; the value in force.

    Exactly :meth:`twin.arbitration.PriorityArray.resolve` for one point: the highest
    level that holds a value (not NaN) wins, else the relinquish default; ``source``
    gets the winning level (``DEFAULT`` for the default).
    """
    slots[_POLICY, e, z] = policy
    slots[_SCHEDULE, e, z] = schedule
    value = default[e, z]
    src = DEFAULT
    for level in range(_SCHEDULE, -1, -1):
        x = slots[level, e, z]
        if x == x:
            value = x
            src = level
    source[e, z] = src
    return value


def _home_step(
    s: StepInputs,
    p: np.ndarray,
    b: BuildingArrays,
    wx: StepWeather,
    cmd: ZoneCommands,
    st: ZoneState,
    out: ZoneOutputs,
    count: np.ndarray,
    band: np.ndarray,
    acc: np.ndarray,
    arb: Arbitration,
    rs: Residents,
    hs: HomeState,
    living: int,
) -> None:
    """Advance every home by one control step (see the module docstring).

    Args:
        s: the step's index, hour, length, price and thermostat program.
        p: the residents' parameters (:mod:`agents.home.kernels` ``P_*``/``Q_*``).
        b, wx, cmd, st, out: the World's building arrays, weather, commands (the
            policy's; replaced in place by the values in force), physics state and
            zone outputs.
        count: ``(ne, nz)`` out: residents per zone.
        band: the comfort band (occupied lower, upper; unoccupied lower, upper).
        acc: the World's building KPI accumulator.
        arb: the World's priority arrays.
        rs: the residents; hs: the homes' own state; living: the day zone's index.
    """
    ne, nz = cmd.heat_sp.shape
    n_blocks = (ne + BLOCK - 1) // BLOCK
    dt_h = s.dt_h
    for blk in prange(n_blocks):
        e0 = blk * BLOCK
        e1 = min(e0 + BLOCK, ne)
        gains = np.empty(nz)
        rec = np.empty((4, nz))
        for e in range(e0, e1):
            for z in range(nz):
                if s.program_changed and hs.held[e, z]:  # the hold ends with the program's change
                    arb.heat_slots[_OVERRIDE, e, z] = math.nan
                    arb.cool_slots[_OVERRIDE, e, z] = math.nan
                    hs.held[e, z] = False
                hs.n_over[e, z] = 0
                cmd.heat_sp[e, z] = resolve(
                    arb.heat_slots, arb.heat_default, arb.heat_source, e, z, cmd.heat_sp[e, z],
                    s.program[0],
                )  # fmt: skip
                cmd.cool_sp[e, z] = resolve(
                    arb.cool_slots, arb.cool_default, arb.cool_source, e, z, cmd.cool_sp[e, z],
                    s.program[1],
                )  # fmt: skip
                cmd.light_lux[e, z] = resolve(
                    arb.lux_slots, arb.lux_default, arb.lux_source, e, z, cmd.light_lux[e, z],
                    s.program[2],
                )  # fmt: skip
                cmd.light_cct[e, z] = resolve(
                    arb.cct_slots, arb.cct_default, arb.cct_source, e, z, cmd.light_cct[e, z],
                    s.program[3],
                )  # fmt: skip
            lighting_pass(e, b, wx, cmd, out, gains)
            awake = False
            for r in range(rs.size[e]):  # the residents' heat from their previous state
                state = rs.state[e, r]
                if state == AWAKE:
                    gains[living] += HEAT_AWAKE_W
                    awake = True
                elif state == ASLEEP:
                    gains[rs.bed[e, r]] += HEAT_ASLEEP_W
            if awake:
                gains[living] += APPLIANCES_AWAKE_W
            zone_pass(e, b, wx, cmd, st, out, gains, rec)

        resident_update(
            e0, e1, s.step, s.hour, dt_h, p, rs, living, out.air, out.op, out.lux, out.cct,
            cmd.heat_sp, cmd.cool_sp, arb.heat_slots[_OVERRIDE], arb.cool_slots[_OVERRIDE],
            hs.held, hs.n_over,
        )  # fmt: skip

        for e in range(e0, e1):
            was_awake = out.occupied[e, living]
            occ, cnt = out.occupied[e], count[e]
            for z in range(nz):
                occ[z] = False
                cnt[z] = 0.0
            lux_wanted = 0.0
            threshold = -math.inf
            home = False
            for r in range(rs.size[e]):
                state = rs.state[e, r]
                if state == AWAKE:
                    occ[living] = True
                    cnt[living] += 1.0
                    lux_wanted = max(lux_wanted, rs.traits[T_LUX, e, r])
                    threshold = max(threshold, rs.traits[T_PREF, e, r] - rs.traits[T_TOL, e, r])
                    home = True
                elif state == ASLEEP:
                    occ[rs.bed[e, r]] = True
                    cnt[rs.bed[e, r]] += 1.0
                    home = True
            # Residents switch the lights: the living zone's to what the most demanding
            # of those awake want, everything else off (in force from the next step).
            for z in range(nz):
                arb.lux_slots[_OVERRIDE, e, z] = lux_wanted if z == living else 0.0
            _preheat(hs, e, was_awake, occ[living], out.op[e, living], threshold, dt_h)
            overrides = 0.0
            for z in range(nz):
                overrides += hs.n_over[e, z]
            hs.hacc[H_OVERRIDES, e] += overrides
            if home:
                hs.hacc[H_HOME_H, e] += dt_h
            if hs.disclosed[e]:
                hs.hacc[H_DISCLOSED_H, e] += dt_h
            kpi_pass(e, out, band, s.price, dt_h, acc)


@njit(cache=True, inline="always", error_model="numpy")
def _preheat(hs, e, was_awake, awake, t_op, threshold, dt_h) -> None:
    """Pre-heat timeliness: hours below comfort after the living zone becomes occupied.

    An event starts when somebody is awake at home and nobody was the step before
    (arrival, or getting up); its threshold is the most demanding awake resident's
    preferred temperature minus their tolerance. It ends when the living zone's
    operative temperature reaches it (counting the hours until then), when the zone
    is empty again, or after :data:`PREHEAT_CAP_H`.
    """
    pre = hs.pre
    if awake and not was_awake:
        pre[P_PENDING, e] = 1.0
        pre[P_ELAPSED_H, e] = 0.0
        pre[P_THRESHOLD, e] = threshold
    if pre[P_PENDING, e] == 0.0:
        return
    done = not awake or t_op >= pre[P_THRESHOLD, e]
    if not done:
        pre[P_ELAPSED_H, e] += dt_h
        done = pre[P_ELAPSED_H, e] >= PREHEAT_CAP_H
    if done:
        hs.hacc[H_EVENTS, e] += 1.0
        hs.hacc[H_LATE_H, e] += min(pre[P_ELAPSED_H, e], PREHEAT_CAP_H)
        pre[P_PENDING, e] = 0.0


#: One thread: the right choice for env batches (a parallel region costs tens of us).
home_step = njit(cache=True, error_model="numpy")(_home_step)
#: Blocks of homes on all cores: for neighbourhoods of thousands of homes.
home_step_parallel = njit(cache=True, parallel=True, error_model="numpy")(_home_step)
