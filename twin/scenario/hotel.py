"""Scenario sections of the hotel venue: guest segments, arrivals, front desk, housekeeping.

Distributions are written as ``{mean, sd, low, high}`` (a normal clipped to
``[low, high]``) so a researcher can read and vary them without code.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from twin.scenario.base import (
    ComfortWeights,
    Fraction,
    Hour,
    Name,
    NonNegFloat,
    Normal,
    PosFloat,
    ScenarioModel,
    normal,
    tuple_field,
)


class Routine(ScenarioModel):
    """A guest's day: local hours of waking, going out, coming back and sleeping."""

    wake_h: Normal = normal(7.0, 0.8, 4.0, 11.0)
    out_start_h: Normal = normal(9.5, 1.0, 6.0, 14.0)
    out_hours: Normal = normal(6.0, 2.0, 0.0, 12.0)
    sleep_h: Normal = normal(23.0, 0.8, 20.0, 23.99)


class Segment(ScenarioModel):
    """A guest segment: its share of arrivals and the distributions its guests come from."""

    name: Name
    share: Fraction
    party_size: tuple[Annotated[int, Field(ge=1, le=8)], Annotated[int, Field(ge=1, le=8)]] = (
        tuple_field((1, 2))
    )
    stay_nights: Normal = normal(2.0, 1.0, 1.0, 14.0)
    consent_share: Fraction = 0.6
    pref_temp_c: Normal = normal(21.5, 1.2, 17.0, 26.0)
    pref_lux: Normal = normal(300.0, 80.0, 50.0, 800.0)
    pref_cct_k: Normal = normal(3500.0, 600.0, 2700.0, 6500.0)
    temp_tolerance_k: Normal = normal(1.5, 0.3, 0.5, 3.0)
    clo_awake: Normal = normal(0.8, 0.15, 0.3, 1.5)
    met_awake: Annotated[float, Field(ge=0.8, le=2.0)] = 1.2
    routine: Routine = Routine()
    return_base: Fraction = 0.35

    @model_validator(mode="after")
    def _check(self) -> Segment:
        lo, hi = self.party_size
        if lo > hi:
            raise ValueError(f"party_size = [{lo}, {hi}]: the minimum exceeds the maximum")
        return self


class Arrivals(ScenarioModel):
    """Arrival process: a daily rate shaped by weekday and hour-of-day profiles."""

    rate_per_day: NonNegFloat = 40.0
    day_of_week: tuple[NonNegFloat, ...] = tuple_field(
        (0.9, 0.9, 1.0, 1.0, 1.2, 1.2, 0.8), min_length=7, max_length=7
    )
    hour_profile: tuple[NonNegFloat, ...] = tuple_field(
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0.2, 0.4, 0.6, 0.8, 1.0, 1.5, 2.0, 2.0, 1.8, 1.5, 1.2, 1.0,
         0.7, 0.4, 0.2),
        min_length=24,
        max_length=24,
    )  # fmt: skip
    weekend_segment_shares: dict[Name, Fraction] | None = Field(default=None, strict=False)
    initial_occupancy: Fraction = 0.6

    @model_validator(mode="after")
    def _check(self) -> Arrivals:
        if sum(self.hour_profile) <= 0:
            raise ValueError("hour_profile must have at least one positive hour")
        if self.rate_per_day > 0 and sum(self.day_of_week) <= 0:
            raise ValueError("day_of_week must have at least one positive day")
        return self


class FrontDesk(ScenarioModel):
    """Front desk: staff (a SimPy resource) and service times in minutes."""

    staff: Annotated[int, Field(ge=1, le=50)] = 2
    checkin_min: Normal = normal(4.0, 1.5, 1.0, 15.0)
    checkout_min: Normal = normal(2.5, 1.0, 0.5, 10.0)


class Housekeeping(ScenarioModel):
    """Housekeeping: staff cleaning rooms after check-out during working hours."""

    staff: Annotated[int, Field(ge=1, le=100)] = 4
    clean_min: Normal = normal(35.0, 10.0, 15.0, 90.0)
    start_h: Hour = 8.0
    end_h: Hour = 18.0


class Satisfaction(ComfortWeights):
    """How experience turns into satisfaction, reviews and loyalty."""

    memory_h: PosFloat = 10.0
    weight_thermal: NonNegFloat = 0.6
    weight_light: NonNegFloat = 0.25
    weight_cct: NonNegFloat = 0.15
    lux_tolerance_rel: PosFloat = 0.35
    cct_tolerance_k: PosFloat = 900.0
    sleep_temp_offset_k: float = -1.0
    feedback_per_h: NonNegFloat = 1.0
    review_noise_sd: NonNegFloat = 0.35
    return_slope: PosFloat = 8.0


class Hotel(ScenarioModel):
    """The hotel venue. Rooms are the zones of kind ``guest_room``."""

    checkin_h: Hour = 15.0
    checkout_h: Hour = 11.0
    arrivals: Arrivals = Arrivals()
    segments: tuple[Segment, ...] = tuple_field(min_length=1)
    front_desk: FrontDesk = FrontDesk()
    housekeeping: Housekeeping = Housekeeping()
    satisfaction: Satisfaction = Satisfaction()

    @model_validator(mode="after")
    def _check(self) -> Hotel:
        names = [s.name for s in self.segments]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"segment names must be unique; repeated: {', '.join(dupes)}")
        total = sum(s.share for s in self.segments)
        if abs(total - 1.0) > 1e-6:
            shares = ", ".join(f"{s.name}={s.share}" for s in self.segments)
            raise ValueError(f"segments: shares must sum to 1, got {total:g} ({shares})")
        weekend = self.arrivals.weekend_segment_shares
        if weekend is not None:
            unknown = sorted(set(weekend) - set(names))
            if unknown:
                raise ValueError(
                    f"arrivals.weekend_segment_shares: unknown segment {', '.join(unknown)}; "
                    f"known segments: {', '.join(names)}"
                )
            if abs(sum(weekend.values()) - 1.0) > 1e-6:
                raise ValueError(
                    f"arrivals.weekend_segment_shares must sum to 1, got {sum(weekend.values()):g}"
                )
        return self
