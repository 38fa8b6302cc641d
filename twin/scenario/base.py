"""Shared building blocks of the scenario schema: the frozen base model and number types.

Scenarios are plain data. Every model here is frozen, rejects unknown keys, accepts only
finite numbers and is strict about types (a quoted ``"25"`` is not a number), so a typo
in a TOML file fails loudly with the field path instead of silently meaning something
else.
"""

from __future__ import annotations

from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "ComfortWeights",
    "Fraction",
    "Hour",
    "Name",
    "Normal",
    "NonNegFloat",
    "PosFloat",
    "PosInt",
    "ScenarioModel",
    "Temperature",
    "normal",
    "tuple_field",
]


class ScenarioModel(BaseModel):
    """Base of every scenario section: frozen, strict, no unknown keys."""

    # allow_inf_nan=False: TOML reads ``inf`` and ``nan`` as floats, and no quantity of a
    # scenario (a price, a horizon, a weight) is meaningful as either.
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, allow_inf_nan=False)


PosFloat = Annotated[float, Field(gt=0)]
NonNegFloat = Annotated[float, Field(ge=0)]
PosInt = Annotated[int, Field(gt=0)]
Fraction = Annotated[float, Field(ge=0, le=1)]
Hour = Annotated[float, Field(ge=0, le=24)]
Temperature = Annotated[float, Field(ge=-60, le=80)]


class ComfortWeights(ScenarioModel):
    """The comfort terms every venue's satisfaction mixes (the shared occupant kernels).

    Venues redeclare the fields with their own defaults and may add terms
    (:meth:`weights`); the weights must not all be zero.
    """

    weight_thermal: NonNegFloat = 0.6
    weight_light: NonNegFloat = 0.25
    weight_cct: NonNegFloat = 0.15
    lux_tolerance_rel: PosFloat = 0.35
    cct_tolerance_k: PosFloat = 900.0

    def weights(self) -> tuple[float, ...]:
        """Every comfort weight of the section."""
        return (self.weight_thermal, self.weight_light, self.weight_cct)

    @model_validator(mode="after")
    def _check_weights(self) -> Self:
        if sum(self.weights()) <= 0:
            raise ValueError("the comfort weights must not all be zero")
        return self


def tuple_field(default: Any = ..., **kwargs: Any) -> Any:
    """A tuple-valued field that accepts TOML/JSON arrays (lists) while items stay strict."""
    return Field(default, strict=False, **kwargs)


#: A name used as a key (segments, categories, zones): letters, digits, ``_`` and ``-``.
Name = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_\-]*$")]


class Normal(ScenarioModel):
    """A normal distribution clipped to ``[low, high]`` (``sd = 0`` gives a constant)."""

    mean: float
    sd: NonNegFloat = 0.0
    low: float = -1e9
    high: float = 1e9

    @model_validator(mode="after")
    def _check(self) -> Normal:
        if self.low > self.high:
            raise ValueError(f"low = {self.low} must not exceed high = {self.high}")
        if not self.low <= self.mean <= self.high:
            raise ValueError(
                f"mean = {self.mean} must lie within [low, high] = [{self.low}, {self.high}]"
            )
        return self


def normal(mean: float, sd: float = 0.0, low: float = -1e9, high: float = 1e9) -> Normal:
    """Shorthand for defaults."""
    return Normal(mean=mean, sd=sd, low=low, high=high)
