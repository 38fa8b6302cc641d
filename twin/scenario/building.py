"""Scenario sections that describe the building: zones, HVAC, lighting, tariff, control.

Zone parameters use the physical quantities a building researcher has at hand (areas,
U-values, g-value, ISO 13790 construction class); :mod:`twin.building` turns them into
the 5R1C network conductances.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, model_validator

from twin.scenario.base import (
    Fraction,
    Hour,
    NonNegFloat,
    PosFloat,
    PosInt,
    ScenarioModel,
    Temperature,
    tuple_field,
)

Orientation = Literal["N", "E", "S", "W"]
Construction = Literal["very_light", "light", "medium", "heavy", "very_heavy"]
STEP_MINUTES_ALLOWED = (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60)


class Simulation(ScenarioModel):
    """Clock of a run: when it starts, how long it lasts and the control step."""

    start: datetime = datetime(2026, 1, 5)
    horizon_days: Annotated[float, Field(gt=0, le=3660)] = 14.0
    step_minutes: PosInt = 15
    seed: Annotated[int, Field(ge=0)] = 0

    @model_validator(mode="after")
    def _check_step(self) -> Simulation:
        if self.step_minutes not in STEP_MINUTES_ALLOWED:
            raise ValueError(
                f"step_minutes = {self.step_minutes} must divide an hour: one of "
                f"{', '.join(map(str, STEP_MINUTES_ALLOWED))}"
            )
        if self.horizon_days * 24 * 60 < self.step_minutes:
            raise ValueError(
                f"horizon_days = {self.horizon_days} is shorter than one step "
                f"({self.step_minutes} min)"
            )
        return self

    @property
    def dt_s(self) -> float:
        """Control step in seconds."""
        return 60.0 * self.step_minutes

    @property
    def n_steps(self) -> int:
        """Number of control steps over the horizon."""
        return int(round(self.horizon_days * 24 * 60 / self.step_minutes))


class Lighting(ScenarioModel):
    """Electric lighting and daylight of one zone type."""

    installed_w_m2: NonNegFloat = 8.0
    max_lux: PosFloat = 500.0
    min_dim_power_fraction: Fraction = 0.1
    daylight_factor: Annotated[float, Field(ge=0, le=0.2)] = 0.02
    cct_min_k: Annotated[float, Field(ge=1000, le=20000)] = 2700.0
    cct_max_k: Annotated[float, Field(ge=1000, le=20000)] = 6500.0

    @model_validator(mode="after")
    def _check_cct(self) -> Lighting:
        if self.cct_min_k >= self.cct_max_k:
            raise ValueError(
                f"cct_min_k = {self.cct_min_k} must be below cct_max_k = {self.cct_max_k}"
            )
        return self


class ZoneGroup(ScenarioModel):
    """``count`` identical thermal zones (e.g. 120 guest rooms), each a 5R1C network.

    ``orientation`` lists facade orientations; zone ``i`` of the group faces
    ``orientation[i % len(orientation)]``, so rooms alternate between facades.
    """

    name: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_\-]*$")]
    kind: Literal["guest_room", "lobby", "office", "retail", "living", "bedroom", "other"] = "other"
    count: PosInt = 1
    floor_area_m2: PosFloat
    height_m: PosFloat = 2.7
    exterior_wall_area_m2: NonNegFloat = 0.0
    roof_area_m2: NonNegFloat = 0.0
    window_area_m2: NonNegFloat = 0.0
    orientation: tuple[Orientation, ...] = tuple_field(("S",), min_length=1)
    u_wall_w_m2k: PosFloat = 0.35
    u_roof_w_m2k: PosFloat = 0.25
    u_window_w_m2k: PosFloat = 1.3
    g_window: Fraction = 0.6
    frame_fraction: Annotated[float, Field(ge=0, lt=1)] = 0.25
    shading_factor: Fraction = 0.9
    construction: Construction = "medium"
    air_changes_per_h: PosFloat = 0.5
    heat_recovery: Annotated[float, Field(ge=0, le=0.95)] = 0.0
    equipment_gains_w_m2: NonNegFloat = 3.0
    heating_capacity_w_m2: PosFloat = 80.0
    cooling_capacity_w_m2: PosFloat = 80.0
    lighting: Lighting = Lighting()

    @model_validator(mode="after")
    def _check_envelope(self) -> ZoneGroup:
        if self.exterior_wall_area_m2 + self.roof_area_m2 + self.window_area_m2 <= 0:
            raise ValueError(
                "a zone needs some envelope: exterior_wall_area_m2 + roof_area_m2 + "
                "window_area_m2 must be > 0"
            )
        return self


class HeatPump(ScenarioModel):
    """Air-source heat pump: COP is a fraction of the Carnot COP at the outdoor temperature."""

    carnot_efficiency_heating: Annotated[float, Field(gt=0, le=1)] = 0.45
    carnot_efficiency_cooling: Annotated[float, Field(gt=0, le=1)] = 0.35
    supply_temp_heating_c: Temperature = 35.0
    supply_temp_cooling_c: Temperature = 12.0
    cop_min: Annotated[float, Field(ge=1)] = 1.0
    cop_max: Annotated[float, Field(ge=1)] = 7.0

    @model_validator(mode="after")
    def _check(self) -> HeatPump:
        if self.cop_min > self.cop_max:
            raise ValueError(f"cop_min = {self.cop_min} must not exceed cop_max = {self.cop_max}")
        if self.supply_temp_cooling_c >= self.supply_temp_heating_c:
            raise ValueError(
                f"supply_temp_cooling_c = {self.supply_temp_cooling_c} must be below "
                f"supply_temp_heating_c = {self.supply_temp_heating_c}"
            )
        return self


class Tariff(ScenarioModel):
    """Electricity price; ``peak_hours`` = [start, end) local hours at ``peak_price_per_kwh``."""

    price_per_kwh: NonNegFloat = 0.25
    peak_price_per_kwh: NonNegFloat = 0.35
    peak_hours: tuple[Hour, Hour] = tuple_field((17.0, 21.0))
    currency: str = "EUR"


class Thermostat(ScenarioModel):
    """The plain thermostat of ``twin simulate``: comfort band when occupied, setback otherwise."""

    heating_setpoint_c: Temperature = 21.0
    cooling_setpoint_c: Temperature = 24.0
    setback_heating_c: Temperature = 17.0
    setback_cooling_c: Temperature = 28.0
    occupied_hours: tuple[Hour, Hour] = tuple_field((7.0, 23.0))
    light_lux: NonNegFloat = 300.0
    light_cct_k: Annotated[float, Field(ge=1000, le=20000)] = 3500.0

    @model_validator(mode="after")
    def _check_bands(self) -> Thermostat:
        if self.heating_setpoint_c > self.cooling_setpoint_c:
            raise ValueError(
                f"heating_setpoint_c = {self.heating_setpoint_c} is above cooling_setpoint_c = "
                f"{self.cooling_setpoint_c}: setpoint bounds are inverted"
            )
        if self.setback_heating_c > self.heating_setpoint_c:
            raise ValueError(
                f"setback_heating_c = {self.setback_heating_c} must not exceed "
                f"heating_setpoint_c = {self.heating_setpoint_c}"
            )
        if self.setback_cooling_c < self.cooling_setpoint_c:
            raise ValueError(
                f"setback_cooling_c = {self.setback_cooling_c} must not be below "
                f"cooling_setpoint_c = {self.cooling_setpoint_c}"
            )
        return self


class Comfort(ScenarioModel):
    """Comfort assessment: PMV inputs and the comfort band used for discomfort (Kh).

    ``air_speed_m_s`` is the relative air speed of ISO 7730 (``var``), already including
    body movement; clothing and activity here apply to building-only runs (guests in a
    hotel bring their own).
    """

    relative_humidity_pct: Annotated[float, Field(ge=0, le=100)] = 50.0
    air_speed_m_s: Annotated[float, Field(ge=0, le=2)] = 0.1
    clothing_clo: Annotated[float, Field(ge=0, le=2)] = 1.0
    metabolic_met: Annotated[float, Field(ge=0.7, le=4)] = 1.2
    lower_c: Temperature = 20.0
    upper_c: Temperature = 25.0
    unoccupied_lower_c: Temperature = 15.0
    unoccupied_upper_c: Temperature = 30.0

    @model_validator(mode="after")
    def _check_band(self) -> Comfort:
        if self.lower_c >= self.upper_c:
            raise ValueError(f"lower_c = {self.lower_c} must be below upper_c = {self.upper_c}")
        if self.unoccupied_lower_c >= self.unoccupied_upper_c:
            raise ValueError(
                f"unoccupied_lower_c = {self.unoccupied_lower_c} must be below "
                f"unoccupied_upper_c = {self.unoccupied_upper_c}"
            )
        return self


class Hvac(ScenarioModel):
    """Plant serving all zones."""

    heat_pump: HeatPump = HeatPump()
    substeps: Annotated[int, Field(ge=1, le=60)] = 1


class Site(ScenarioModel):
    """Where the building stands (used by synthetic weather and solar geometry)."""

    latitude_deg: Annotated[float, Field(ge=-90, le=90)] = 48.14
    longitude_deg: Annotated[float, Field(ge=-180, le=180)] = 11.58
    utc_offset_h: Annotated[float, Field(ge=-12, le=14)] = 1.0
    elevation_m: Annotated[float, Field(ge=-500, le=9000)] = 520.0


class SyntheticWeather(ScenarioModel):
    """Deterministic synthetic weather: seasonal + daily cycle, AR(1) noise, clear-sky sun."""

    kind: Literal["synthetic"] = "synthetic"
    mean_temp_c: Temperature = 9.0
    annual_amplitude_k: NonNegFloat = 9.5
    daily_amplitude_k: NonNegFloat = 4.0
    coldest_day_of_year: Annotated[int, Field(ge=1, le=366)] = 20
    warmest_hour: Hour = 15.0
    noise_std_k: NonNegFloat = 1.5
    noise_correlation_h: PosFloat = 12.0
    cloud_cover_mean: Fraction = 0.55
    cloud_cover_std: Fraction = 0.25
    relative_humidity_pct: Annotated[float, Field(ge=0, le=100)] = 70.0


class EpwWeather(ScenarioModel):
    """An EnergyPlus EPW file; a relative path is relative to the scenario file."""

    kind: Literal["epw"] = "epw"
    path: Annotated[str, Field(min_length=1)]


def _weather_kind(data: Any) -> str | None:
    """The ``kind`` of a weather section; a section without one is synthetic (the default)."""
    if isinstance(data, dict):
        return data.get("kind", "synthetic")
    return getattr(data, "kind", None)


WeatherConfig = Annotated[
    Annotated[SyntheticWeather, Tag("synthetic")] | Annotated[EpwWeather, Tag("epw")],
    Discriminator(_weather_kind),
]
