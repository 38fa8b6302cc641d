"""Scenario files: plain TOML data validated into frozen, typed models.

>>> from twin.scenario import load_scenario, Scenario
>>> s = load_scenario("scenarios/tiny.toml")
>>> Scenario.from_json(s.to_json()) == s
True
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, model_validator

from twin.errors import ScenarioError
from twin.scenario.base import ScenarioModel, tuple_field
from twin.scenario.building import (
    Comfort,
    EpwWeather,
    HeatPump,
    Hvac,
    Lighting,
    Simulation,
    Site,
    SyntheticWeather,
    Tariff,
    Thermostat,
    WeatherConfig,
    ZoneGroup,
)
from twin.scenario.control import Control, Reward
from twin.scenario.errors import format_validation_error
from twin.scenario.home import (
    DayRoutine,
    Home,
    HouseholdType,
    MemberGroup,
    Overrides,
    Stock,
)
from twin.scenario.hotel import (
    Arrivals,
    FrontDesk,
    Hotel,
    Housekeeping,
    Normal,
    Routine,
    Satisfaction,
    Segment,
)
from twin.scenario.randomization import Randomization
from twin.scenario.store import (
    Behaviour,
    Category,
    Checkout,
    Display,
    Floor,
    Genre,
    LegendEntry,
    Store,
    StoreArrivals,
    StoreReward,
    StoreSatisfaction,
    StoreSegment,
    check_store_zones,
)

__all__ = [
    "Arrivals",
    "Behaviour",
    "Category",
    "Checkout",
    "Comfort",
    "DayRoutine",
    "Home",
    "HouseholdType",
    "MemberGroup",
    "Overrides",
    "Stock",
    "Control",
    "Display",
    "Floor",
    "Genre",
    "LegendEntry",
    "FrontDesk",
    "Hotel",
    "Housekeeping",
    "Normal",
    "Randomization",
    "Routine",
    "Satisfaction",
    "Reward",
    "Segment",
    "EpwWeather",
    "HeatPump",
    "Hvac",
    "Lighting",
    "Scenario",
    "Simulation",
    "Site",
    "Store",
    "StoreArrivals",
    "StoreSatisfaction",
    "StoreReward",
    "StoreSegment",
    "SyntheticWeather",
    "Tariff",
    "Thermostat",
    "ZoneGroup",
    "load_scenario",
    "scenario_path",
]

Venue = Literal["building", "hotel", "store", "home"]
#: Venues with their own scenario section (named like the venue) and what it needs most.
VENUE_SECTIONS = {
    "hotel": "[[hotel.segments]]",
    "store": "[store.floor], [[store.categories]], [[store.music]] and [[store.segments]]",
    "home": "[[home.households]]",
}


class Scenario(ScenarioModel):
    """A complete, validated scenario. Build it with :func:`load_scenario` or ``from_json``."""

    name: Annotated[str, Field(min_length=1)]
    description: str = ""
    venue: Venue = "building"
    simulation: Simulation = Simulation()
    site: Site = Site()
    weather: WeatherConfig = SyntheticWeather()
    zones: tuple[ZoneGroup, ...] = tuple_field(min_length=1)
    hvac: Hvac = Hvac()
    tariff: Tariff = Tariff()
    thermostat: Thermostat = Thermostat()
    comfort: Comfort = Comfort()
    control: Control = Control()
    randomization: Randomization = Randomization()
    hotel: Hotel | None = None
    store: Store | None = None
    home: Home | None = None

    @model_validator(mode="after")
    def _check_zone_names(self) -> Scenario:
        names = [z.name for z in self.zones]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"zone group names must be unique; repeated: {', '.join(dupes)}")
        return self

    @model_validator(mode="after")
    def _check_venue(self) -> Scenario:
        for venue, needs in VENUE_SECTIONS.items():
            present = getattr(self, venue) is not None
            if self.venue == venue and not present:
                raise ValueError(f"venue = {venue!r} needs a [{venue}] section with {needs}")
            if self.venue != venue and present:
                raise ValueError(
                    f"a [{venue}] section is only valid with venue = {venue!r}, not {self.venue!r}"
                )
        if self.venue == "hotel" and not any(z.kind == "guest_room" for z in self.zones):
            raise ValueError("venue = 'hotel' needs at least one zone group of kind 'guest_room'")
        if self.store is not None:
            check_store_zones(self.store, self.zones)
        if self.venue == "home":
            kinds = {z.kind for z in self.zones}
            if not {"living", "bedroom"} <= kinds:
                raise ValueError(
                    "venue = 'home' needs zone groups of kind 'living' and 'bedroom' (the "
                    "template home's day and night zones)"
                )
        return self

    @property
    def n_zones(self) -> int:
        """Total number of thermal zones (sum of group counts)."""
        return sum(z.count for z in self.zones)

    def with_seed(self, seed: int) -> Scenario:
        """This scenario with ``simulation.seed`` replaced (what a run with ``--seed`` used)."""
        sim = self.simulation.model_copy(update={"seed": seed})
        return self.model_copy(update={"simulation": sim})

    def to_json(self, indent: int | None = 2) -> str:
        """Serialise the resolved scenario (all defaults filled in)."""
        return self.model_dump_json(indent=indent)

    @classmethod
    def from_json(cls, text: str | bytes) -> Scenario:
        """Load a scenario saved by :meth:`to_json`; raises :class:`ScenarioError` if invalid."""
        try:
            return cls.model_validate_json(text)
        except ValidationError as exc:
            raise ScenarioError(format_validation_error(exc, cls, "<json>")) from None

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "<dict>") -> Scenario:
        """Validate plain data (as read from TOML) into a scenario."""
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise ScenarioError(format_validation_error(exc, cls, source)) from None


def scenario_path(path: str | Path) -> Path:
    """``path`` if it is a file, else the shipped scenario of that name (``"store"``)."""
    import scenarios

    given = Path(path)
    if given.is_file():
        return given
    if given.parent == Path(".") and scenarios.path(given.name).is_file():
        return scenarios.path(given.name)
    raise ScenarioError(
        f"{given}: no such scenario file (nor a shipped scenario: {', '.join(scenarios.names())})"
    )


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a TOML (or resolved JSON) scenario file, or a shipped one by name.

    ``path`` is a file, or the name of a scenario that ships with twin (``"hotel"``,
    ``"store"``; see :mod:`scenarios`).

    Relative data paths inside the file (an EPW file) are resolved against the file's
    folder, so the resolved scenario stays valid wherever it is saved.

    Raises:
        ScenarioError: the file is missing, is not valid TOML, or fails validation; the
            message names the file, the field path, the bad value and what is valid.
    """
    path = scenario_path(path)
    if path.suffix == ".json":
        try:
            return Scenario.from_json(path.read_bytes())
        except ScenarioError as exc:
            raise ScenarioError(str(exc).replace("<json>", str(path))) from None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{path}: not a UTF-8 text file ({exc.reason})") from None
    weather = data.get("weather")
    if isinstance(weather, dict) and weather.get("kind") == "epw":
        epw = weather.get("path")
        if isinstance(epw, str) and epw and not Path(epw).is_absolute():
            weather["path"] = str((path.parent / epw).resolve())
    return Scenario.from_dict(data, source=str(path))
