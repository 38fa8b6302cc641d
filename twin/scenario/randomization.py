"""Domain randomisation: ranges a policy should be robust to before it meets hardware.

Every environment draws its own values at reset (from its ``randomization`` stream), so
a batch of environments trains on a population of buildings, guests and sensors, and
evaluation on held-out seeds means held-out variants.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from twin.scenario.base import NonNegFloat, ScenarioModel, tuple_field

Steps = Annotated[int, Field(ge=0, le=12)]
Scale = tuple[Annotated[float, Field(gt=0, le=10)], Annotated[float, Field(gt=0, le=10)]]


def _check_range(name: str, lo: float, hi: float) -> None:
    if lo > hi:
        raise ValueError(f"{name} = [{lo}, {hi}]: the lower end exceeds the upper end")


class Randomization(ScenarioModel):
    """Uniform ranges drawn per environment and episode (scales multiply the scenario value).

    ``envelope_scale`` multiplies window and opaque transmission, ``ventilation_scale``
    the ventilation conductance, ``thermal_mass_scale`` the heat capacity,
    ``hvac_capacity_scale`` heating and cooling capacity, ``preference_spread_scale`` the
    spread (sd) of every segment's preferences; temperature sensors get Gaussian noise
    of ``sensor_noise_k`` and a delay of ``sensor_delay_steps`` control steps.
    """

    enabled: bool = False
    envelope_scale: Scale = tuple_field((0.85, 1.15))
    ventilation_scale: Scale = tuple_field((0.8, 1.2))
    thermal_mass_scale: Scale = tuple_field((0.85, 1.15))
    hvac_capacity_scale: Scale = tuple_field((0.8, 1.1))
    preference_spread_scale: Scale = tuple_field((0.8, 1.3))
    sensor_noise_k: NonNegFloat = 0.2
    sensor_delay_steps: tuple[
        Annotated[int, Field(ge=0, le=12)], Annotated[int, Field(ge=0, le=12)]
    ] = tuple_field((0, 2))

    @model_validator(mode="after")
    def _check(self) -> Randomization:
        ranged: tuple[str, ...] = ("envelope_scale", "ventilation_scale", "thermal_mass_scale")
        ranged += ("hvac_capacity_scale", "preference_spread_scale", "sensor_delay_steps")
        for name in ranged:
            _check_range(name, *getattr(self, name))
        return self
