"""Scenario section of the home venue: a neighbourhood's building stock and its households.

A home scenario describes a neighbourhood of ``n_homes`` homes. The scenario's
``[[zones]]`` are the template of one home (a ``living`` day zone and a ``bedroom``
night zone at least); each home of the neighbourhood is drawn from ``[home.stock]``
(floor area, envelope U-values, construction class, window share and orientation,
heat-pump and cooling capacity) and its household from ``[[home.households]]``.

Distributions are written ``{ mean, sd, low, high }`` (a normal clipped to
``[low, high]``). Times of day count in hours from the midnight that starts the
resident's day; a time after the next midnight is written as 24 plus the hour (a night
shift that ends at 07:00 returns at ``31``), so every routine reads in the order it
happens: wake, leave, return, sleep.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import Field, model_validator

from twin.scenario.base import (
    ComfortWeights,
    Fraction,
    Name,
    NonNegFloat,
    Normal,
    PosFloat,
    ScenarioModel,
    normal,
    tuple_field,
)

#: Residents a home can hold (slots per home in the resident arrays).
MAX_RESIDENTS = 6

Construction = Literal["very_light", "light", "medium", "heavy", "very_heavy"]
Orientation = Literal["N", "E", "S", "W"]
_ROUTINE_TIMES = ("wake_h", "leave_h", "return_h", "sleep_h")
Count = Annotated[int, Field(ge=0, le=MAX_RESIDENTS)]


def _check_shares(what: str, shares: Mapping[str, float]) -> None:
    total = sum(shares.values())
    if abs(total - 1.0) > 1e-6:
        listed = ", ".join(f"{k}={v:g}" for k, v in shares.items())
        raise ValueError(f"{what}: shares must sum to 1, got {total:g} ({listed})")


class DayRoutine(ScenarioModel):
    """One kind of day of a resident: when they wake, leave, return and go to sleep.

    Each resident draws their *usual* times once from these distributions (people
    differ), and each day varies around them with ``day_to_day_sd_h`` (the same person
    is not a clock). A day on which the resident does not go out at all (chance
    ``1 - away_probability``) has no leave and return. ``wake_h`` lies within a day;
    the others may run past the next midnight (24 + hour), but never before the time
    that precedes them.
    """

    wake_h: Normal = normal(7.0, 0.7, 4.0, 11.0)
    leave_h: Normal = normal(8.0, 0.6, 5.0, 12.0)
    return_h: Normal = normal(17.5, 1.0, 12.0, 22.0)
    sleep_h: Normal = normal(23.0, 0.7, 20.0, 26.0)
    away_probability: Fraction = 1.0
    day_to_day_sd_h: Annotated[float, Field(ge=0, le=6)] = 0.4

    @model_validator(mode="after")
    def _check(self) -> DayRoutine:
        if not (0.0 <= self.wake_h.low and self.wake_h.high < 24.0):
            raise ValueError(
                f"wake_h = [{self.wake_h.low:g}, {self.wake_h.high:g}] must lie within a day "
                "[0, 24): a resident wakes on the day the routine describes"
            )
        for name in _ROUTINE_TIMES[1:]:
            d: Normal = getattr(self, name)
            if not (0.0 <= d.low and d.high < 48.0):
                raise ValueError(
                    f"{name} = [{d.low:g}, {d.high:g}] must lie within [0, 48) hours of the day "
                    "(24 + h for times after the next midnight)"
                )
        wake, leave, back, sleep = (getattr(self, n).mean for n in _ROUTINE_TIMES)
        if leave < wake:
            raise ValueError(
                f"leave_h (mean {leave:g}) is before wake_h (mean {wake:g}): a resident "
                "cannot leave before waking up"
            )
        if back < leave:
            raise ValueError(
                f"return_h (mean {back:g}) is before leave_h (mean {leave:g}): a resident "
                "cannot return before leaving (write times after midnight as 24 + hour, "
                "e.g. 31 for 07:00 the next morning)"
            )
        if sleep < back:
            raise ValueError(
                f"sleep_h (mean {sleep:g}) is before return_h (mean {back:g}): a resident "
                "goes to sleep at home, after returning (24 + hour after midnight)"
            )
        if sleep >= wake + 24.0:
            raise ValueError(
                f"sleep_h (mean {sleep:g}) is 24 h or more after wake_h (mean {wake:g}): "
                "a day's routine must fit in 24 hours"
            )
        return self


class MemberGroup(ScenarioModel):
    """Residents of one role in a household type (e.g. a family's children).

    ``count`` is the smallest and largest number of such residents; a household draws
    it uniformly. ``home_office_days`` of the five weekdays are, on average, spent
    working from home (the weekday routine without leaving). Preferences are the
    resident's own: the temperature they want awake, their offset asleep, how far
    from it they still feel comfortable, their light level.
    """

    role: Name
    count: tuple[Count, Count] = tuple_field((1, 1))
    weekday: DayRoutine = DayRoutine()
    weekend: DayRoutine = DayRoutine(
        wake_h=normal(8.5, 1.0, 5.0, 12.0), leave_h=normal(11.0, 1.5, 7.0, 16.0),
        return_h=normal(15.0, 2.0, 11.0, 22.0), sleep_h=normal(23.5, 0.8, 20.0, 26.0),
        away_probability=0.6,
    )  # fmt: skip
    home_office_days: Annotated[float, Field(ge=0, le=5)] = 0.0
    pref_temp_c: Normal = normal(20.5, 1.0, 17.0, 25.0)
    sleep_offset_k: Normal = normal(-3.0, 0.8, -5.5, 0.0)
    temp_tolerance_k: Normal = normal(1.5, 0.3, 0.5, 3.0)
    pref_lux: Normal = normal(250.0, 60.0, 50.0, 600.0)
    clo_awake: Normal = normal(0.9, 0.15, 0.4, 1.5)
    met_awake: Annotated[float, Field(ge=0.8, le=2.0)] = 1.2

    @model_validator(mode="after")
    def _check(self) -> MemberGroup:
        lo, hi = self.count
        if lo > hi:
            raise ValueError(f"count = [{lo}, {hi}]: the minimum exceeds the maximum")
        return self


class HouseholdType(ScenarioModel):
    """A type of household: its share of the neighbourhood, members, consent and trips.

    ``consent_share`` of these households agree that their thermostat learns their
    routine (occupancy is personal data). Trips away (the whole household) start
    ``trips_per_year`` times a year on average (a Poisson process) and last
    ``trip_days``.
    """

    name: Name
    share: Fraction
    consent_share: Fraction = 0.7
    trips_per_year: Annotated[float, Field(ge=0, le=50)] = 2.0
    trip_days: Normal = normal(5.0, 3.0, 1.0, 21.0)
    members: tuple[MemberGroup, ...] = tuple_field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> HouseholdType:
        roles = [m.role for m in self.members]
        dupes = sorted({r for r in roles if roles.count(r) > 1})
        if dupes:
            raise ValueError(f"member roles must be unique; repeated: {', '.join(dupes)}")
        least = sum(m.count[0] for m in self.members)
        most = sum(m.count[1] for m in self.members)
        if least < 1:
            raise ValueError(
                "an empty household is possible: the members' smallest counts sum to 0; "
                "give at least one role a count of at least 1"
            )
        if most > MAX_RESIDENTS:
            raise ValueError(
                f"up to {most} residents: a home holds at most {MAX_RESIDENTS} "
                "(the members' largest counts must sum to at most that)"
            )
        if self.trip_days.low < 0.5:
            raise ValueError(f"trip_days.low = {self.trip_days.low:g} must be >= 0.5 (days)")
        return self


class Stock(ScenarioModel):
    """The building stock the neighbourhood's homes are drawn from.

    The template zones (``[[zones]]``) give each zone's share of the floor area, its
    height, lighting, equipment and ventilation heat recovery; every home scales them
    to its own ``floor_area_m2`` (walls and roof in proportion), gets windows of
    ``window_share`` times each zone's floor area, and its own U-values, construction
    class, air change rate and heat-pump capacities. ``orientation`` is where the day
    zones' windows face (the night zones face the opposite way).
    """

    floor_area_m2: Normal = normal(120.0, 35.0, 50.0, 300.0)
    u_wall_w_m2k: Normal = normal(0.45, 0.2, 0.15, 1.4)
    u_roof_w_m2k: Normal = normal(0.3, 0.12, 0.1, 1.0)
    u_window_w_m2k: Normal = normal(1.6, 0.5, 0.7, 3.0)
    window_share: Normal = normal(0.16, 0.04, 0.06, 0.3)
    air_changes_per_h: Normal = normal(0.5, 0.15, 0.2, 1.2)
    construction: dict[Construction, Fraction] = Field(
        default={"light": 0.25, "medium": 0.45, "heavy": 0.3}, strict=False
    )
    orientation: dict[Orientation, Fraction] = Field(
        default={"N": 0.2, "E": 0.25, "S": 0.3, "W": 0.25}, strict=False
    )
    heating_capacity_w_m2: Normal = normal(70.0, 15.0, 40.0, 120.0)
    cooling_capacity_w_m2: Normal = normal(40.0, 15.0, 5.0, 100.0)

    @model_validator(mode="after")
    def _check(self) -> Stock:
        _check_shares("construction", {str(k): v for k, v in self.construction.items()})
        _check_shares("orientation", {str(k): v for k, v in self.orientation.items()})
        for name in ("floor_area_m2", "u_wall_w_m2k", "u_roof_w_m2k", "u_window_w_m2k"):
            d: Normal = getattr(self, name)
            if d.low <= 0:
                raise ValueError(f"{name}.low = {d.low:g} must be > 0")
        for name in ("window_share", "air_changes_per_h", "heating_capacity_w_m2"):
            d = getattr(self, name)
            if d.low <= 0:
                raise ValueError(f"{name}.low = {d.low:g} must be > 0")
        if self.cooling_capacity_w_m2.low <= 0:
            raise ValueError(
                f"cooling_capacity_w_m2.low = {self.cooling_capacity_w_m2.low:g} must be > 0"
            )
        return self


class Overrides(ScenarioModel):
    """Residents' manual thermostat changes: a logistic chance per hour of discomfort.

    Following the occupant model CityLearn adopted (Kaspar et al. 2024; CityLearn's
    ``LogisticRegressionOccupant``), a present resident raises the set-point with
    probability ``1 / (1 + exp(-(a_increase + b_increase x)))`` and lowers it with
    ``1 / (1 + exp(-(a_decrease + b_decrease y)))`` per hour, where ``x`` is how many
    kelvin the zone's operative temperature lies below the resident's own preferred
    temperature and ``y`` how many it lies above (CityLearn's models take the indoor
    temperature itself, with coefficients fitted per thermostat from ecobee's Donate
    Your Data set; here the input is relative to each resident's preference so one set
    of coefficients serves residents with different preferences). As in CityLearn, one
    uniform draw decides: a change happens when exactly one of the two probabilities
    exceeds it. Probabilities per hour are converted to the control step. Asleep,
    residents act less often (``asleep_log_odds`` is added to both logits). A resident
    who changes the thermostat sets it to their preferred temperature ``step_k``
    beyond it (up when cold; down, with cooling at the preference plus ``step_k``, when
    warm), and the change holds until the thermostat program's next scheduled change,
    like a commercial thermostat's "hold".
    """

    a_increase: float = -6.5
    b_increase: Annotated[float, Field(ge=0)] = 2.0
    a_decrease: float = -7.0
    b_decrease: Annotated[float, Field(ge=0)] = 2.0
    asleep_log_odds: Annotated[float, Field(le=0)] = -2.0
    step_k: Annotated[float, Field(ge=0, le=3)] = 0.5
    source: str = (
        "Form: Kaspar et al. (2024) as implemented in CityLearn's LogisticRegressionOccupant "
        "(separate logistic models for set-point increases and decreases, one uniform draw, "
        "hold, then back to the schedule). Coefficients: illustrative, chosen so a resident "
        "2 K below their preference turns the heating up with about 8 % chance per hour, "
        "3 K below with about 38 %, and one at their preference about once in 700 awake "
        "hours; not the paper's per-thermostat fits."
    )


class HomeSatisfaction(ComfortWeights):
    """How experience turns into residents' satisfaction (shared occupant kernels)."""

    memory_h: PosFloat = 12.0
    weight_thermal: NonNegFloat = 0.7
    weight_light: NonNegFloat = 0.2
    weight_cct: NonNegFloat = 0.1
    lux_tolerance_rel: PosFloat = 0.4
    cct_tolerance_k: PosFloat = 900.0


class HomeReward(ScenarioModel):
    """The home's own reward terms (besides ``[control.reward]``): overrides are costly.

    ``override`` is subtracted per resident override (residents fighting the policy).
    """

    override: NonNegFloat = 0.5


class Home(ScenarioModel):
    """The home venue: a neighbourhood of ``n_homes`` homes and their households."""

    n_homes: Annotated[int, Field(ge=1, le=100_000)] = 300
    stock: Stock = Stock()
    households: tuple[HouseholdType, ...] = tuple_field(min_length=1)
    overrides: Overrides = Overrides()
    satisfaction: HomeSatisfaction = HomeSatisfaction()
    reward: HomeReward = HomeReward()

    @model_validator(mode="after")
    def _check(self) -> Home:
        names = [h.name for h in self.households]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"household names must be unique; repeated: {', '.join(dupes)}")
        _check_shares("households", {h.name: h.share for h in self.households})
        return self
