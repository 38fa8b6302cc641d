"""The reality gap: how the rig's virtual site differs from the twin that validates it.

A policy validated against a site that *is* the twin would prove nothing, so the
hardware-in-the-loop rig (:mod:`hw_adapters.rig`) plays a building that differs from the
scenario in the ways real buildings do: another envelope, slower actuators, noisy and
quantised sensors, lost messages. The gap is plain validated data, read from a small
TOML file (top-level keys, or a ``[gap]`` table) the way scenarios are::

    envelope_scale = 1.05       # window and opaque transmission (U-values) x 1.05
    actuator_lag_steps = 0
    temperature_noise_k = 0.1

The building parameters go through the World's own domain randomisation with a range of
width zero, so the rig's building is exactly the scenario's scaled by these factors.

>>> RealityGap().temperature_step_k, RealityGap.zero().temperature_noise_k
(0.1, 0.0)
>>> load_gap("hw_adapters/examples/gap_large.toml").envelope_scale
1.8
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from twin.errors import ScenarioError
from twin.scenario import Scenario
from twin.scenario.errors import format_validation_error

__all__ = ["RealityGap", "load_gap"]

Scale = Annotated[float, Field(gt=0, le=10)]
NonNeg = Annotated[float, Field(ge=0)]
Probability = Annotated[float, Field(ge=0, lt=1)]


class RealityGap(BaseModel):
    """How the rig's site differs from the scenario (all defaults: a small, honest gap).

    Building (scales multiply the scenario's values, as domain randomisation does):
    ``envelope_scale`` (window and opaque transmission), ``ventilation_scale``,
    ``thermal_mass_scale``, ``hvac_capacity_scale``.

    Actuators: ``actuator_lag_steps`` control steps pass before a new command value is
    in force. Sensors: ``sensor_delay_steps`` steps of delay on temperatures, Gaussian
    ``temperature_noise_k`` and ``illuminance_noise_rel`` (relative) noise, readings
    rounded to ``temperature_step_k`` K, ``illuminance_step_lux`` lx and the meter's
    ``energy_step_kwh``. Messages: each sensor update is skipped, and each MQTT command
    is lost before the device applies it, with ``drop_probability``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, allow_inf_nan=False)

    envelope_scale: Scale = 1.05
    ventilation_scale: Scale = 1.0
    thermal_mass_scale: Scale = 0.95
    hvac_capacity_scale: Scale = 1.0
    actuator_lag_steps: Annotated[int, Field(ge=0, le=12)] = 0
    sensor_delay_steps: Annotated[int, Field(ge=0, le=12)] = 0
    temperature_noise_k: NonNeg = 0.1
    temperature_step_k: NonNeg = 0.1
    illuminance_noise_rel: NonNeg = 0.02
    illuminance_step_lux: NonNeg = 1.0
    energy_step_kwh: NonNeg = 0.01
    drop_probability: Probability = 0.01

    @classmethod
    def zero(cls) -> RealityGap:
        """No gap at all: the rig's site is the twin (sensors exact, nothing lost)."""
        return cls(
            envelope_scale=1.0, thermal_mass_scale=1.0, temperature_noise_k=0.0,
            temperature_step_k=0.0, illuminance_noise_rel=0.0, illuminance_step_lux=0.0,
            energy_step_kwh=0.0, drop_probability=0.0,
        )  # fmt: skip

    def apply(self, scenario: Scenario) -> Scenario:
        """The scenario whose World is the rig's building (randomisation of width zero).

        The World's own sensor noise is off: the rig adds the gap's noise to what its
        devices report, so the World's ``air`` stays the true temperature.
        """
        rz = scenario.randomization.model_copy(
            update={
                "enabled": True,
                "envelope_scale": (self.envelope_scale,) * 2,
                "ventilation_scale": (self.ventilation_scale,) * 2,
                "thermal_mass_scale": (self.thermal_mass_scale,) * 2,
                "hvac_capacity_scale": (self.hvac_capacity_scale,) * 2,
                "preference_spread_scale": (1.0, 1.0),
                "sensor_noise_k": 0.0,
                "sensor_delay_steps": (self.sensor_delay_steps,) * 2,
            }
        )
        return scenario.model_copy(update={"randomization": rz})

    def to_toml(self) -> str:
        """The gap as a TOML file (loads back with :func:`load_gap`)."""
        return "".join(f"{k} = {v!r}\n" for k, v in self.model_dump().items())


def load_gap(path: str | Path) -> RealityGap:
    """Read and validate a gap file (top-level keys or a ``[gap]`` table).

    Raises:
        ScenarioError: the file is missing or invalid; one line per problem.
    """
    path = Path(path)
    if not path.is_file():
        raise ScenarioError(f"{path}: no such gap file")
    try:
        data: Any = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path}: not valid TOML: {exc}") from None
    if isinstance(data, dict) and set(data) == {"gap"}:
        data = data["gap"]
    try:
        return RealityGap.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(format_validation_error(exc, RealityGap, str(path))) from None
