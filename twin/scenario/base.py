"""Shared building blocks of the scenario schema: the frozen base model and number types.

Scenarios are plain data. Every model here is frozen, rejects unknown keys, accepts only
finite numbers and is strict about types (a quoted ``"25"`` is not a number), so a typo
in a TOML file fails loudly with the field path instead of silently meaning something
else.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "Fraction",
    "Hour",
    "NonNegFloat",
    "PosFloat",
    "PosInt",
    "ScenarioModel",
    "Temperature",
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


def tuple_field(default: Any = ..., **kwargs: Any) -> Any:
    """A tuple-valued field that accepts TOML/JSON arrays (lists) while items stay strict."""
    return Field(default, strict=False, **kwargs)
