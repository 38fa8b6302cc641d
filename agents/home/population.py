"""Households drawn from the scenario's types: members, their preferences, usual routines.

Every member role of every household type is one row of a :class:`RoleTable` (the
distributions its residents come from, as arrays); a household draws its type, its
consent and its members' counts from uniforms, and each member's preferences and usual
weekday and weekend times from standard normals, all from the home's own generator in
draws of a fixed size (so a home's draws never depend on other homes).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from agents.home.slots import T_CLO, T_LUX, T_MET, T_PREF, T_SLEEP, T_TOL
from twin.scenario.home import MAX_RESIDENTS, Home

# The clipped normals a resident is drawn from, in the order of RoleTable's columns.
_NORMALS = (
    "weekday.wake_h", "weekday.leave_h", "weekday.return_h", "weekday.sleep_h",
    "weekend.wake_h", "weekend.leave_h", "weekend.return_h", "weekend.sleep_h",
    "pref_temp_c", "sleep_offset_k", "temp_tolerance_k", "pref_lux", "clo_awake",
)  # fmt: skip
N_NORMALS = len(_NORMALS)
# Columns after the normals' mean, sd, low and high.
C_MET, C_AWAY_WD, C_AWAY_WE, C_SD_WD, C_SD_WE, C_OFFICE, C_LO, C_HI = range(
    4 * N_NORMALS, 4 * N_NORMALS + 8
)
N_ROLE_COLUMNS = 4 * N_NORMALS + 8
#: Uniforms per home: household type, consent, one count per member group.
N_U = 2 + MAX_RESIDENTS
#: Shortest gaps kept between a routine's times when draws would cross (h).
MIN_GAP_H = 0.25


def _get(obj: object, dotted: str) -> object:
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


@dataclass(frozen=True, slots=True)
class RoleTable:
    """The scenario's member roles and household types as arrays.

    ``params`` has one row per role (all household types' member groups, in order):
    the mean, sd, low and high of :data:`_NORMALS`, then activity (met), the chance
    of going out on a weekday and on a weekend day, the day-to-day spread of the times
    on each, the share of weekdays worked from home, and the smallest and largest
    count. ``first[h]`` is household type ``h``'s first role and ``n_roles[h]`` its
    number; ``type_cdf`` draws a type, ``consent_share`` its consent.
    """

    params: np.ndarray
    first: np.ndarray
    n_roles: np.ndarray
    type_cdf: np.ndarray
    consent_share: np.ndarray
    role_names: tuple[str, ...]
    type_names: tuple[str, ...]

    @classmethod
    def of(cls, home: Home) -> RoleTable:
        """The table of a home scenario's households."""
        rows: list[list[float]] = []
        first: list[int] = []
        n_roles: list[int] = []
        names: list[str] = []
        for h in home.households:
            first.append(len(rows))
            n_roles.append(len(h.members))
            for m in h.members:
                normals = [_get(m, name) for name in _NORMALS]
                rows.append([
                    *(d.mean for d in normals), *(d.sd for d in normals),  # type: ignore[attr-defined]
                    *(d.low for d in normals), *(d.high for d in normals),  # type: ignore[attr-defined]
                    m.met_awake, m.weekday.away_probability, m.weekend.away_probability,
                    m.weekday.day_to_day_sd_h, m.weekend.day_to_day_sd_h,
                    m.home_office_days / 5.0, m.count[0], m.count[1],
                ])  # fmt: skip
                names.append(f"{h.name}.{m.role}")
        shares = np.array([h.share for h in home.households], dtype=np.float64)
        cdf = np.cumsum(shares) / shares.sum()
        cdf[int(np.flatnonzero(shares > 0)[-1]) :] = 1.0
        return cls(
            params=np.array(rows, dtype=np.float64),
            first=np.array(first, dtype=np.int64),
            n_roles=np.array(n_roles, dtype=np.int64),
            type_cdf=cdf,
            consent_share=np.array([h.consent_share for h in home.households]),
            role_names=tuple(names),
            type_names=tuple(h.name for h in home.households),
        )


@njit(cache=True, inline="always", error_model="numpy")
def ordered_day(wake: float, leave: float, back: float, sleep: float, goes_out: bool):
    """A day's four times made consistent: wake < leave <= return < sleep < wake + 24.

    Wake-up is kept within the day; each later time is pushed at least
    :data:`MIN_GAP_H` past the one before and bedtime at most 23.5 h after waking. A day
    without going out has leave = return (an empty absence) right after waking.
    """
    wake = min(max(wake, 0.0), 24.0 - MIN_GAP_H)
    if goes_out:
        leave = max(leave, wake + MIN_GAP_H)
        back = max(back, leave + MIN_GAP_H)
    else:
        leave = wake + MIN_GAP_H
        back = leave
    sleep = min(max(sleep, back + MIN_GAP_H), wake + 23.5)
    if back > sleep:  # a very late return squeezed by the 23.5 h cap: shorten the absence
        back = sleep - MIN_GAP_H
        leave = min(leave, back)
    return wake, leave, back, sleep


@njit(cache=True, error_model="numpy")
def fill_household(
    e: int,
    htype: int,
    params: np.ndarray,
    first: np.ndarray,
    n_roles: np.ndarray,
    bedrooms: np.ndarray,
    u: np.ndarray,
    z: np.ndarray,
    active: np.ndarray,
    role: np.ndarray,
    bed: np.ndarray,
    traits: np.ndarray,
    usual: np.ndarray,
) -> int:
    """Write home ``e``'s household of type ``htype`` into the slot arrays; its size.

    ``u`` holds a uniform per member group (its count, uniform over the group's range),
    ``z`` ``(MAX_RESIDENTS, N_NORMALS)`` standard normals, one row per resident slot.
    Residents sleep in the bedrooms in turn.
    """
    n_slots = active.shape[1]
    slot = 0
    for g in range(n_roles[htype]):
        k = first[htype] + g
        p = params[k]
        lo, hi = p[C_LO], p[C_HI]
        count = int(lo + np.floor(u[g] * (hi - lo + 1.0)))
        for _ in range(count):
            if slot >= n_slots:
                break
            x = np.empty(N_NORMALS)
            for j in range(N_NORMALS):
                v = p[j] + p[N_NORMALS + j] * z[slot, j]
                x[j] = min(max(v, p[2 * N_NORMALS + j]), p[3 * N_NORMALS + j])
            for d in range(2):  # weekday, weekend
                w, lv, bk, sl = ordered_day(
                    x[4 * d], x[4 * d + 1], x[4 * d + 2], x[4 * d + 3], True
                )
                usual[4 * d, e, slot] = w
                usual[4 * d + 1, e, slot] = lv
                usual[4 * d + 2, e, slot] = bk
                usual[4 * d + 3, e, slot] = sl
            traits[T_PREF, e, slot] = x[8]
            traits[T_SLEEP, e, slot] = x[9]
            traits[T_TOL, e, slot] = x[10]
            traits[T_LUX, e, slot] = x[11]
            traits[T_CLO, e, slot] = x[12]
            traits[T_MET, e, slot] = p[C_MET]
            active[e, slot] = 1
            role[e, slot] = k
            bed[e, slot] = bedrooms[slot % bedrooms.shape[0]]
            slot += 1
    for s in range(slot, n_slots):
        active[e, s] = 0
        role[e, s] = -1
    return slot


def draw_trips(
    rng: np.random.Generator, per_year: float, days: tuple[float, float, float, float],
    horizon_s: float, day0_s: float,
) -> list[tuple[float, float]]:  # fmt: skip
    """A household's trips away over the horizon: ``(leave_s, back_s)`` in run time.

    Trips start as a Poisson process of ``per_year`` (a first trip may already be under
    way at the start), leave in the morning (08:00-13:00) and come back in the
    afternoon or evening (14:00-21:00) after ``days`` (mean, sd, low, high) days.
    ``day0_s`` is the run time of the first local midnight at or before the start.
    """
    trips: list[tuple[float, float]] = []
    if per_year <= 0:
        return trips
    mean, sd, low, high = days
    rate_per_s = per_year / (365.0 * 86400.0)
    # Start the process one longest trip before the run, so trips under way at the
    # start are as likely as at any other time.
    t = day0_s - high * 86400.0
    while True:
        t += rng.exponential(1.0 / rate_per_s)
        if t >= horizon_s:
            return trips
        day = np.floor((t - day0_s) / 86400.0)
        leave = day0_s + day * 86400.0 + rng.uniform(8.0, 13.0) * 3600.0
        if trips and leave <= trips[-1][1]:  # back from the last trip that afternoon
            day += 1.0
            leave += 86400.0
        length = float(np.clip(mean + sd * rng.standard_normal(), low, high))
        back = day0_s + (day + round(length)) * 86400.0 + rng.uniform(14.0, 21.0) * 3600.0
        back = max(back, leave + 3600.0)
        if back > 0.0:
            trips.append((float(leave), float(back)))
        t = max(t, back)  # the next trip starts after this one
