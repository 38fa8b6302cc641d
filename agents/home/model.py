"""The residents of a World's homes as one Mesa model driven by SimPy events.

One :class:`HomesModel` holds the residents of every copy of a World (each copy is one
home of the neighbourhood) as Mesa agents, and runs the homes' discrete events on the
World's SimPy clock:

* at reset, every home draws its household from its own generators: type, consent,
  members with their preferences and usual routines (:mod:`agents.home.population`),
  and its trips away over the horizon;
* every day, a second before local midnight, one event draws the coming day's routine
  of every resident of every home in one Numba call (:func:`agents.home.kernels.draw_days`)
  and collects the day's data;
* trips: a household leaves on its trip and comes back at their times (one pending
  event per home at a time); while away, nobody is home.

Resident state lives in the World's :class:`~agents.home.slots.ResidentSlots`; the
per-step update is the venue's fused kernel. Mesa's random generator is never used for
the dynamics (each home's draws come from its own streams), so a home runs the same
whether it is alone or one of thousands.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

import mesa
import numpy as np
import simpy

from agents.home.agents import Resident
from agents.home.kernels import draw_days
from agents.home.population import (
    N_NORMALS,
    N_U,
    RoleTable,
    draw_trips,
    fill_household,
)
from agents.home.rng import draw_key
from agents.home.slots import (
    A_AWAKE,
    A_DISCOMFORT,
    A_OVERRIDES,
    A_PPD,
    A_PRESENT,
    A_SAT,
    T_PREF,
    T_SLEEP,
    T_TOL,
    ResidentSlots,
)
from agents.kernels import ASLEEP, AWAKE
from twin.calendar import Calendar
from twin.scenario import Scenario
from twin.scenario.home import MAX_RESIDENTS

#: Satisfaction residents start a run with.
INITIAL_SATISFACTION = 0.8
#: The day's routines are drawn this long before local midnight (s), so the draw is
#: processed with the last step of the day before and the first step of the day uses it.
DRAW_LEAD_S = 1.0


class HomesModel(mesa.Model):
    """Households and residents of every home of a World, on its SimPy clock.

    Args:
        scenario: a home scenario.
        sim: the World's SimPy environment (new at every reset).
        slots: the World's resident arrays (one row per home), written here.
        streams: each home's random streams (``agents`` draws the household, ``events``
            its routines' key and its trips).
        bedrooms: zone indices of the bedrooms (residents sleep in them in turn).
        horizon_s: run time at which the run ends (trips are drawn up to it).
    """

    def __init__(
        self,
        scenario: Scenario,
        sim: simpy.Environment,
        slots: ResidentSlots,
        streams: Sequence[Mapping[str, np.random.Generator]],
        bedrooms: np.ndarray,
        horizon_s: float,
    ) -> None:
        # Mesa's generator decides nothing here (every draw comes from the homes' own
        # streams); a constant seed keeps it from depending on anything.
        super().__init__(rng=0)
        assert scenario.home is not None
        self.scenario = scenario
        self.home = home = scenario.home
        self.sim = sim
        self.slots = slots
        self.table = table = RoleTable.of(home)
        self.calendar = Calendar(scenario.simulation.start)
        self.n_homes = len(streams)
        self._day = 0
        self._trips: list[list[tuple[float, float]]] = []
        day0 = self.calendar.day_start(0)
        for e, st in enumerate(streams):
            rng = st["agents"]
            u = rng.random(N_U)
            z = rng.standard_normal((MAX_RESIDENTS, N_NORMALS))
            htype = int(np.searchsorted(table.type_cdf, u[0], side="right"))
            slots.household[e] = htype
            slots.consent[e] = 1 if u[1] < table.consent_share[htype] else 0
            size = fill_household(
                e, htype, table.params, table.first, table.n_roles, bedrooms, u[2:], z,
                slots.active, slots.role, slots.bed, slots.traits, slots.usual,
            )  # fmt: skip
            slots.size[e] = size
            slots.key_step[e] = draw_key(rng)
            ev = st["events"]
            slots.key_day[e] = draw_key(ev)
            h = home.households[htype]
            d = h.trip_days
            trips = draw_trips(ev, h.trips_per_year, (d.mean, d.sd, d.low, d.high), horizon_s, day0)
            self._trips.append(trips)
            for r in range(size):
                k = int(slots.role[e, r])
                Resident(self, e, r, table.type_names[htype], table.role_names[k])
            self._next_trip(e, 0)
        slots.sat[...] = np.where(slots.active == 1, INITIAL_SATISFACTION, 0.0)
        self.datacollector = mesa.DataCollector(
            model_reporters={
                "residents_home": lambda m: int(np.isin(m.slots.state, (AWAKE, ASLEEP)).sum()),
                "households_away": lambda m: int(m.slots.away.sum()),
                "mean_satisfaction": lambda m: m.mean_satisfaction(),
            }
        )
        self._draw_day(0)
        self._schedule_midnight()

    # ------------------------------------------------------------------ routines
    def _draw_day(self, day: int) -> None:
        s = self.slots
        weekend = self.calendar.weekday(day) >= 5
        draw_days(day, weekend, s.key_day, self.table.params, s.active, s.role, s.usual, s.today)

    def _schedule_midnight(self) -> None:
        at = self.calendar.day_start(self._day + 1) - DRAW_LEAD_S
        self.sim.timeout(max(at - self.sim.now, 0.0)).callbacks.append(self._midnight)

    def _midnight(self, _event: simpy.Event) -> None:
        """Collect the day's data, then draw the coming day's routines of every home."""
        self.datacollector.collect(self)
        self._day += 1
        self._draw_day(self._day)
        self._schedule_midnight()

    # ------------------------------------------------------------------ trips
    def _next_trip(self, e: int, i: int) -> None:
        """Schedule home ``e``'s trip ``i`` (the household leaves, then comes back)."""
        trips = self._trips[e]
        if i >= len(trips):
            return
        leave, back = trips[i]
        now = self.sim.now
        if leave <= now:  # under way when the run starts
            self.slots.away[e] = 1
            self.sim.timeout(back - now).callbacks.append(partial(self._back, e, i))
        else:
            self.sim.timeout(leave - now).callbacks.append(partial(self._leave, e, i))

    def _leave(self, e: int, i: int, _event: simpy.Event) -> None:
        self.slots.away[e] = 1
        back = self._trips[e][i][1]
        self.sim.timeout(back - self.sim.now).callbacks.append(partial(self._back, e, i))

    def _back(self, e: int, i: int, _event: simpy.Event) -> None:
        self.slots.away[e] = 0
        self._next_trip(e, i + 1)

    def trips(self, e: int) -> list[tuple[float, float]]:
        """Home ``e``'s trips ``(leave_s, back_s)`` over the run."""
        return list(self._trips[e])

    # ------------------------------------------------------------------ results
    def mean_satisfaction(self) -> float:
        """Mean current satisfaction of all residents."""
        active = self.slots.active == 1
        return float(self.slots.sat[active].mean()) if active.any() else float("nan")

    def residents_of(self, e: int) -> list[Resident]:
        """Home ``e``'s residents, in slot order."""
        found = self.agents.select(lambda a: a.home == e)
        return sorted(found, key=lambda a: a.slot)

    def records(self, e: int) -> list[dict[str, Any]]:
        """One pseudonymous record per resident of home ``e`` (what they experienced)."""
        s = self.slots
        out = []
        htype = int(s.household[e])
        for r in range(MAX_RESIDENTS):
            if s.active[e, r] == 0:
                continue
            present = float(s.acc[A_PRESENT, e, r])
            out.append({
                "resident": f"H{e:05d}-R{r}",
                "home": e,
                "household": self.table.type_names[htype],
                "role": self.table.role_names[int(s.role[e, r])].split(".", 1)[1],
                "consent": bool(s.consent[e]),
                "pref_temp_c": round(float(s.traits[T_PREF, e, r]), 3),
                "sleep_temp_c": round(float(s.traits[T_PREF, e, r] + s.traits[T_SLEEP, e, r]), 3),
                "temp_tolerance_k": round(float(s.traits[T_TOL, e, r]), 3),
                "present_h": round(present, 4),
                "mean_satisfaction": (
                    float(s.acc[A_SAT, e, r]) / present if present > 0 else float(s.sat[e, r])
                ),
                "mean_ppd_awake": (
                    float(s.acc[A_PPD, e, r] / s.acc[A_AWAKE, e, r]) if s.acc[A_AWAKE, e, r] > 0
                    else None
                ),
                "discomfort_kh": float(s.acc[A_DISCOMFORT, e, r]),
                "overrides": int(s.acc[A_OVERRIDES, e, r]),
            })  # fmt: skip
        return out
