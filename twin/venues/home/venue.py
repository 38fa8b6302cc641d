"""The home venue: a neighbourhood of homes with their households, one home per copy.

Each copy of a home World is one home. :meth:`HomeVenue.copy_building` draws it from the
scenario's building stock (its own ``stock`` stream), around the template home of the
scenario's zones: ``living`` zones are where residents are awake, ``bedroom`` zones where
they sleep (in turn), other zones stay empty. The residents of all copies are one
:class:`agents.home.model.HomesModel` (Mesa agents, SimPy events) writing the shared
:class:`agents.home.slots.ResidentSlots`; :func:`twin.venues.home.kernel.home_step` is
the fused step, including the command arbitration of the World's priority arrays (the
venue resolves them in its kernel: thousands of homes, one call).

A ``twin run`` of a home scenario is the whole neighbourhood (``home.n_homes`` copies
under one sky, :meth:`HomeVenue.run_copies`), summarised by :meth:`HomeVenue.run_kpis`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

import numpy as np

from agents.home.kernels import (
    N_HOME_PARAMS,
    Q_A_DEC,
    Q_A_INC,
    Q_ASLEEP,
    Q_B_DEC,
    Q_B_INC,
    Q_PREF_CCT,
    Q_SP_MAX,
    Q_SP_MIN,
    Q_STEP,
)
from agents.home.model import HomesModel
from agents.home.slots import (
    A_AWAKE,
    A_DISCOMFORT,
    A_PPD,
    A_PPD_ASLEEP,
    A_PRESENT,
    A_SAT,
    ResidentSlots,
)
from agents.kernels import (
    ASLEEP,
    AWAKE,
    P_CCT_TOL,
    P_FEEDBACK_DECAY_H,
    P_LUX_TOL,
    P_MEMORY_H,
    P_RH,
    P_VR,
    P_W_C,
    P_W_L,
    P_W_T,
)
from twin.building import Building, build_building
from twin.errors import ScenarioError
from twin.venues.base import Streams, Venue
from twin.venues.home.kernel import (
    H_DISCLOSED_H,
    H_EVENTS,
    H_HOME_H,
    H_LATE_H,
    H_OVERRIDES,
    N_HACC,
    Arbitration,
    HomeState,
    StepInputs,
    home_step,
    home_step_parallel,
)

if TYPE_CHECKING:
    from twin.physics.passes import StepWeather, ZoneCommands
    from twin.scenario import Scenario
    from twin.venues.home.task import HomeTask
    from twin.world import World

#: From this many homes on, the step runs its blocks of homes on all cores.
PARALLEL_FROM = 1024
_OPPOSITE = {"N": "S", "S": "N", "E": "W", "W": "E"}
# Stock draws: standard normals in this order, then uniforms for construction, orientation.
_STOCK_NORMALS = (
    "floor_area_m2", "u_wall_w_m2k", "u_roof_w_m2k", "u_window_w_m2k", "window_share",
    "air_changes_per_h", "heating_capacity_w_m2", "cooling_capacity_w_m2",
)  # fmt: skip


class HomeContext(NamedTuple):
    """What a home's thermostat knows beside its sensors, for the observation encoder.

    Arrays ``(ne, nz)`` unless noted. The consent rule of the encoder decides what the
    policy may see of the learned routine.
    """

    heat_source: np.ndarray  # int8 which level commands the heating set-point (SOURCES)
    consent: np.ndarray  # (ne,) int8 the household lets the thermostat learn its routine
    program: np.ndarray  # (4,) the program's heat, cool, lux and CCT now
    is_bedroom: np.ndarray  # (nz,) 1 for the night zones


def draw_home(scenario: Scenario, rng: np.random.Generator) -> Scenario:
    """The scenario with its template zones turned into one home drawn from the stock.

    Every zone's floor, wall and roof area scale with the home's floor area; windows are
    ``window_share`` of each zone's floor area, facing the drawn orientation (night
    zones the opposite way); U-values, construction, air changes and the heat pump's
    heating and cooling capacity are the home's.
    """
    home = scenario.home
    assert home is not None
    stock = home.stock
    z = rng.standard_normal(len(_STOCK_NORMALS))
    u = rng.random(2)
    x = {}
    for k, name in enumerate(_STOCK_NORMALS):
        d = getattr(stock, name)
        x[name] = float(np.clip(d.mean + d.sd * z[k], d.low, d.high))

    def pick(shares: Mapping[Any, float], v: float) -> str:
        names = list(shares)
        cdf = np.cumsum([shares[n] for n in names])
        return names[min(int(np.searchsorted(cdf / cdf[-1], v, side="right")), len(names) - 1)]

    construction = pick(stock.construction, u[0])
    facing = pick(stock.orientation, u[1])
    template_area = sum(g.floor_area_m2 * g.count for g in scenario.zones)
    scale = x["floor_area_m2"] / template_area
    zones = []
    for g in scenario.zones:
        area = g.floor_area_m2 * scale
        zones.append(
            g.model_copy(
                update={
                    "floor_area_m2": area,
                    "exterior_wall_area_m2": g.exterior_wall_area_m2 * scale,
                    "roof_area_m2": g.roof_area_m2 * scale,
                    "window_area_m2": x["window_share"] * area,
                    "orientation": (_OPPOSITE[facing] if g.kind == "bedroom" else facing,),
                    "u_wall_w_m2k": x["u_wall_w_m2k"],
                    "u_roof_w_m2k": x["u_roof_w_m2k"],
                    "u_window_w_m2k": x["u_window_w_m2k"],
                    "construction": construction,
                    "air_changes_per_h": x["air_changes_per_h"],
                    "heating_capacity_w_m2": x["heating_capacity_w_m2"],
                    "cooling_capacity_w_m2": x["cooling_capacity_w_m2"],
                }
            )
        )
    return scenario.model_copy(update={"zones": tuple(zones)})


class HomeVenue(Venue):
    """Homes of a neighbourhood and their residents, one home per copy of a World."""

    name = "home"
    report = "twin.venues.home.report"
    arbitrated = True
    arbitration_in_kernel = True
    zone_layout = True
    headline_kpis: ClassVar[tuple[str, ...]] = (
        "energy_kwh", "discomfort_kh", "mean_ppd", "mean_satisfaction", "overrides_per_home_week",
        "preheat_late_min", "peak_kw", "cost", "fairness_gap", "personal_data_used",
        "band_discomfort_kh", "mean_ppd_asleep",
    )  # fmt: skip

    def __init__(self, world: World) -> None:
        super().__init__(world)
        s = world.scenario
        if s.home is None:
            raise ScenarioError(f"scenario '{s.name}': venue = 'home' needs a [home] section")
        b = world.building
        self.living = int(b.zones_of_kind("living")[0])
        self.bedrooms = b.zones_of_kind("bedroom")
        self.is_bedroom = np.zeros(world.nz, np.int8)
        self.is_bedroom[self.bedrooms] = 1
        home, c = s.home, s.comfort
        sat, ov = home.satisfaction, home.overrides
        p = np.zeros(N_HOME_PARAMS)
        p[[P_MEMORY_H, P_W_T, P_W_L, P_W_C, P_LUX_TOL, P_CCT_TOL]] = (
            sat.memory_h, sat.weight_thermal, sat.weight_light, sat.weight_cct,
            sat.lux_tolerance_rel, sat.cct_tolerance_k,
        )  # fmt: skip
        p[[P_RH, P_VR, P_FEEDBACK_DECAY_H]] = (c.relative_humidity_pct, c.air_speed_m_s, 1.0)
        p[[Q_A_INC, Q_B_INC, Q_A_DEC, Q_B_DEC, Q_ASLEEP, Q_STEP]] = (
            ov.a_increase, ov.b_increase, ov.a_decrease, ov.b_decrease, ov.asleep_log_odds,
            ov.step_k,
        )  # fmt: skip
        p[[Q_SP_MIN, Q_SP_MAX, Q_PREF_CCT]] = (
            s.control.setpoint_min_c,
            s.control.setpoint_max_c,
            s.thermostat.light_cct_k,
        )
        self.params = p
        self.household_names = tuple(h.name for h in home.households)

    # ------------------------------------------------------------------ the run
    @classmethod
    def run_copies(cls, scenario: Scenario) -> int:
        """A ``twin run`` simulates the whole neighbourhood: ``home.n_homes`` copies."""
        return scenario.home.n_homes if scenario.home is not None else 1

    def copy_building(self, e: int, streams: Streams) -> Building:
        """Home ``e``: the template home with this copy's draw from the stock."""
        return build_building(draw_home(self.world.scenario, streams["stock"]))

    # ------------------------------------------------------------------ reset / step
    def reset(self, streams: Sequence[Streams], variants: Sequence[Mapping[str, float]]) -> None:
        """New households in every home, on the World's new clock."""
        w, ne, nz = self.world, self.world.n_envs, self.world.nz
        self.slots = ResidentSlots.allocate(ne)
        self.model = HomesModel(
            w.scenario, w.sim, self.slots, streams, self.bedrooms, w.n_steps * w.dt
        )
        self.residents = self.slots.arrays()
        assert w.arbitration is not None
        a = w.arbitration
        names = ("heat_setpoint_c", "cool_setpoint_c", "light_lux", "light_cct_k")
        self.arb = Arbitration(
            *(a[n].slots for n in names), *(a[n].default for n in names),
            *(w.command_source[n] for n in names),
        )  # fmt: skip
        self.state = HomeState(
            held=np.zeros((ne, nz), np.bool_),
            n_over=np.zeros((ne, nz), np.int64),
            pre=np.zeros((3, ne)),
            hacc=np.zeros((N_HACC, ne)),
            disclosed=np.zeros(ne, np.bool_),
        )
        th = w.scenario.thermostat
        self._programs = (
            np.array([th.setback_heating_c, th.setback_cooling_c, 0.0, th.light_cct_k]),
            np.array([th.heating_setpoint_c, th.cooling_setpoint_c, th.light_lux, th.light_cct_k]),
        )
        self.load_w = 0.0
        self.peak_load_w = 0.0
        self._step = home_step_parallel if ne >= PARALLEL_FROM else home_step

    def program(self, t: int) -> np.ndarray:
        """The thermostat program's heat, cool, lux and CCT at step ``t`` (its schedule)."""
        w = self.world
        return self._programs[int(w.schedule_occupied[min(t, w.n_steps - 1)])]

    def advance(
        self,
        cmd: ZoneCommands,
        weather: StepWeather,
        venue_commands: Mapping[str, np.ndarray],
        disclosed: np.ndarray | None,
    ) -> None:
        """One call of the fused step for every home, then the neighbourhood's load."""
        w, t = self.world, self.world.t
        occupied = w.schedule_occupied
        changed = t > 0 and bool(occupied[t] != occupied[t - 1])
        hs = self.state
        if disclosed is None:
            hs.disclosed[...] = False
        else:
            hs.disclosed[...] = disclosed
        inputs = StepInputs(t, float(w.hours[t]), w.dt_h, w.step_price, self.program(t), changed)
        self._step(
            inputs, self.params, w.arrays, weather, cmd, w.state, w.out, w.count, w.band, w.acc,
            self.arb, self.residents, hs, self.living,
        )  # fmt: skip
        self.load_w = float(w.out.zone_power.sum())
        self.peak_load_w = max(self.peak_load_w, self.load_w)

    def task(self, personal_data: bool = True) -> HomeTask:
        """The home task over this World (see :mod:`twin.venues.home.task`)."""
        from twin.venues.home.task import HomeTask

        return HomeTask(self.world, personal_data)

    def context(self) -> HomeContext:
        """The thermostats' view beside their sensors: who commands, consent, the program."""
        w = self.world
        return HomeContext(
            w.command_source["heat_setpoint_c"], self.slots.consent, self.program(w.t),
            self.is_bedroom,
        )  # fmt: skip

    def snapshot(self, e: int) -> dict[str, np.ndarray]:
        """Home ``e`` now (residents, who commands each zone) and the neighbourhood's load."""
        w, s = self.world, self.slots
        state = s.state[e]
        return {
            "residents_awake": np.array([int((state == AWAKE).sum())]),
            "residents_asleep": np.array([int((state == ASLEEP).sum())]),
            "household_away": np.array([int(s.away[e])]),
            "heat_source": w.command_source["heat_setpoint_c"][e].copy(),
            "overrides_now": self.state.n_over[e].copy(),
            "neighbourhood_kw": np.array([self.load_w / 1000.0]),
        }

    # ------------------------------------------------------------------ results
    def records(self, e: int) -> list[dict[str, Any]]:
        """One record per resident of home ``e``."""
        return self.model.records(e)

    def kpis(self, e: int) -> dict[str, float]:
        """Home ``e``'s resident KPIs (flat; see :meth:`run_kpis` for the neighbourhood)."""
        return self._resident_kpis(np.array([e]))

    def _resident_kpis(self, homes: np.ndarray) -> dict[str, float]:
        """Resident KPIs over the homes ``homes`` (one home, or the neighbourhood).

        ``discomfort_kh`` is the homes' comfort measure: the kelvin-hours residents spent
        at home outside their *own* comfort range (their preferred operative temperature
        plus or minus their tolerance; asleep, their sleep preference), per resident; the
        comfort-band measure of other venues (Kh per zone outside ``[comfort]``'s band
        while occupied, as BOPTEST's ``tdis_tot``) is ``band_discomfort_kh``.
        ``mean_ppd`` is ISO 7730 PPD over residents' hours awake at home (PMV does not
        cover sleep, 0.8 met under bedding; ``mean_ppd_asleep`` is reported apart).
        ``mean_satisfaction`` averages every resident's satisfaction over their hours at
        home (residents weighted equally), per household type too, and ``fairness_gap``
        is the best minus the worst type's mean; ``overrides_per_home_week`` counts
        residents' thermostat overrides; ``preheat_late_min`` is the mean time below
        comfort after residents arrive or get up (:func:`twin.venues.home.kernel._preheat`);
        ``personal_data_used`` counts the occupancy-hours the thermostats learned from
        (consenting households, policies that use personal data only).
        """
        w, s, hacc = self.world, self.slots, self.state.hacc
        active = s.active[homes] == 1
        acc = s.acc[:, homes][:, active]  # (rows, residents)
        present, awake = acc[A_PRESENT], acc[A_AWAKE]
        asleep = present - awake
        weeks = w.t * w.dt_h / 168.0
        with np.errstate(invalid="ignore", divide="ignore"):
            sat = np.where(present > 0, acc[A_SAT] / present, np.nan)
        seen = present > 0
        events = float(hacc[H_EVENTS, homes].sum())

        def ratio(num: float, den: float) -> float:
            return num / den if den > 0 else np.nan

        kpis: dict[str, float] = {
            "discomfort_kh": ratio(float(acc[A_DISCOMFORT].sum()), float(active.sum())),
            "band_discomfort_kh": float(
                np.mean([w.building_kpis(int(e))["discomfort_kh"] for e in homes])
            ),
            "mean_ppd": ratio(float(acc[A_PPD].sum()), float(awake.sum())),
            "mean_ppd_asleep": ratio(float(acc[A_PPD_ASLEEP].sum()), float(asleep.sum())),
            "mean_satisfaction": float(sat[seen].mean()) if seen.any() else np.nan,
            "overrides": float(hacc[H_OVERRIDES, homes].sum()),
            "overrides_per_home_week": ratio(
                float(hacc[H_OVERRIDES, homes].sum()), len(homes) * weeks
            ),
            "preheat_late_min": 60.0 * ratio(float(hacc[H_LATE_H, homes].sum()), events),
            "preheat_events": events,
            "personal_data_used": float(hacc[H_DISCLOSED_H, homes].sum()),
            "home_h_per_home": float(hacc[H_HOME_H, homes].sum()) / len(homes),
            "residents": float(active.sum()),
        }
        means = {}
        types = np.broadcast_to(s.household[homes][:, None], active.shape)[active]
        for h, name in enumerate(self.household_names):
            mine = seen & (types == h)
            if mine.any():
                means[name] = float(sat[mine].mean())
                kpis[f"satisfaction_{name}"] = means[name]
        kpis["fairness_gap"] = (
            max(means.values()) - min(means.values()) if len(means) > 1 else np.nan
        )
        return kpis

    def run_kpis(self) -> dict[str, float]:
        """The neighbourhood's KPIs: totals, the peak of its summed load, per-home means.

        ``energy_kwh``, ``cost`` and ``personal_data_used`` are totals over the homes;
        ``peak_kw`` is the peak of the neighbourhood's summed electric load (not a sum of
        the homes' own peaks); the resident KPIs are over all residents and
        ``band_discomfort_kh`` the mean over homes (:meth:`_resident_kpis`).
        """
        w = self.world
        homes = np.arange(w.n_envs)
        per_home = [w.building_kpis(e) for e in range(w.n_envs)]
        energy = float(sum(k["energy_kwh"] for k in per_home))
        kpis = {
            "energy_kwh": energy,
            "hvac_energy_kwh": float(sum(k["hvac_energy_kwh"] for k in per_home)),
            "lighting_energy_kwh": float(sum(k["lighting_energy_kwh"] for k in per_home)),
            "cost": float(sum(k["cost"] for k in per_home)),
            "peak_kw": self.peak_load_w / 1000.0,
            "energy_kwh_per_home": energy / len(homes),
            "homes": float(len(homes)),
            **self._resident_kpis(homes),
        }
        kpis["consent_share"] = float(self.slots.consent.mean())
        return kpis

    def run_records(self) -> list[dict[str, Any]]:
        """Every resident of the neighbourhood, one record each."""
        out: list[dict[str, Any]] = []
        for e in range(self.world.n_envs):
            out += self.model.records(e)
        return out
