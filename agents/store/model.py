"""The store as a Mesa model driven by SimPy events.

One :class:`StoreModel` is one store in one copy of the World. It owns the shoppers
(Mesa agents on the floor plan's walkable cells) and runs the store's discrete events on
the World's SimPy clock:

* **arrivals**: at every local midnight (and at the start of a run) the day's arrivals
  are drawn, a non-homogeneous Poisson process by hour and weekday
  (:meth:`twin.scenario.Store.arrival_rate`), each shopper's segment from that hour's
  mix and their profile from the segment (:func:`agents.store.population.draw_shoppers`,
  one call per day); one pending event walks through the day's arrivals in time order.
  A shopper who finds the store full (``max_shoppers``) is turned away;
* **checkout**: a shopper the kernel brings to the checkout joins the shortest of the
  :class:`~agents.store.checkout.Lanes` at the exact time they got there, or balks; a
  queued shopper reneges when their patience runs out; service takes a base time plus a
  time per item;
* **exits**: leaving (paid, with an empty basket, balked or reneged) frees the slot,
  removes the agent and keeps one row of outcomes (:data:`EXIT_COLUMNS`) for the KPIs.

Shopper state lives in the World's :class:`~agents.store.slots.ShopperSlots` (row
``env_index``); the Numba kernel moves the shoppers between events.
"""

from __future__ import annotations

import math
from functools import partial
from typing import Any

import mesa
import numpy as np
import simpy

from agents.store.agents import Shopper
from agents.store.checkout import Lanes
from agents.store.population import PR_BALK, PR_PATIENCE, draw_shoppers
from agents.store.slots import EMPTY, PAYING, QUEUED, ShopperSlots, write_arrival
from agents.store.tables import StoreTables
from twin.calendar import Calendar
from twin.scenario import Scenario

# Outcomes of a trip.
PAID, NO_PURCHASE, BALKED, RENEGED = range(4)
OUTCOMES = ("paid", "no_purchase", "balked", "reneged")

#: Columns of the float table of exits (masks live in the int table, :data:`MASK_COLUMNS`).
EXIT_COLUMNS = (
    "shopper", "segment", "consent", "arrival_s", "ready_s", "exit_s", "queue_wait_min",
    "items", "spend", "outcome", "left_early", "n_planned", "n_found", "mean_comfort",
    "exit_satisfaction", "mean_ppd", "disclosed_h",
)  # fmt: skip
MASK_COLUMNS = ("planned", "bought", "favourites", "seen")
_X = {name: i for i, name in enumerate(EXIT_COLUMNS)}


def exit_satisfaction(
    mean_comfort: float, found: float, wait_min: float, found_weight: float, tolerance: float
) -> float:
    """A trip's satisfaction at the door: ambience and finding what they came for, less waiting.

    ``((1 - found_weight) * mean_comfort + found_weight * found) * exp(-excess / tolerance)``
    where ``excess`` is the queue wait beyond ``tolerance`` minutes.
    """
    base = (1.0 - found_weight) * mean_comfort + found_weight * found
    return base * math.exp(-max(0.0, wait_min - tolerance) / tolerance)


class StoreModel(mesa.Model):
    """Shoppers, lanes and the store's operations in one copy of the World."""

    def __init__(
        self,
        scenario: Scenario,
        sim: simpy.Environment,
        slots: ShopperSlots,
        env_index: int,
        tables: StoreTables,
        events_rng: np.random.Generator,
        agents_rng: np.random.Generator,
        preference_spread: float = 1.0,
    ) -> None:
        super().__init__(rng=agents_rng)
        assert scenario.store is not None
        self.scenario = scenario
        self.store = store = scenario.store
        self.sim = sim
        self.slots = slots
        self.env_index = env_index
        self.tables = tables
        self.events_rng = events_rng
        self.calendar = Calendar(scenario.simulation.start)
        self._view = slots.arrays()
        self._params = tables.segments.params.copy()
        if preference_spread != 1.0:  # domain randomisation widens stated preferences
            from agents.store.population import N_PREFS, PR_CCT, PR_LUX, PR_TEMP

            for k in (PR_TEMP, PR_LUX, PR_CCT):
                self._params[:, N_PREFS + k] *= preference_spread
        plan = tables.plan
        self.entrance, self.checkout = plan.entrance, plan.checkout
        self.entrance_zone = int(tables.geometry.place_zone[plan.entrance])
        self.segment_names = [s.name for s in store.segments]
        self.free = list(range(slots.stage.shape[1]))[::-1]  # pop() gives the lowest slot
        self.lanes = Lanes(sim, store.checkout.lanes, self._service_time, self._paid)
        self.shoppers: dict[int, Shopper] = {}
        self._lane_of: dict[int, int] = {}
        self._queued_at: dict[int, float] = {}
        self._wait_of: dict[int, float] = {}
        self._next_id = 0
        self._day = 0
        self.arrivals = 0
        self.turned_away = 0
        self.step_abandoned = 0.0  # basket value lost to balking and reneging this step
        self._exits = np.zeros((256, len(EXIT_COLUMNS)))
        self._exit_masks = np.zeros((256, len(MASK_COLUMNS)), np.int64)
        self._exit_shown = np.zeros((256, tables.segments.n_categories))
        self.n_exits = 0
        self._space: Any = None
        self.datacollector = mesa.DataCollector(
            model_reporters={
                "in_store": lambda m: len(m.shoppers),
                "queue": lambda m: m.lanes.waiting(),
                "exits": lambda m: m.n_exits,
            }
        )
        sim.timeout(0.0).callbacks.append(self._midnight)

    # ------------------------------------------------------------------ arrivals
    def _midnight(self, _event: simpy.Event) -> None:
        """Daily: collect data, draw the day's arrivals, schedule the next midnight."""
        day = self._day
        self.datacollector.collect(self)
        self._draw_day(day)
        self._day = day + 1
        nxt = self.calendar.day_start(day + 1) - self.sim.now
        self.sim.timeout(nxt).callbacks.append(self._midnight)

    def _draw_day(self, day: int) -> None:
        """The day's arrival times (Poisson per hour, uniform within it) and shoppers."""
        rng, store, seg = self.events_rng, self.store, self.tables.segments
        weekday = self.calendar.weekday(day)
        rates = np.array([store.arrival_rate(weekday, h) for h in range(24)])
        counts = rng.poisson(rates)
        n = int(counts.sum())
        if n == 0:
            return
        hours = np.repeat(np.arange(24), counts)
        times = self.calendar.day_start(day) + (hours + rng.random(n)) * 3600.0
        order = np.argsort(times, kind="stable")
        times, hours = times[order], hours[order]
        keep = times >= self.sim.now
        times, hours = times[keep], hours[keep]
        n = times.size
        if n == 0:
            return
        z = rng.standard_normal((n, seg.n_normals))
        u = rng.random((n, seg.n_uniforms))
        day_table: dict[str, np.ndarray] = {
            "time": times,
            "segment": np.empty(n, np.int64),
            "prefs": np.empty((n, self._view.prefs.shape[0])),
            "liking": np.empty((n, seg.n_genres)),
            "affinity": np.empty((n, seg.n_categories)),
            "plan": np.empty(n, np.int64),
            "favourites": np.empty(n, np.int64),
            "consent": np.empty(n, np.int8),
        }
        draw_shoppers(
            self._params, seg.hour_cdf, hours, z, u, day_table["segment"], day_table["prefs"],
            day_table["liking"], day_table["affinity"], day_table["plan"],
            day_table["favourites"], day_table["consent"], store.favourites_per_shopper,
        )  # fmt: skip
        self._schedule_arrival(day_table, 0)

    def _schedule_arrival(self, day: dict[str, np.ndarray], i: int) -> None:
        delay = float(day["time"][i]) - self.sim.now
        self.sim.timeout(delay).callbacks.append(partial(self._arrive, day, i))

    def _arrive(self, day: dict[str, np.ndarray], i: int, _event: simpy.Event) -> None:
        if i + 1 < day["time"].size:
            self._schedule_arrival(day, i + 1)
        self.arrivals += 1
        if not self.free:
            self.turned_away += 1
            return
        m = self.free.pop()
        e, s = self.env_index, self.slots
        write_arrival(
            self._view, e, m, self.entrance, self.entrance_zone, day["prefs"][i],
            day["liking"][i], day["affinity"][i], int(day["plan"][i]),
            int(day["favourites"][i]), int(day["consent"][i]),
            self.store.satisfaction.initial,
        )  # fmt: skip
        s.planned[e, m] = day["plan"][i]
        segment = int(day["segment"][i])
        s.segment[e, m] = segment
        s.arrival_s[e, m] = self.sim.now
        s.shopper_id[e, m] = sid = self._next_id
        self._next_id += 1
        self.shoppers[m] = Shopper(self, m, sid, self.segment_names[segment])

    # ------------------------------------------------------------------ checkout
    def take_ready(self) -> None:
        """Shoppers the kernel brought to the checkout this step go to the lanes.

        Each joins (or balks) at the exact time they got there within the step; until
        then they wait in the checkout zone (stage QUEUED).
        """
        e, s = self.env_index, self.slots
        for k in range(int(s.n_ready[e])):
            m = int(s.ready[e, k])
            s.stage[e, m] = QUEUED
            delay = float(s.ready_s[e, m]) - self.sim.now
            self.sim.timeout(max(delay, 0.0)).callbacks.append(partial(self._join, m))

    def _join(self, m: int, _event: simpy.Event) -> None:
        e, s = self.env_index, self.slots
        if s.items[e, m] == 0:
            self._exit(m, NO_PURCHASE, 0.0)
            return
        lane, length = self.lanes.shortest()
        if length >= s.prefs[PR_BALK, e, m]:
            self._exit(m, BALKED, 0.0)
            return
        self._lane_of[m] = lane
        self._queued_at[m] = self.sim.now
        patience = float(s.prefs[PR_PATIENCE, e, m]) * 60.0
        self.sim.timeout(patience).callbacks.append(partial(self._renege, m, self.sim.now))
        self.lanes.join(lane, m)

    def _renege(self, m: int, queued_at: float, _event: simpy.Event) -> None:
        if self._queued_at.get(m) != queued_at:
            return  # served already (or a later shopper in the same slot)
        if self.lanes.leave(self._lane_of[m], m):
            wait = (self.sim.now - queued_at) / 60.0
            del self._queued_at[m], self._lane_of[m]
            self._exit(m, RENEGED, wait)

    def _service_time(self, lane: int, m: int) -> float:
        """A service starts: the time it takes (s)."""
        e, s = self.env_index, self.slots
        s.stage[e, m] = PAYING
        self._wait_of[m] = (self.sim.now - self._queued_at.pop(m)) / 60.0
        base, per_item = self.tables.service.T  # rows: mean, sd, low, high
        z = self.events_rng.standard_normal(2)
        t_base = min(max(base[0] + base[1] * z[0], base[2]), base[3])
        t_item = min(max(per_item[0] + per_item[1] * z[1], per_item[2]), per_item[3])
        return float(t_base + t_item * s.items[e, m])

    def _paid(self, lane: int, m: int) -> None:
        del self._lane_of[m]
        self._exit(m, PAID, self._wait_of.pop(m))

    # ------------------------------------------------------------------ exits
    def _exit(self, m: int, outcome: int, wait_min: float) -> None:
        """Keep the trip's outcomes, free the slot and remove the agent."""
        e, s = self.env_index, self.slots
        if outcome in (BALKED, RENEGED):
            self.step_abandoned += float(s.spend[e, m])
        row = self.n_exits
        if row == self._exits.shape[0]:
            self._exits = np.concatenate([self._exits, np.zeros_like(self._exits)])
            self._exit_masks = np.concatenate([self._exit_masks, np.zeros_like(self._exit_masks)])
            self._exit_shown = np.concatenate([self._exit_shown, np.zeros_like(self._exit_shown)])
        planned, bought = int(s.planned[e, m]), int(s.bought[e, m])
        n_planned = bin(planned).count("1")
        n_found = bin(planned & bought).count("1") if outcome == PAID else 0
        in_store = float(s.acc[1, e, m])
        mean_comfort = float(s.acc[0, e, m]) / in_store if in_store > 0 else float(s.sat[e, m])
        sat = self.store.satisfaction
        x = self._exits[row]
        x[:] = (
            s.shopper_id[e, m], s.segment[e, m], s.consent[e, m], s.arrival_s[e, m],
            s.ready_s[e, m], self.sim.now, wait_min, s.items[e, m],
            s.spend[e, m] if outcome == PAID else 0.0, outcome, s.left_early[e, m],
            n_planned, n_found, mean_comfort,
            exit_satisfaction(
                mean_comfort, n_found / max(n_planned, 1), wait_min, sat.found_weight,
                sat.wait_tolerance_min,
            ),
            float(s.acc[2, e, m]) / in_store if in_store > 0 else np.nan,
            s.acc[3, e, m],
        )  # fmt: skip
        self._exit_masks[row] = (planned, bought if outcome == PAID else 0,
                                 s.favourites[e, m], s.seen[e, m])  # fmt: skip
        self._exit_shown[row] = s.shown[:, e, m]
        self.n_exits += 1
        s.stage[e, m] = EMPTY
        s.segment[e, m] = -1
        s.shopper_id[e, m] = -1
        self.free.append(m)
        self.shoppers.pop(m).remove()

    def exit_table(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(exits, masks, shown)`` of every shopper who left so far (views)."""
        n = self.n_exits
        return self._exits[:n], self._exit_masks[:n], self._exit_shown[:n]

    def records(self) -> list[dict[str, Any]]:
        """One pseudonymous record per shopper who left (no preferences, no names)."""
        exits, masks, shown = self.exit_table()
        names = self.store.category_names
        total = shown.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = shown / total[:, None]
            entropy = -np.where(share > 0, share * np.log(share), 0.0).sum(axis=1)
        entropy = np.where(total > 0, entropy / np.log(len(names)), np.nan)
        out = []
        rows = zip(exits.tolist(), masks.tolist(), entropy.tolist(), total.tolist(), strict=True)
        for x, mk, h, seen in rows:
            r = dict(zip(EXIT_COLUMNS, x, strict=True))
            out.append({
                "shopper": f"S{self.env_index:02d}-{int(r['shopper']):06d}",
                "segment": self.segment_names[int(r["segment"])],
                "consent": bool(r["consent"]),
                "arrival_h": round(r["arrival_s"] / 3600.0, 4),
                "exit_h": round(r["exit_s"] / 3600.0, 4),
                "dwell_min": round((r["exit_s"] - r["arrival_s"]) / 60.0, 3),
                "queue_wait_min": round(r["queue_wait_min"], 3),
                "outcome": OUTCOMES[int(r["outcome"])],
                "left_early": bool(r["left_early"]),
                "items": int(r["items"]),
                "spend": round(r["spend"], 2),
                "found_share": r["n_found"] / max(r["n_planned"], 1.0),
                "mean_comfort": r["mean_comfort"],
                "exit_satisfaction": r["exit_satisfaction"],
                "mean_ppd": r["mean_ppd"],
                "bought": ";".join(n for i, n in enumerate(names) if mk[1] >> i & 1),
                "promotions_noticed": int(seen),
                "exposure_entropy": h,
            })  # fmt: skip
        return out

    # ------------------------------------------------------------------ Mesa space
    @property
    def space(self) -> Any:
        """The floor plan as a Mesa space (built on first use: runs rarely need it)."""
        if self._space is None:
            self._space = self.tables.plan.to_space(self.random)
        return self._space

    def sync_cells(self) -> None:
        """Stand every shopper on a cell of the place they are at (for plots and views).

        The cell follows from the shopper's id, not a random draw: syncing (for a view)
        must not change what the simulation draws next.
        """
        from agents.store.floorplan import cell_at

        e, s, plan = self.env_index, self.slots, self.tables.plan
        for m, agent in self.shoppers.items():
            cells = plan.place_cells[int(s.place[e, m])]
            r, c = cells[agent.shopper_id % len(cells)]
            agent.cell = cell_at(self.space, int(r), int(c))
