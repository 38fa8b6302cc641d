"""Scenario sections of the smart-retail store venue: floor plan, catalogue, shoppers.

A store is drawn as a text map (one character per floor cell) whose legend says what
each character is: wall, aisle, entrance, checkout or the section of a product
category, and which building zone (a ``[[zones]]`` group) the cell belongs to. The
catalogue (categories with prices, the music genres), the displays, the shopper
segments and the effects a policy can move (music tempo, ambience, promotions) are plain
numbers here, each with its default's source, so a researcher can vary them without
code. :mod:`agents.store.floorplan` derives the walking geometry from the same parsed
map (:func:`parse_map`).

Distributions are written as ``{mean, sd, low, high}`` (a normal clipped to
``[low, high]``), as for hotel guests.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Annotated

from pydantic import Field, field_validator, model_validator

from twin.scenario.base import (
    ComfortWeights,
    Fraction,
    Hour,
    Name,
    NonNegFloat,
    Normal,
    PosFloat,
    PosInt,
    ScenarioModel,
    normal,
    tuple_field,
)
from twin.scenario.building import ZoneGroup
from twin.scenario.floor import Floor, LegendEntry, parse_map

__all__ = [
    "Behaviour",
    "Category",
    "Checkout",
    "Display",
    "Floor",
    "Genre",
    "LegendEntry",
    "Store",
    "StoreArrivals",
    "StoreSatisfaction",
    "StoreReward",
    "StoreSegment",
    "check_store_zones",
    "open_fractions",
    "parse_map",
]

Profile24 = tuple[NonNegFloat, ...]


def _names(items: Iterable[Category | Genre | Display | StoreSegment]) -> list[str]:
    return [item.name for item in items]


def _check_unique(what: str, names: list[str]) -> None:
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"{what} names must be unique; repeated: {', '.join(dupes)}")


def _check_bounds(where: str, dist: Normal, low: float, high: float | None = None) -> None:
    """A clipped normal's range must stay inside what the quantity can physically be."""
    if dist.low < low:
        raise ValueError(f"{where}.low = {dist.low} must be >= {low}")
    if high is not None and dist.high > high:
        raise ValueError(f"{where}.high = {dist.high} must be <= {high}")


# --------------------------------------------------------------------------- catalogue


class Category(ScenarioModel):
    """A product category: its products' prices and appeal and how many units are bought.

    A section is a department, so a browse makes ``1 + Poisson(picks_mean)`` product
    picks (each may end with nothing); quantity follows RetailSynth (Xia et al. 2023,
    arXiv 2312.14095): a bought product comes in ``1 + Poisson(quantity_mean)`` units.
    """

    name: Name
    prices: tuple[PosFloat, ...] = tuple_field(min_length=1)
    appeal: tuple[float, ...] = tuple_field(())
    quantity_mean: NonNegFloat = 0.3
    picks_mean: NonNegFloat = 1.0
    margin: Fraction = 0.25

    @model_validator(mode="after")
    def _check(self) -> Category:
        if self.appeal and len(self.appeal) != len(self.prices):
            raise ValueError(
                f"appeal has {len(self.appeal)} values but prices has {len(self.prices)}: "
                "give one appeal per product, or none (all 0)"
            )
        return self


class Genre(ScenarioModel):
    """A music genre of the store's catalogue; the policy picks one to play."""

    name: Name
    tempo_bpm: Annotated[float, Field(ge=30, le=220)]


class Display(ScenarioModel):
    """A screen or promotion stand at a floor cell.

    ``category`` is what it promotes when no policy sets its content (``None``: brand
    content without a category). A shopper at or passing a place within ``view_m`` of
    walking distance is near it and sees it with ``behaviour.attention_prob``.
    """

    name: Name
    at: tuple[int, int] = tuple_field()
    view_m: PosFloat = 8.0
    category: Name | None = None


# --------------------------------------------------------------------------- shoppers


class StoreSegment(ScenarioModel):
    """A shopper segment: its weight in the arrival mix and the distributions it draws from.

    A new shopper arriving in local hour ``h`` belongs to segment ``s`` with probability
    proportional to ``share_s * hour_profile_s[h]`` (``hour_profile = None`` counts as 1
    every hour). ``genre_liking`` is the mean liking (0..1) of catalogue genres (others
    ``genre_liking_default``), drawn per shopper with ``genre_liking_sd``.
    ``category_affinity`` is the chance a category is on a shopper's list and, drawn with
    ``affinity_sd``, their affinity to it (others ``affinity_default``).
    """

    name: Name
    share: Fraction
    consent_share: Fraction = 0.3
    hour_profile: Profile24 | None = tuple_field(None, min_length=24, max_length=24)
    pref_temp_c: Normal = normal(21.0, 1.2, 17.0, 25.0)
    temp_tolerance_k: Normal = normal(2.0, 0.4, 0.5, 4.0)
    pref_lux: Normal = normal(600.0, 150.0, 200.0, 1000.0)
    pref_cct_k: Normal = normal(4000.0, 600.0, 2700.0, 6500.0)
    clo: Normal = normal(1.0, 0.2, 0.4, 1.8)
    met: Normal = normal(1.8, 0.2, 1.2, 2.5)
    pref_volume_db: Normal = normal(60.0, 5.0, 40.0, 80.0)
    price_sensitivity: Normal = normal(1.0, 0.3, 0.0, 3.0)
    impulse: Normal = normal(0.4, 0.15, 0.0, 1.0)
    patience_min: Normal = normal(5.0, 2.0, 0.5, 20.0)
    balk_queue: Normal = normal(6.0, 2.0, 1.0, 20.0)
    walking_speed_m_s: Normal = normal(1.0, 0.15, 0.4, 1.6)
    genre_liking: dict[Name, Fraction] = Field(default_factory=dict, strict=False)
    genre_liking_default: Fraction = 0.5
    genre_liking_sd: NonNegFloat = 0.15
    category_affinity: dict[Name, Fraction] = Field(default_factory=dict, strict=False)
    affinity_default: Fraction = 0.1
    affinity_sd: NonNegFloat = 0.1

    @model_validator(mode="after")
    def _check(self) -> StoreSegment:
        if self.hour_profile is not None and sum(self.hour_profile) <= 0:
            raise ValueError("hour_profile must have at least one positive hour (or be omitted)")
        for name in ("pref_lux", "clo", "price_sensitivity", "patience_min", "balk_queue"):
            _check_bounds(name, getattr(self, name), 0.0)
        _check_bounds("temp_tolerance_k", self.temp_tolerance_k, 0.1)
        _check_bounds("met", self.met, 0.7, 4.0)
        _check_bounds("pref_cct_k", self.pref_cct_k, 1000.0, 20000.0)
        _check_bounds("impulse", self.impulse, 0.0, 1.0)
        _check_bounds("walking_speed_m_s", self.walking_speed_m_s, 0.1)
        return self


class StoreArrivals(ScenarioModel):
    """Poisson arrivals: a mean rate per open hour shaped by hour-of-day and weekday.

    The expected arrivals in local hour ``h`` of weekday ``d`` (0 = Monday) are
    ``rate_per_hour * open(h) * hour_profile[h] / mean_open(hour_profile) *
    day_of_week[d] / mean(day_of_week)``, where ``open(h)`` is the part of the hour the
    store is open and ``mean_open`` the open-time average, so a day brings
    ``rate_per_hour`` per open hour on an average weekday (:meth:`Store.arrival_rate`).
    """

    rate_per_hour: PosFloat = 100.0
    hour_profile: Profile24 = tuple_field(
        (0, 0, 0, 0, 0, 0, 0, 0, 0.6, 0.8, 0.9, 1.0, 1.1, 1.0, 0.9, 0.9, 1.1, 1.4, 1.5, 1.2,
         0.8, 0.5, 0, 0),
        min_length=24,
        max_length=24,
    )  # fmt: skip
    day_of_week: tuple[NonNegFloat, ...] = tuple_field(
        (0.9, 0.9, 0.95, 1.0, 1.2, 1.35, 0.0), min_length=7, max_length=7
    )

    @model_validator(mode="after")
    def _check(self) -> StoreArrivals:
        if sum(self.day_of_week) <= 0:
            raise ValueError("day_of_week must have at least one positive day")
        return self


class Checkout(ScenarioModel):
    """Checkout lanes (servers with one queue each) and service times in seconds."""

    lanes: PosInt = 4
    service_base_s: Normal = normal(45.0, 15.0, 15.0, 180.0)
    service_per_item_s: Normal = normal(3.0, 1.0, 1.0, 10.0)

    @model_validator(mode="after")
    def _check(self) -> Checkout:
        _check_bounds("service_base_s", self.service_base_s, 0.0)
        _check_bounds("service_per_item_s", self.service_per_item_s, 0.0)
        return self


_MILLIMAN = "Milliman 1982, J. Marketing 46(3):86-91: slow (<=72 bpm) vs fast (>=92 bpm) music"


class Behaviour(ScenarioModel):
    """The effects a policy can move, each a parameter with its default's source.

    Intended use by the shopper model (``comfort`` is the shopper's ambience comfort in
    0..1, ``tempo`` the playing genre's bpm, ``promo`` 1 if a display promoting the
    category was seen, ``affinity`` the shopper's affinity to the category):

    * dwell per section visit (min) = ``dwell_min`` draw x max(0, 1 + ``dwell_per_bpm`` x
      (tempo - ``reference_tempo_bpm``)) x max(0, 1 + ``dwell_comfort`` x (comfort - 0.5));
    * product choice, multinomial logit with an outside option (RecSim's no-click mass,
      RetailSynth's log-price utility): u_j = appeal_j - ``price_coef`` x
      price_sensitivity x ln(price_j) + ``affinity_utility`` x affinity +
      ``promo_utility`` x promo + ``mood_utility`` x (comfort - 0.5), against
      u_0 = ``no_purchase_utility``;
    * stop at an unplanned section passed: impulse x sigmoid(``impulse_logit`` +
      ``impulse_affinity`` x affinity + ``impulse_promo`` x promo + ``impulse_ambience``
      x (comfort - 0.5));
    * leaving early, hazard per hour: ``leave_discomfort_per_h`` x (1 - comfort) +
      ``leave_crowding_per_h`` x max(0, 1 - zone m2 per shopper /
      ``crowding_m2_per_person``);
    * a shopper near a display notices it with ``attention_prob`` (RecSim cascade).

    ``sources`` maps a field name of this section to the citation of its value in this
    scenario; the field descriptions carry the defaults' sources.
    """

    dwell_min: Normal = Field(
        default=normal(1.5, 0.7, 0.25, 6.0),
        description="assumption: ~1.5 min browsing per section visit",
    )
    reference_tempo_bpm: Annotated[float, Field(ge=30, le=220)] = Field(
        default=83.0, description=f"{_MILLIMAN}; midway between the two conditions"
    )
    dwell_per_bpm: float = Field(
        default=-0.0075,
        description=f"{_MILLIMAN}; ~17 % slower pace over ~21 bpm, linearised",
    )
    dwell_comfort: float = Field(default=0.3, description="assumption")
    attention_prob: Fraction = Field(
        default=0.5,
        description="RecSim CascadeChoiceModel attention_prob (recsim/choice_model.py); "
        "value an assumption for a physical display",
    )
    promo_utility: float = Field(default=0.8, description="assumption")
    mood_utility: float = Field(default=0.5, description="assumption")
    no_purchase_utility: float = Field(
        default=0.0, description="RecSim MultinomialLogitChoiceModel no_click_mass (outside option)"
    )
    price_coef: NonNegFloat = Field(
        default=1.0, description="RetailSynth (arXiv 2312.14095): utility linear in log price"
    )
    affinity_utility: float = Field(default=2.0, description="assumption")
    impulse_logit: float = Field(default=-2.5, description="assumption: ~8 % base stop chance")
    impulse_affinity: float = Field(default=3.0, description="assumption")
    impulse_promo: float = Field(default=1.0, description="assumption")
    impulse_ambience: float = Field(default=1.0, description="assumption")
    leave_discomfort_per_h: NonNegFloat = Field(default=1.0, description="assumption")
    crowding_m2_per_person: PosFloat = Field(default=5.0, description="assumption")
    leave_crowding_per_h: NonNegFloat = Field(default=2.0, description="assumption")
    dwell_utility: float = Field(
        default=1.0,
        description=f"assumption in the direction of {_MILLIMAN}: longer browsing (slow "
        "music) raises sales; utility per unit of log(visit time / mean visit time)",
    )
    sources: dict[str, str] = Field(default_factory=dict, strict=False)

    @field_validator("sources")
    @classmethod
    def _check_sources(cls, sources: dict[str, str]) -> dict[str, str]:
        known = [name for name in cls.model_fields if name != "sources"]
        unknown = sorted(set(sources) - set(known))
        if unknown:
            raise ValueError(
                f"unknown field {', '.join(map(repr, unknown))}: keys must be fields of "
                f"[store.behaviour]: {', '.join(known)}"
            )
        return sources

    @model_validator(mode="after")
    def _check(self) -> Behaviour:
        _check_bounds("dwell_min", self.dwell_min, 0.0)
        return self


class StoreSatisfaction(ComfortWeights):
    """How the trip turns into an exit satisfaction (0..1).

    Ambience comfort is a weighted mean of thermal, light level, colour temperature and
    music comfort, each relative to the shopper's own preference and tolerance
    (``lux_tolerance_rel`` of the preferred lux, ``cct_tolerance_k``,
    ``volume_tolerance_db``, the genre liking), remembered with an exponential memory of
    ``memory_min``. Exit satisfaction mixes it with the share of the list found
    (``found_weight``) and loses ground for queue waits beyond ``wait_tolerance_min``.
    """

    memory_min: PosFloat = 15.0
    weight_thermal: NonNegFloat = 0.4
    weight_light: NonNegFloat = 0.2
    weight_cct: NonNegFloat = 0.1
    weight_music: NonNegFloat = 0.3
    lux_tolerance_rel: PosFloat = 0.35
    cct_tolerance_k: PosFloat = 900.0
    volume_tolerance_db: PosFloat = 6.0
    wait_tolerance_min: PosFloat = 3.0
    found_weight: Fraction = 0.5
    initial: Fraction = 0.7

    def weights(self) -> tuple[float, ...]:
        """The building's comfort weights and the music's."""
        return (*super().weights(), self.weight_music)


# --------------------------------------------------------------------------- the store


def open_fractions(opening_hours: tuple[float, float]) -> tuple[float, ...]:
    """The part of each local hour 0..23 that lies within ``[open, close)``.

    >>> open_fractions((8.5, 10))[7:11]
    (0.0, 0.5, 1.0, 0.0)
    """
    lo, hi = opening_hours
    return tuple(max(0.0, float(min(hi, h + 1) - max(lo, h))) for h in range(24))


class StoreReward(ScenarioModel):
    """Weights of the store's own reward terms (the building's are in ``[control.reward]``).

    Per step: ``revenue`` x the value put into baskets (less baskets abandoned by
    balking or reneging); ``satisfaction`` x shopper-hours of ambience comfort (0..1);
    ``diversity`` x noticed promotions of categories outside the shopper's favourites
    (a lever against the filter bubble; 0 leaves diversity to the policy's judgement).
    """

    revenue: NonNegFloat = 0.01
    satisfaction: NonNegFloat = 0.5
    diversity: NonNegFloat = 0.0


class Store(ScenarioModel):
    """The smart-retail store venue: floor, catalogue, displays, shoppers and their queue.

    ``opening_hours`` = [open, close) in local hours; ``volume_range_db`` is the range of
    the music-volume action; the genre playing can change every ``music_change_min``
    minutes (a playlist block) and a display's content every ``display_change_min``
    (a signage slot): commands in between wait for the next change;
    ``favourites_per_shopper`` is how many of a shopper's highest-affinity categories
    count as their favourites (for the filter-bubble KPIs);
    at most ``max_shoppers`` shoppers are inside one copy of
    the store at once, arrivals beyond are turned away at the door.
    """

    opening_hours: tuple[Hour, Hour] = tuple_field((8.0, 21.0))
    floor: Floor
    categories: tuple[Category, ...] = tuple_field(min_length=2)
    music: tuple[Genre, ...] = tuple_field(min_length=1)
    displays: tuple[Display, ...] = tuple_field(())
    segments: tuple[StoreSegment, ...] = tuple_field(min_length=1)
    arrivals: StoreArrivals = StoreArrivals()
    checkout: Checkout = Checkout()
    behaviour: Behaviour = Behaviour()
    satisfaction: StoreSatisfaction = StoreSatisfaction()
    volume_range_db: tuple[float, float] = tuple_field((40.0, 80.0))
    max_shoppers: PosInt = 400
    music_change_min: PosFloat = 15.0
    display_change_min: PosFloat = 5.0
    favourites_per_shopper: PosInt = 3
    reward: StoreReward = StoreReward()

    @model_validator(mode="after")
    def _check(self) -> Store:
        lo, hi = self.opening_hours
        if lo >= hi:
            raise ValueError(
                f"opening_hours = [{lo}, {hi}]: opening must be before closing (same day)"
            )
        vlo, vhi = self.volume_range_db
        if vlo >= vhi:
            raise ValueError(f"volume_range_db = [{vlo}, {vhi}]: low must be below high")
        categories = _names(self.categories)
        genres = _names(self.music)
        _check_unique("category", categories)
        _check_unique("music genre", genres)
        _check_unique("display", _names(self.displays))
        _check_unique("segment", _names(self.segments))
        self._check_floor(categories)
        self._check_displays(categories)
        self._check_segments(categories, genres)
        self._check_arrivals()
        return self

    def _check_floor(self, categories: list[str]) -> None:
        for key, entry in self.floor.legend.items():
            if entry.category is not None and entry.category not in categories:
                raise ValueError(
                    f"floor.legend[{key!r}].category = {entry.category!r} is not a category; "
                    f"categories: {', '.join(categories)}"
                )
        for i, name in enumerate(categories):
            if not self.floor.cells_of("section", name):
                raise ValueError(
                    f"categories[{i}] ({name}) has no section cells in floor.map: add a "
                    f"legend entry kind = 'section', category = {name!r} and draw it"
                )
        lanes = len(self.floor.cells_of("checkout"))
        if self.checkout.lanes > lanes:
            raise ValueError(
                f"checkout.lanes = {self.checkout.lanes} exceeds the {lanes} checkout cells "
                "in floor.map (one cell per lane)"
            )

    def _check_displays(self, categories: list[str]) -> None:
        rows = self.floor.rows
        height, width = len(rows), len(rows[0])
        for i, display in enumerate(self.displays):
            r, c = display.at
            if not (0 <= r < height and 0 <= c < width):
                raise ValueError(
                    f"displays[{i}].at = [{r}, {c}] ({display.name}) is outside the map of "
                    f"{height} rows x {width} columns (rows and columns count from 0)"
                )
            if self.floor.legend[rows[r][c]].kind == "wall":
                raise ValueError(
                    f"displays[{i}].at = [{r}, {c}] ({display.name}) is on a wall "
                    f"({rows[r][c]!r}); place it on a walkable cell"
                )
            if display.category is not None and display.category not in categories:
                raise ValueError(
                    f"displays[{i}].category = {display.category!r} is not a category; "
                    f"categories: {', '.join(categories)}"
                )

    def _check_segments(self, categories: list[str], genres: list[str]) -> None:
        if sum(s.share for s in self.segments) <= 0:
            raise ValueError("segments: shares must not all be zero")
        for i, seg in enumerate(self.segments):
            for field, known, what in (
                ("genre_liking", genres, "music genres"),
                ("category_affinity", categories, "categories"),
            ):
                values: Mapping[str, float] = getattr(seg, field)
                unknown = sorted(set(values) - set(known))
                if unknown:
                    raise ValueError(
                        f"segments[{i}].{field} ({seg.name}): unknown {', '.join(unknown)}; "
                        f"{what}: {', '.join(known)}"
                    )

    def _check_arrivals(self) -> None:
        fractions = open_fractions(self.opening_hours)
        profile = self.arrivals.hour_profile
        if sum(f * p for f, p in zip(fractions, profile, strict=True)) <= 0:
            raise ValueError(
                f"arrivals.hour_profile is 0 in every opening hour {self.opening_hours}: "
                "nobody would come"
            )
        for h in range(24):
            if fractions[h] > 0 and profile[h] > 0 and sum(self._mix_weights(h)) <= 0:
                raise ValueError(
                    f"segments: no segment arrives at hour {h} (share x hour_profile is 0 for "
                    f"all) but arrivals.hour_profile[{h}] = {profile[h]} > 0"
                )

    def _mix_weights(self, hour: int) -> list[float]:
        return [
            s.share * (1.0 if s.hour_profile is None else s.hour_profile[hour])
            for s in self.segments
        ]

    def segment_mix(self, hour: int) -> tuple[float, ...]:
        """Probabilities that a shopper arriving in local ``hour`` is of each segment.

        Where no segment arrives (a closed hour), the plain shares are returned.
        """
        weights = self._mix_weights(hour)
        total = sum(weights)
        if total <= 0:
            weights = [s.share for s in self.segments]
            total = sum(weights)
        return tuple(w / total for w in weights)

    def arrival_rate(self, weekday: int, hour: int) -> float:
        """Expected arrivals in local ``hour`` (0..23) of ``weekday`` (0 = Monday).

        See :class:`StoreArrivals`; 0 when the store is closed.
        """
        fractions = open_fractions(self.opening_hours)
        profile = self.arrivals.hour_profile
        mean_open = sum(f * p for f, p in zip(fractions, profile, strict=True)) / sum(fractions)
        days = self.arrivals.day_of_week
        day = days[weekday] / (sum(days) / len(days))
        return self.arrivals.rate_per_hour * fractions[hour] * profile[hour] / mean_open * day

    @property
    def category_names(self) -> tuple[str, ...]:
        """Names of the categories (the floor plan's section order)."""
        return tuple(_names(self.categories))


def check_store_zones(store: Store, zones: tuple[ZoneGroup, ...]) -> None:
    """Every legend zone must name a ``[[zones]]`` group with ``count = 1``.

    A store cell shares the air, light and sound of exactly one thermal zone. Called by
    the scenario root, which knows the zones.

    Raises:
        ValueError: names the legend key, the zone and the valid single-zone groups.
    """
    single = [z.name for z in zones if z.count == 1]
    counts = {z.name: z.count for z in zones}
    for key, entry in store.floor.legend.items():
        if entry.zone is None or entry.zone in single:
            continue
        why = (
            f"that group has count = {counts[entry.zone]}"
            if entry.zone in counts
            else "no [[zones]] group has that name"
        )
        raise ValueError(
            f"store.floor.legend[{key!r}].zone = {entry.zone!r}: {why}; a store cell needs "
            f"a [[zones]] group with count = 1: {', '.join(single) or '(none)'}"
        )
